"""Each format loads to text with a title, sections or pages, and offsets that point at the text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ingest.loaders import LoadError, load_file
from ingest.sentences import sentence_spans, split_sentences
from ingest.splitting import make_splitter, split_document
from tests.conftest import ANNOUNCEMENT, REPO


def make_pdf(pages: list[str], title: str = "Mission report") -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setTitle(title)
    for text in pages:
        y = 800
        for line in text.split("\n"):
            pdf.drawString(72, y, line)
            y -= 14
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_docx(paragraphs: list[tuple[str, str | None]], title: str = "") -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    for text, style in paragraphs:
        if style:
            document.add_heading(text, level=int(style))
        else:
            document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Host"
    table.rows[0].cells[1].text = "EnergyVille"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_announcement_has_its_published_title_and_date():
    doc = load_file(ANNOUNCEMENT, ANNOUNCEMENT.read_bytes())
    assert doc.title.startswith("US Cluster Mission to the EU led by inno TSD")
    assert doc.published == "2018-11-29T16:03:00"
    assert "Danish Arkitektur Center in Copenhagen" in doc.text


def test_markdown_front_matter_and_sections():
    data = b"---\ntitle: EnergyVille\nurl: https://example.org/ev\npublished: 2020-01-02\n---\n" \
           b"# EnergyVille\n\nIntro text.\n\n## Location\n\nIt is in Genk.\n"
    doc = load_file(Path("ev.md"), data)
    assert (doc.title, doc.url, doc.published) == ("EnergyVille", "https://example.org/ev", "2020-01-02")
    location = [s for s in doc.segments if s.heading == "Location"]
    assert location and "It is in Genk." in doc.text[location[0].start : location[0].end]


def test_html_keeps_main_text_and_drops_navigation():
    html = b"""<html><head><title>Clean Tech Delta</title><script>var x = 'tracking';</script></head>
    <body><nav><a href="/">Home</a> | <a href="/about">About us menu</a></nav>
    <main><h1>Clean Tech Delta</h1><p>A cluster in the <b>Netherlands</b> region.</p>
    <h2>Members</h2><ul><li>Companies</li><li>Universities</li></ul></main>
    <footer>Copyright cookie banner</footer></body></html>"""
    doc = load_file(Path("ctd.html"), html)
    assert doc.title == "Clean Tech Delta"
    assert "A cluster in the Netherlands region." in doc.text
    for chrome in ("About us menu", "tracking", "cookie banner"):
        assert chrome not in doc.text
    members = [s for s in doc.segments if s.heading == "Members"]
    assert members and "Universities" in doc.text[members[0].start : members[0].end]


def test_html_source_line_breaks_do_not_split_a_sentence_but_preformatted_lines_stay():
    html = b"""<html><body><main><p>The roundtable was held at the Danish
    Arkitektur Center in
    Copenhagen.</p><pre>x = 1
y = 2</pre></main></body></html>"""
    doc = load_file(Path("report.html"), html)
    assert split_sentences(doc.text) == ["The roundtable was held at the Danish Arkitektur Center in Copenhagen.",
                                         "x = 1", "y = 2"]


def test_pdf_pages_are_numbered():
    data = make_pdf(["The roundtable was in Copenhagen.", "The visits went to Belgium."])
    doc = load_file(Path("report.pdf"), data)
    assert doc.title == "Mission report"
    pages = {s.page: doc.text[s.start : s.end] for s in doc.segments}
    assert "Copenhagen" in pages[1] and "Belgium" in pages[2]


def test_docx_paragraphs_headings_and_tables():
    data = make_docx([("Visit notes", "1"), ("The delegation met imec in Leuven.", None)], title="Notes")
    doc = load_file(Path("notes.docx"), data)
    assert doc.title == "Notes"
    assert "The delegation met imec in Leuven." in doc.text and "Host | EnergyVille" in doc.text
    assert any(s.heading == "Visit notes" for s in doc.segments)


def test_sidecar_overrides_title_and_adds_url(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_text("Some text about the mission.")
    (tmp_path / "a.txt.meta.yaml").write_text("title: Real title\nurl: https://example.org/a\n")
    doc = load_file(path, path.read_bytes())
    assert (doc.title, doc.url) == ("Real title", "https://example.org/a")


@pytest.mark.parametrize("name,data,reason", [
    ("empty.txt", b"   \n", "empty"),
    ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf", "PDF"),
    ("broken.docx", b"PK\x03\x04 not a zip", "docx"),
    ("photo.jpg", b"\xff\xd8\xff", "unsupported file type .jpg"),
    ("bad.md", b"---\ntitle: [unclosed\n---\nbody", "front matter"),
])
def test_bad_files_raise_a_clear_reason(name: str, data: bytes, reason: str):
    with pytest.raises(LoadError, match=reason):
        load_file(Path(name), data)


def test_zip_bomb_disguised_as_docx_is_refused():
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (120 * 2**20))
    with pytest.raises(LoadError, match="unpack"):
        load_file(Path("bomb.docx"), buffer.getvalue())


@pytest.mark.parametrize("size", [200, 500, 1000])
def test_chunks_are_found_at_their_offsets_and_keep_sentences_whole(size: int):
    doc = load_file(ANNOUNCEMENT, ANNOUNCEMENT.read_bytes())
    pieces = split_document(doc, make_splitter(size, 0))
    assert len(pieces) >= 3
    for piece in pieces:
        assert doc.text[piece.start : piece.start + len(piece.text)] == piece.text
        assert len(piece.text) <= size * 3 // 2  # a chunk may take in the sentence its first one leans on
    if size >= 500:  # every sentence of the announcement is shorter than 500 characters
        sentence_ends = {end for _, end in sentence_spans(doc.text)}
        for piece in pieces:
            assert piece.start + len(piece.text) in sentence_ends, piece.text[-40:]


def test_a_chunk_that_starts_by_leaning_on_the_sentence_before_takes_it_in():
    # "These included Cluster CLEAN, ..." only says what was visited together with the sentence before.
    doc = load_file(ANNOUNCEMENT, ANNOUNCEMENT.read_bytes())
    pieces = split_document(doc, make_splitter(500, 0))
    listing = next(p for p in pieces if "These included Cluster CLEAN" in p.text)
    assert "Following, the participants spent four days visiting" in listing.text
    # ... which itself leans on the sentence before it, so the chunk starts there.
    assert listing.text.startswith("Following the roundtable, delegation participants")
    assert not any(p.text.startswith(("These ", "Following,")) for p in pieces)



def test_no_bundled_chunk_is_longer_than_the_maximum_the_readme_states():
    # README, MISSIONBOT_CHUNK_SIZE: "the maximum is 1.5 x this" (a chunk may take in the sentences it leans on).
    from ingest import IndexSettings, list_documents

    settings = IndexSettings(_env_file=None)
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    files = list_documents(settings.docs_dir, settings.agenda_file).files
    lengths = [len(p.text) for f in files for p in split_document(load_file(f.path, f.path.read_bytes()), splitter)]
    assert len(files) > 30 and max(lengths) <= settings.chunk_size * 3 // 2
    assert "the maximum is 1.5 × this: 750 characters by default" in (REPO / "README.md").read_text()

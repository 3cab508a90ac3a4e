"""Turn files (txt, md, html, pdf, docx, yaml) into text with the metadata needed to cite it."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ingest.encoding import UndecodableText, decode_text, readable_name

SIDECAR_SUFFIX = ".meta.yaml"
# What a document's front matter or sidecar may say about its subject, beyond title, url and published.
# They travel with every chunk, so that questions can join documents ("which of the visited are Belgian?").
FACT_FIELDS = ("aliases", "kind", "country", "region", "city", "role")
MAX_DOCX_UNPACKED = 100 * 1024 * 1024  # a docx is a zip: refuse archives that would inflate past this


class LoadError(Exception):
    """A file could not be turned into text; the message says why, for the person who owns it."""


@dataclass
class Segment:
    """A span of the extracted text that chunks never cross: a page or a section."""

    start: int
    end: int
    page: int | None = None
    heading: str | None = None


@dataclass
class LoadedDocument:
    """The extracted text of one file and what a citation needs to point at it."""

    text: str
    title: str
    url: str | None = None
    published: str | None = None
    segments: list[Segment] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)  # FACT_FIELDS it states; a list is joined with "; "


def _as_text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _decode(data: bytes) -> str:
    try:
        return decode_text(data)
    except UndecodableText as exc:
        raise LoadError(str(exc)) from exc


def _heading_segments(text: str, headings: list[tuple[int, str]], page: int | None = None) -> list[Segment]:
    """Cut text into sections at the given (offset, heading) marks."""
    marks: list[tuple[int, str | None]] = list(headings)
    if not marks or marks[0][0] > 0:
        marks.insert(0, (0, None))
    segments = []
    for i, (start, heading) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        if text[start:end].strip():
            segments.append(Segment(start, end, page, heading))
    return segments


_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def _facts(meta: dict) -> dict[str, str]:
    facts = {}
    for key in FACT_FIELDS:
        value = meta.get(key)
        values = value if isinstance(value, list) else [value]
        text = "; ".join(t for t in (_as_text(v) for v in values) if t)
        if text:
            facts[key] = text
    return facts


def _front_matter(text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"the YAML front matter is invalid: {exc}") from exc
    if not isinstance(meta, dict):
        raise LoadError("the front matter is not a YAML mapping")
    return meta, text[match.end():]


# A line break inside a paragraph is a space in Markdown: join such lines, so a sentence wrapped
# over several lines stays one sentence. Headings, list items, quotes, tables and code fences keep
# their own lines (list markers are dropped: the items read as sentences).
_BLOCK_START = re.compile(r"[ \t]*(?:#{1,6}[ \t]|[-*+][ \t]|\d+[.)][ \t]|>|\||```|~~~)")
_BULLET = re.compile(r"^[ \t]*[-*+][ \t]+")


def _unwrap(body: str) -> str:
    lines: list[str] = []
    for line in body.split("\n"):
        previous = lines[-1] if lines else ""
        joinable = previous.strip() and not re.match(r"[ \t]*#{1,6}[ \t]", previous)
        if joinable and line.strip() and not _BLOCK_START.match(line):
            lines[-1] = previous.rstrip() + " " + line.strip()
        else:
            lines.append(_BULLET.sub("", line))
    return "\n".join(lines)


def load_markdown(data: bytes) -> LoadedDocument:
    """Load Markdown with optional YAML front matter; sections follow the headings.

    A heading names its section (the chunks' `section`) rather than being part of its text, so an
    answer never quotes a bare heading.
    """
    meta, body = _front_matter(_decode(data))
    body = _unwrap(body)
    matches = list(_MD_HEADING.finditer(body))
    title = _as_text(meta.get("title")) or (matches[0].group(2).strip() if matches else None)
    # Each section runs from the end of its heading line to the start of the next heading.
    bounds = [(0, matches[0].start() if matches else len(body), None)]
    bounds += [(m.end(), matches[i + 1].start() if i + 1 < len(matches) else len(body), m.group(2).strip())
               for i, m in enumerate(matches)]
    segments = [Segment(start, end, None, heading) for start, end, heading in bounds if body[start:end].strip()]
    return LoadedDocument(body, title or "", _as_text(meta.get("url")), _as_text(meta.get("published")), segments,
                          _facts(meta))


def load_text(data: bytes) -> LoadedDocument:
    """Load plain text; a short first line is taken as the title."""
    text = _decode(data)
    first = text.strip().split("\n", 1)[0].strip()
    return LoadedDocument(text, first if 0 < len(first) <= 150 else "", segments=_heading_segments(text, []))


_DROP_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg", "iframe"]
_BLOCK_TAGS = ["p", "div", "li", "pre", "tr", "dt", "dd", "blockquote", "section", "article", "table",
               "ul", "ol", "dl", "br", "figcaption", "caption"]
_HEADING_MARK = "\ue000H\ue000"  # a private-use character: cannot occur in page text


_CHROME = ("//*[@role='navigation' or @role='banner' or @role='contentinfo' or @aria-hidden='true']"
           " | //*[contains(concat(' ', normalize-space(@class), ' '), ' sphinxsidebar ')]"
           " | //*[contains(concat(' ', normalize-space(@class), ' '), ' related ')]"
           " | //*[contains(concat(' ', normalize-space(@class), ' '), ' headerlink ')]")


def load_html(data: bytes) -> LoadedDocument:
    """Load the main text of an HTML page, leaving out navigation, scripts and page chrome.

    lxml directly rather than BeautifulSoup: on the python3.11-doc pages it is 50 times faster, and
    ingestion spends that time on the same two cores as the embedding model.
    """
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fromstring(data)
    except (etree.ParserError, ValueError) as exc:
        raise LoadError(f"the HTML could not be parsed ({exc})") from exc
    title_tag = root.find(".//title")
    title = " ".join(title_tag.text_content().split()) if title_tag is not None else ""
    for tag in root.xpath(" | ".join(f"//{name}" for name in _DROP_TAGS)) + root.xpath(_CHROME):
        if tag.getparent() is not None:
            tag.drop_tree()  # keeps the text that follows the element
    main = next(iter(root.xpath("//main") or root.xpath("//*[@role='main']") or root.xpath("//body")), root)
    _collapse_whitespace(main)
    for heading in main.xpath(".//h1 | .//h2 | .//h3 | .//h4"):
        words = " ".join(heading.text_content().split())
        heading.clear(keep_tail=True)
        heading.text = f"\n\n{_HEADING_MARK}{words}\n\n"
    for block in main.iter(*_BLOCK_TAGS):
        block.text = "\n" + (block.text or "")
        block.tail = "\n" + (block.tail or "")
    lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in main.text_content().split("\n")]
    text, headings = "", []
    for line in "\n".join(lines).split("\n\n"):
        line = line.strip("\n")
        if not line.strip():
            continue
        if line.startswith(_HEADING_MARK):
            line = line[len(_HEADING_MARK):]
            headings.append((len(text), line))
        text += line + "\n\n"
    if not title and headings:
        title = headings[0][1]
    return LoadedDocument(text, title, segments=_heading_segments(text, headings))


def _collapse_whitespace(root) -> None:
    """Make every run of whitespace one space, as a browser shows it, except in <pre>: a paragraph wrapped
    over several lines of the page's source is one paragraph, not one sentence a line."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # a comment or processing instruction
        inside = next(element.iterancestors("pre"), None) is not None
        if element.text and element.tag != "pre" and not inside:
            element.text = re.sub(r"\s+", " ", element.text)
        if element.tail and not inside:
            element.tail = re.sub(r"\s+", " ", element.tail)


def load_pdf(data: bytes) -> LoadedDocument:
    """Load a PDF page by page, keeping page numbers."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("the PDF is encrypted with a password")
        pages = [page.extract_text() or "" for page in reader.pages]
        title = _as_text(reader.metadata.title) if reader.metadata else None
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"the PDF is damaged or unreadable ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # pypdf raises many internal types on malformed input
        raise LoadError(f"the PDF could not be read ({type(exc).__name__})") from exc
    text, segments = "", []
    for number, page_text in enumerate(pages, start=1):
        page_text = page_text.strip()
        if page_text:
            segments.append(Segment(len(text), len(text) + len(page_text), page=number))
            text += page_text + "\n\n"
    return LoadedDocument(text, title or "", segments=segments)


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise LoadError("the file is not a valid .docx (not a zip archive)") from exc
    if unpacked > MAX_DOCX_UNPACKED:
        raise LoadError(f"the .docx would unpack to {unpacked // 2**20} MB, more than a document should")


def load_docx(data: bytes) -> LoadedDocument:
    """Load a Word document's paragraphs and tables; Heading styles start sections."""
    import docx

    _check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors on bad packages
        raise LoadError(f"the .docx is damaged or not a Word document ({type(exc).__name__})") from exc
    text, headings = "", []
    for paragraph in document.paragraphs:
        line = paragraph.text.strip()
        if not line:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.lower().startswith(("heading", "title")):
            headings.append((len(text), line))
        text += line + "\n\n"
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
            if cells:
                text += " | ".join(dict.fromkeys(cells)) + "\n"
        text += "\n"
    title = document.core_properties.title or (headings[0][1] if headings else "")
    return LoadedDocument(text, title, segments=_heading_segments(text, headings))


def _render_yaml_value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_render_yaml_value(v) for v in value)
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    return str(value).strip()


def load_yaml(data: bytes) -> LoadedDocument:
    """Render a YAML file of `title` and `entries` as readable text, one section per entry."""
    try:
        content = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise LoadError(f"the YAML is invalid: {exc}") from exc
    if not isinstance(content, dict) or not isinstance(content.get("entries"), list):
        raise LoadError("a YAML document needs a mapping with an `entries` list")
    text, headings = "", []
    for entry in content["entries"]:
        if not isinstance(entry, dict):
            continue
        heading = str(entry.get("title") or entry.get("name") or "")
        headings.append((len(text), heading))
        lines = [f"{heading}."] if heading else []
        for key, value in entry.items():
            if key in ("title", "name", "id") or value in (None, "", []):
                continue
            rendered = _render_yaml_value(value).rstrip(".")
            if key == "description" or key.endswith("note"):  # prose reads better without a label
                lines.append(f"{rendered}.")
            elif heading:  # each fact names its entry, so a quoted line stands on its own
                lines.append(f"{heading} — {key.replace('_', ' ')}: {rendered}.")
            else:
                lines.append(f"{key.replace('_', ' ').capitalize()}: {rendered}.")
        text += "\n".join(lines) + "\n\n"
    return LoadedDocument(text, str(content.get("title") or ""), _as_text(content.get("url")),
                          _as_text(content.get("published")), _heading_segments(text, headings))


# The one list of document formats: the indexer, uploads and every help text read it.
LOADERS: dict[str, Callable[[bytes], LoadedDocument]] = {
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".yaml": load_yaml,
    ".yml": load_yaml,
}
SUPPORTED_FORMATS: tuple[str, ...] = tuple(LOADERS)


def describe_formats(last: str = "or") -> str:
    """Name the supported formats for people: "pdf, docx, ... or yml"."""
    names = [suffix.lstrip(".") for suffix in SUPPORTED_FORMATS]
    return f"{', '.join(names[:-1])} {last} {names[-1]}"


def sidecar_path(path: Path) -> Path:
    """Return where the optional metadata sidecar of a file lives."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict:
    """Read a file's sidecar metadata (title, url, published), or an empty dict."""
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return {}
    try:
        meta = yaml.safe_load(sidecar.read_bytes()) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"its metadata file {sidecar.name} is invalid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise LoadError(f"its metadata file {sidecar.name} is not a YAML mapping")
    return meta


def load_file(path: Path, data: bytes) -> LoadedDocument:
    """Load one file's bytes by its extension, apply its sidecar metadata, and check it has text."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"unsupported file type {readable_name(path.suffix) or '(none)'}; supported: "
                        f"{describe_formats()}")
    if not data.strip():
        raise LoadError("the file is empty")
    document = loader(data)
    if not document.text.strip():
        raise LoadError("no text could be extracted (a scanned PDF or an image-only document?)")
    if not any(document.text[s.start : s.end].strip() for s in document.segments):
        raise LoadError("it has headings but no text under them, so there is nothing to answer from")
    meta = read_sidecar(path)
    stem = readable_name(path.stem)
    document.title = _as_text(meta.get("title")) or document.title or stem.replace("-", " ").replace("_", " ")
    document.url = _as_text(meta.get("url")) or document.url
    document.published = _as_text(meta.get("published")) or document.published
    document.facts = {**document.facts, **_facts(meta)}
    return document

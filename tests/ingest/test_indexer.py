"""Incremental indexing: unchanged, changed, deleted, full, bad input, model mismatch, readers."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

import ingest.indexer
from ingest import IndexModelMismatch, IndexSettings, newest_versions, sync_index, terms
from tests.conftest import ANNOUNCEMENT, FakeEmbeddings, fake_store


def write(settings: IndexSettings, name: str, text: str) -> Path:
    path = settings.docs_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def texts_of(store, source: str) -> list[str]:
    return [c.text for c in store.iter_chunks() if c.source == source]


def test_first_run_indexes_with_citable_metadata(settings):
    (settings.docs_dir / ANNOUNCEMENT.name).write_bytes(ANNOUNCEMENT.read_bytes())
    (settings.docs_dir / (ANNOUNCEMENT.name + ".meta.yaml")).write_text("title: The announcement\nurl: https://e.org/a\n")
    store = fake_store(settings)
    report = sync_index(settings, store)
    assert (report.added, report.failed, report.total_documents) == (1, 0, 1)
    assert report.chunks_written == report.total_chunks > 3
    text = ANNOUNCEMENT.read_text()
    for chunk in store.iter_chunks():
        m = chunk.metadata
        assert m["source"] == ANNOUNCEMENT.name and m["title"] == "The announcement" and m["url"] == "https://e.org/a"
        assert text[m["start_index"] : m["start_index"] + len(chunk.text)] == chunk.text
        assert {"chunk_index", "chunk_count", "doc_hash", "content_hash", "indexed_at"} <= m.keys()


def test_front_matter_facts_travel_with_every_chunk_and_a_removed_one_goes(settings):
    # A fact removed from the front matter must not survive in the index: the chunk text is unchanged,
    # so its id is too, and Chroma merges an upsert's metadata into the stored chunk's.
    path = write(settings, "a.md", "---\ntitle: A\nurl: https://e.org/a\ncountry: Belgium\naliases: [A, Alpha]\n---\n"
                 "# A\n\nA is a research centre in Genk.\n")
    store = fake_store(settings)
    sync_index(settings, store)
    (source,) = store.sources()
    assert source.facts == {"country": "Belgium", "aliases": "A; Alpha"} and source.url == "https://e.org/a"
    path.write_text("---\ntitle: A\naliases: [A, Alpha]\n---\n# A\n\nA is a research centre in Genk.\n")
    sync_index(settings, store)
    (source,) = store.sources()
    assert source.facts == {"aliases": "A; Alpha"} and source.url is None
    assert all("country" not in c.metadata and "url" not in c.metadata for c in store.iter_chunks())


def test_unchanged_rerun_embeds_nothing_and_changes_nothing(settings):
    write(settings, "a.md", "# A\n\nThe roundtable was in Copenhagen.\n")
    write(settings, "b.txt", "The visits went to Belgium and Sweden.")
    embeddings = FakeEmbeddings()
    store = fake_store(settings, embeddings)
    sync_index(settings, store)
    before = {c.id: c.metadata for c in store.iter_chunks()}
    calls, revision = embeddings.calls, store.revision()
    report = sync_index(settings, store)
    assert (report.unchanged, report.added, report.updated, report.chunks_written) == (2, 0, 0, 0)
    assert embeddings.calls == calls and store.revision() == revision
    assert {c.id: c.metadata for c in store.iter_chunks()} == before


def test_changed_document_is_replaced_and_deleted_one_removed(settings):
    write(settings, "a.txt", "Old text about Denmark.")
    gone = write(settings, "b.txt", "A document that will be deleted.")
    store = fake_store(settings)
    sync_index(settings, store)
    write(settings, "a.txt", "New text about the Netherlands.")
    gone.unlink()
    report = sync_index(settings, store)
    assert (report.updated, report.removed, report.total_documents) == (1, 1, 1)
    assert texts_of(store, "a.txt") == ["New text about the Netherlands."]
    assert texts_of(store, "b.txt") == []


def test_full_rebuild_starts_from_scratch(settings):
    write(settings, "a.txt", "Text about imec.")
    store = fake_store(settings)
    sync_index(settings, store)
    report = sync_index(settings, store, full=True)
    assert (report.added, report.unchanged, report.total_chunks) == (1, 0, 1)


def test_bad_files_are_reported_and_others_still_indexed(settings):
    write(settings, "good.txt", "The delegation had 12 members.")
    (settings.docs_dir / "empty.txt").write_text("")
    (settings.docs_dir / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (settings.docs_dir / "image.png").write_bytes(b"\x89PNG....")
    settings.max_file_mb = 0.001
    write(settings, "huge.txt", "x " * 2000)
    report = sync_index(settings, fake_store(settings))
    reasons = {f.path: f.reason for f in report.failures}
    assert report.added == 1 and report.failed == 4
    assert "empty" in reasons["empty.txt"] and "PDF" in reasons["broken.pdf"]
    assert "unsupported" in reasons["image.png"] and "MB limit" in reasons["huge.txt"]


def test_a_file_that_breaks_keeps_its_indexed_chunks(settings):
    good = settings.docs_dir / "report.pdf"
    from tests.ingest.test_loaders import make_pdf

    good.write_bytes(make_pdf(["EnergyVille is in Genk."]))
    store = fake_store(settings)
    sync_index(settings, store)
    good.write_bytes(b"%PDF-1.4 truncated upload")
    report = sync_index(settings, store)
    assert report.failed == 1 and report.removed == 0
    assert texts_of(store, "report.pdf") == ["EnergyVille is in Genk."]


def test_symlink_out_of_the_folder_is_not_followed(settings, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2")
    os.symlink(secret, settings.docs_dir / "link.txt")
    store = fake_store(settings)
    report = sync_index(settings, store)
    assert report.failures[0].path == "link.txt" and "outside" in report.failures[0].reason
    assert not any("hunter2" in c.text for c in store.iter_chunks())


def test_opening_an_index_built_with_another_model_says_to_rebuild(settings):
    write(settings, "a.txt", "Text.")
    sync_index(settings, fake_store(settings, name="model-a"))
    other = fake_store(settings, name="model-b")
    with pytest.raises(IndexModelMismatch, match="full re-index"):
        sync_index(settings, other)
    assert sync_index(settings, fake_store(settings, name="model-b"), full=True).added == 1


class Reader(threading.Thread):
    """A reader asking the index over and over while it is rewritten; a writer hook asks it for a
    sample at a chosen moment of the write and waits for it, so sampling during writes is proven."""

    def __init__(self, store) -> None:
        super().__init__(daemon=True)
        self.store, self.stop = store, threading.Event()
        self.vector = store.embeddings.embed_query("sentence about clusters")
        self._asked, self._answered = threading.Event(), threading.Event()
        self.samples: list[dict] = []

    def run(self) -> None:
        while not self.stop.is_set():
            during = self._asked.is_set()
            raw = self.store.query(self.vector, 200)
            seen = newest_versions([c for c, _ in raw])
            words = self.store.lexical().search(terms("sentence about clusters"), 200)
            self.samples.append({"during_write": during, "versions": {c.metadata["doc_hash"] for c in seen},
                                 "texts": {c.text for c in seen}, "lexical": {c.text for c, _ in words}})
            if during:
                self._asked.clear()
                self._answered.set()

    def sample_now(self) -> None:
        """Block the writer until the reader has taken a sample at this moment of the write."""
        self._answered.clear()
        self._asked.set()
        assert self._answered.wait(10), "the reader did not sample"

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.join()

    def __enter__(self) -> Reader:
        self.start()
        return self


def versions_text(n: int) -> list[str]:
    return [" ".join(f"Version {v} sentence {i} about clusters." for i in range(n)) for v in "AB"]


def test_reader_never_sees_a_document_twice_during_reindex(settings):
    versions = versions_text(40)
    write(settings, "doc.txt", versions[0])
    settings.chunk_size = 200
    store = fake_store(settings)
    sync_index(settings, store)
    both_there = []
    real_delete = store.delete

    def delete(ids):  # the new version is written, the old one not yet deleted: both are in the index
        if ids:
            both_there.append(len({c.metadata["doc_hash"] for c in store.iter_chunks(with_text=False)}))
            reader.sample_now()
        real_delete(ids)
    store.delete = delete
    with Reader(store) as reader:
        for round_ in range(6):
            write(settings, "doc.txt", versions[(round_ + 1) % 2])
            sync_index(settings, store)
    during = [s for s in reader.samples if s["during_write"]]
    assert both_there == [2] * 6 and len(during) == 6
    assert all(len(s["versions"]) == 1 for s in reader.samples)


def test_a_document_larger_than_a_window_is_written_in_parts_and_readers_see_old_or_new(settings, monkeypatch):
    monkeypatch.setattr("ingest.indexer.EMBED_WINDOW", 16)
    old, new = versions_text(150)
    write(settings, "doc.txt", old)
    settings.chunk_size = 100
    store = fake_store(settings)
    first = sync_index(settings, store)
    old_texts = {c.text for c in store.iter_chunks()}
    assert first.chunks_written == len(old_texts) > 3 * 16
    parts = []
    real_upsert = store.upsert

    def upsert(chunks, vectors):
        assert len(chunks) <= 16  # never more than a window per write
        real_upsert(chunks, vectors)
        parts.append(len(chunks))
        reader.sample_now()
    store.upsert = upsert
    write(settings, "doc.txt", new)
    shown = []
    with Reader(store) as reader:
        report = sync_index(settings, store, progress=lambda done, total, label: shown.append(label))
    total = len({c.id for c in store.iter_chunks()})
    assert shown[:2] == [f"doc.txt (16 of {total} chunks)", f"doc.txt (32 of {total} chunks)"]  # the progress bar
    during = [s for s in reader.samples if s["during_write"]]
    assert len(parts) >= 4 and len(during) == len(parts) and report.updated == 1
    assert all(s["texts"] <= old_texts for s in during[:-1])  # a new version in parts stays hidden
    new_texts = {c.text for c in store.iter_chunks()}
    assert all(s["texts"] in (old_texts, new_texts) for s in reader.samples)
    assert during[-1]["texts"] == old_texts and reader.samples[-1]["texts"] == new_texts
    # The lexical index the writer keeps makes the same promise: the old version until the new one is complete.
    assert all(s["lexical"] in (old_texts, new_texts) for s in reader.samples)
    assert during[-1]["lexical"] == old_texts and reader.samples[-1]["lexical"] == new_texts


def test_a_run_stopped_part_way_through_a_large_document_loses_at_most_a_window(settings, monkeypatch):
    monkeypatch.setattr("ingest.indexer.EMBED_WINDOW", 16)
    old, new = versions_text(150)
    write(settings, "doc.txt", old)
    settings.chunk_size = 100
    embeddings = FakeEmbeddings()
    store = fake_store(settings, embeddings)
    sync_index(settings, store)
    old_texts = {c.text for c in store.iter_chunks()}
    write(settings, "doc.txt", new)
    real_upsert, written, calls = store.upsert, [], []

    def upsert_then_die(chunks, vectors):
        calls.append(len(chunks))
        if len(calls) == 3:
            raise KeyboardInterrupt  # the process stops here, as under kill -9
        real_upsert(chunks, vectors)
        written.extend(chunks)
    store.upsert = upsert_then_die
    with pytest.raises(KeyboardInterrupt):
        sync_index(settings, store)
    store.upsert = real_upsert
    assert {c.text for c in store.iter_chunks()} == old_texts  # readers still see the old version whole
    before = embeddings.texts_embedded
    report = sync_index(settings, store)
    total = len({c.id for c in store.iter_chunks()})
    assert report.updated == 1 and report.chunks_written == total - len(written)
    assert embeddings.texts_embedded - before == total - len(written)
    assert {c.text for c in store.iter_chunks(unfinished=True)} == {c.text for c in store.iter_chunks()}
    assert not store.unfinished() and sync_index(settings, store).unchanged == 1


def test_a_symlink_loop_is_reported_and_the_rest_indexed(settings):
    write(settings, "good.txt", "The delegation visited imec in Leuven.")
    (settings.docs_dir / "sub").mkdir()
    os.symlink("loop.txt", settings.docs_dir / "sub" / "loop.txt")
    os.symlink("b.md", settings.docs_dir / "a.md")
    os.symlink("a.md", settings.docs_dir / "b.md")
    report = sync_index(settings, fake_store(settings))
    reasons = {f.path: f.reason for f in report.failures}
    assert report.added == 1 and report.total_documents == 1
    assert reasons == {"sub/loop.txt": "it is a symbolic link loop", "a.md": "it is a symbolic link loop",
                       "b.md": "it is a symbolic link loop"}


def test_a_dangling_link_is_reported_as_dangling(settings):
    write(settings, "good.txt", "The delegation visited imec in Leuven.")
    os.symlink("/nowhere/removed.txt", settings.docs_dir / "gone.txt")
    report = sync_index(settings, fake_store(settings))
    assert report.added == 1 and len(report.failures) == 1
    assert report.failures[0].reason == "it is a dangling link: its target /nowhere/removed.txt does not exist"


def test_a_file_name_that_is_not_utf8_is_indexed_under_a_readable_name(settings, caplog):
    write(settings, "good.txt", "The delegation visited imec in Leuven.")
    latin1 = os.path.join(os.fsencode(settings.docs_dir), b"caf\xe9.txt")
    with open(latin1, "wb") as handle:
        handle.write(b"The caf\xe9 on the Grand-Place served the delegation.")
    store = fake_store(settings)
    report = sync_index(settings, store)
    assert (report.added, report.failed, report.total_documents) == (2, 0, 2)
    assert [c.text for c in store.iter_chunks() if c.source == "caf\\xe9.txt"] == \
        ["The café on the Grand-Place served the delegation."]
    assert "not valid UTF-8" in caplog.text
    os.unlink(latin1)
    assert sync_index(settings, store).removed == 1


def test_a_document_of_headings_only_is_reported_failed_not_added(settings):
    write(settings, "good.txt", "The delegation visited imec in Leuven.")
    write(settings, "outline.md", "# Programme\n\n## Day one\n\n## Day two\n")
    store = fake_store(settings)
    first, second = sync_index(settings, store), sync_index(settings, store)
    for report in (first, second):  # reported on every run, never "added"
        assert [f.path for f in report.failures] == ["outline.md"]
        assert "no text under them" in report.failures[0].reason
        assert report.total_documents == 1 == len({c.source for c in store.iter_chunks()})
    assert (first.added, second.added, second.unchanged) == (1, 0, 1)


def test_a_utf16_text_file_is_indexed_as_its_text(settings):
    text = "Le délégation a visité Liège et København."
    (settings.docs_dir / "windows-unicode.txt").write_bytes(text.encode("utf-16"))  # with a BOM, as Notepad saves
    (settings.docs_dir / "no-bom.txt").write_bytes(("The délégation of clusters went to Liège and København. " * 3)
                                                   .encode("utf-16-le"))
    (settings.docs_dir / "noise.txt").write_bytes(bytes(range(256)) * 16)
    store = fake_store(settings)
    report = sync_index(settings, store)
    texts = {c.source: c.text for c in store.iter_chunks()}
    assert texts["windows-unicode.txt"] == text and texts["no-bom.txt"].startswith("The délégation of clusters")
    assert [(f.path, "encoding could not be recognised" in f.reason) for f in report.failures] == [("noise.txt", True)]


def test_files_that_vanish_or_change_after_the_folder_was_listed_are_reported_or_read_as_they_are(
        settings, monkeypatch):
    write(settings, "gone.txt", "A note that is deleted during the run.")
    write(settings, "edited.txt", "The first text.")
    store = fake_store(settings)
    listed = ingest.indexer.list_documents

    def list_then_edit(*args):
        found = listed(*args)
        (settings.docs_dir / "gone.txt").unlink()
        write(settings, "edited.txt", "The text saved while the run was going.")
        return found
    monkeypatch.setattr("ingest.indexer.list_documents", list_then_edit)
    report = sync_index(settings, store)
    monkeypatch.undo()
    assert [(f.path, f.reason) for f in report.failures] == [
        ("gone.txt", "it disappeared while the run was reading the folder")]
    assert texts_of(store, "edited.txt") == ["The text saved while the run was going."]
    again = sync_index(settings, store)
    assert (again.unchanged, again.failed, again.total_documents) == (1, 0, 1)

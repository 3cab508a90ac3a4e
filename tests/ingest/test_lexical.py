"""The lexical index the writer keeps beside the collection: BM25 as before, shared, never rebuilt by a reader."""

from __future__ import annotations

import bm25s
import pytest

from bot.retrieval import HybridRetriever
from ingest import PROJECT_ROOT, Chunk, ChunkStore, LexicalIndex, newest_versions, similar, sync_index, terms
from ingest.ledger import Ledger
from ingest.lexical import chunk_terms, connect
from ingest.store import HNSW_EF_SEARCH
from ingest.text import FORM_MARK, GROUPS, forms, tokens
from tests.conftest import ANNOUNCEMENT, fake_store

QUERIES = ["Who led the mission?", "When was the roundtable in Copenhagen?", "How many cleantech companies took part?",
           "Which Californian organisations joined?", "What did the delegation visit in Aarhus?"]


@pytest.fixture
def bundled(settings):
    settings.docs_dir = PROJECT_ROOT / "data" / "documents"  # read only
    store = fake_store(settings)
    sync_index(settings, store)
    return store


def _words(chunk: Chunk) -> list[str]:
    """Return a chunk's terms as bm25s is given them: without the forms of synonym groups (see below)."""
    counts, length = chunk_terms(chunk)
    words = [t for t in counts.elements() if FORM_MARK not in t]
    assert len(words) == length
    return words


def test_bm25_scores_are_those_of_bm25s_over_the_same_terms(bundled):
    chunks = newest_versions(list(bundled.iter_chunks()))
    reference = bm25s.BM25()
    reference.index([_words(c) for c in chunks], show_progress=False)
    lexical = bundled.lexical()
    for question in QUERIES:
        # A synonym group's term scores by its forms (the tests below); every other term as in bm25s.
        query = [v for t in terms(question) if t not in GROUPS
                 for v in ((t,) if lexical.df(t) else lexical.variants(t))]
        ids, scores = reference.retrieve([query], k=20, show_progress=False)
        expected = {chunks[i].id: float(s) for i, s in zip(ids[0], scores[0]) if s > 0}
        # Order among equal scores is arbitrary in both; the chunks and their scores are the same (bm25s
        # computes in float32, so to its precision).
        found = {c.id: s for c, s in lexical.search(query, 20)}
        assert found == pytest.approx(expected, rel=1e-5), question


def test_answering_never_reads_the_whole_collection(bundled, monkeypatch):
    def read_everything(*args, **kwargs):
        raise AssertionError("a reader read every chunk")

    monkeypatch.setattr(ChunkStore, "pages", read_everything)
    found = HybridRetriever(bundled).search("Where was the roundtable held?")
    assert found and any("roundtable" in p.chunk.text.lower() for p in found)
    assert {s.source for s in bundled.sources()} >= {"us-cluster-mission-to-the-eu-2018.txt"}


def test_a_new_document_is_found_by_its_words_as_soon_as_the_writer_commits(settings):
    (settings.docs_dir / "a.txt").write_text(ANNOUNCEMENT.read_text(encoding="utf-8"), encoding="utf-8")
    store = fake_store(settings)
    sync_index(settings, store)
    reader = fake_store(settings)  # another process: it opens the writer's file
    assert reader.lexical().search(["zanzibar"], 5) == []
    (settings.docs_dir / "b.txt").write_text("The delegation never went to Zanzibar.", encoding="utf-8")
    sync_index(settings, store)
    assert [c.source for c, _ in reader.lexical().search(["zanzibar"], 5)] == ["b.txt"]


def test_an_index_older_than_the_lexical_file_gets_one_without_reembedding(settings):
    (settings.docs_dir / "a.txt").write_text(ANNOUNCEMENT.read_text(encoding="utf-8"), encoding="utf-8")
    store = fake_store(settings)
    first = sync_index(settings, store)
    store.close()
    store.lexical_path.unlink()  # as an index made by an earlier version has it
    store = fake_store(settings)
    again = sync_index(settings, store)
    assert first.chunks_written > 0 and again.chunks_written == 0 and again.unchanged == 1
    assert store.lexical().search(terms("roundtable Copenhagen"), 3)
    assert [s.source for s in store.sources()] == ["a.txt"]


def test_chunks_chroma_holds_but_the_ledger_missed_are_caught_up(settings):
    (settings.docs_dir / "a.txt").write_text(ANNOUNCEMENT.read_text(encoding="utf-8"), encoding="utf-8")
    store = fake_store(settings)
    sync_index(settings, store)
    stray = next(store.iter_chunks())
    # A run killed between its Chroma write and the ledger's: Chroma has a chunk the ledger does not.
    moved = type(stray)("stray-id", stray.text, {**stray.metadata, "source": "gone.txt"})
    store.upsert([moved], store.embeddings.embed_documents([moved.text]))
    report = sync_index(settings, store)
    assert report.removed == 1 and "stray-id" not in {c.id for c in store.iter_chunks()}
    assert {c.source for c, _ in store.lexical().search(terms("roundtable"), 20)} == {"a.txt"}


def test_an_index_made_with_the_default_search_breadth_gets_the_wider_one(settings, caplog):
    (settings.docs_dir / "a.txt").write_text(ANNOUNCEMENT.read_text(encoding="utf-8"), encoding="utf-8")
    store = fake_store(settings)
    sync_index(settings, store)
    store.collection().modify(configuration={"hnsw": {"ef_search": 100}})  # as an earlier version made it
    store = fake_store(settings)
    with caplog.at_level("WARNING", logger="ingest.store"):
        report = sync_index(settings, store)
    assert report.chunks_written == 0
    assert store.client.get_collection(settings.collection).configuration_json["hnsw"]["ef_search"] == HNSW_EF_SEARCH
    # Chroma keeps the breadth it loaded until restarted (`benchmarks.bench_scale`'s recall): the operator is told.
    assert "restart chroma" in caplog.text and "it was 100" in caplog.text


def test_incremental_updates_give_the_index_a_rebuild_gives(settings):
    text = ANNOUNCEMENT.read_text(encoding="utf-8")
    half = len(text) // 2
    (settings.docs_dir / "a.txt").write_text(text[:half], encoding="utf-8")
    (settings.docs_dir / "b.txt").write_text(text[half:], encoding="utf-8")
    store = fake_store(settings)
    sync_index(settings, store)
    (settings.docs_dir / "a.txt").write_text(text[:half] + " The visit to Aarhus was cancelled.", encoding="utf-8")
    (settings.docs_dir / "b.txt").unlink()
    (settings.docs_dir / "c.txt").write_text(text[half // 2 :], encoding="utf-8")
    sync_index(settings, store)
    words = sorted(set(terms(text + " Aarhus cancelled")))

    def seen():
        lexical = store.lexical()
        return ([round(lexical.idf(w), 9) for w in words], lexical.rare_idf(),
                [sorted((c.id, round(s, 6)) for c, s in lexical.search([w], 50)) for w in words],
                [(s.source, s.chunks) for s in store.sources()])

    incremental = seen()
    store.ledger().rebuild(store)
    assert seen() == incremental


def test_the_bot_gives_an_index_from_before_the_lexical_file_one_when_it_starts(settings):
    from bot.app import index_if_needed
    from bot.engine import AnswerEngine

    (settings.docs_dir / "a.txt").write_text(ANNOUNCEMENT.read_text(encoding="utf-8"), encoding="utf-8")
    store = fake_store(settings)
    sync_index(settings, store)
    store.close()
    store.lexical_path.unlink()  # as an index made by an earlier version has it
    engine = AnswerEngine(fake_store(settings))
    assert engine.retriever.lexical().search(terms("roundtable"), 3) == []
    report = index_if_needed(engine, settings)
    assert report is not None and report.chunks_written == 0
    assert engine.retriever.lexical().search(terms("roundtable"), 3)
    assert index_if_needed(engine, settings) is None


def test_a_lexical_file_from_a_release_that_analysed_words_differently_is_rebuilt_at_start(settings, caplog):
    from bot.app import index_if_needed
    from bot.engine import AnswerEngine

    (settings.docs_dir / "a.txt").write_text(ANNOUNCEMENT.read_text(encoding="utf-8"), encoding="utf-8")
    store = fake_store(settings)
    sync_index(settings, store)
    store.close()
    db = connect(store.lexical_path)
    db.execute("UPDATE meta SET value = '0' WHERE key = 'format'")  # as an earlier release wrote it
    db.close()
    engine = AnswerEngine(fake_store(settings))
    assert engine.retriever.lexical().search(terms("roundtable"), 3) == []
    assert "written by another version" in caplog.text
    report = index_if_needed(engine, settings)
    assert report is not None and report.chunks_written == 0  # nothing embedded again
    assert engine.retriever.lexical().search(terms("roundtable"), 3)


def _filled_lexical(path, common: int) -> LexicalIndex:
    """Write a lexical file of `common` chunks that share the word "report" and ten about Zanzibar."""
    ledger = Ledger(path)
    filler = [Chunk(f"f{i}", f"The quarterly report, number {i}.", {"source": "filler.txt", "doc_hash": "h"})
              for i in range(common)]
    rare = [Chunk(f"z{i}", f"A report from Zanzibar, part {i}.", {"source": "zanzibar.txt", "doc_hash": "h"})
            for i in range(10)]
    ledger.add(filler + rare)
    ledger.publish("filler.txt", "h", [])
    ledger.publish("zanzibar.txt", "h", [])
    ledger.close()
    return LexicalIndex(connect(path))


def test_a_view_whose_revision_the_writer_replaced_finds_the_new_version_whole(tmp_path):
    path = tmp_path / "lexical.sqlite3"
    ledger = Ledger(path)
    old = [Chunk(f"a{i}", f"Old report {i} about the roundtable.", {"source": "doc.txt", "doc_hash": "a"})
           for i in range(3)]
    ledger.add(old)
    ledger.publish("doc.txt", "a", [])
    view = LexicalIndex(connect(path))
    assert len(view.search(["roundtabl"], 10)) == 3  # its postings are now kept in memory
    new = [Chunk(f"b{i}", f"New report {i} about the roundtable.", {"source": "doc.txt", "doc_hash": "b"})
           for i in range(3)]
    ledger.add(new)
    ledger.publish("doc.txt", "b", [c.id for c in old])  # committed while the view is in use
    ledger.close()
    # A question in flight still holds the older view: it gets the new version, not the old one's postings
    # without their chunks.
    assert sorted(c.id for c, _ in view.search(["roundtabl"], 10)) == ["b0", "b1", "b2"]


def test_a_common_word_is_read_once_per_revision_not_for_every_question(tmp_path):
    def work(lexical: LexicalIndex) -> tuple[int, list[str]]:
        lexical.search(["zanzibar", "report"], 5)  # the first question of this revision reads the postings
        steps = [0]
        lexical._db.set_progress_handler(lambda: steps.__setitem__(0, steps[0] + 1), 100)
        found = [c.source for c, _ in lexical.search(["zanzibar", "report"], 5)]
        return steps[0], found

    small, found_small = work(_filled_lexical(tmp_path / "small.sqlite3", 500))
    large, found_large = work(_filled_lexical(tmp_path / "large.sqlite3", 5000))
    assert found_small == found_large == ["zanzibar.txt"] * 5
    # Ten times the chunks holding "report" may not cost a later question ten times the reading.
    assert large < 2 * small


def test_forms_of_one_word_match_but_words_that_only_start_alike_do_not():
    assert similar(*terms("Californian California"))
    assert similar(*terms("expertise expert"))
    # With the Python documentation indexed, "a new Roundup installation" was read as about the roundtable.
    assert not similar(*terms("roundtable Roundup"))
    assert not similar(*terms("transfer transit"))


def _indexed(tmp_path, texts: dict[str, str]) -> LexicalIndex:
    ledger = Ledger(tmp_path / "lexical.sqlite3")
    for name, text in texts.items():
        ledger.add([Chunk(name, text, {"source": f"{name}.txt", "doc_hash": "h"})])
        ledger.publish(f"{name}.txt", "h", [])
    ledger.close()
    return LexicalIndex(connect(tmp_path / "lexical.sqlite3"))


def _found(lexical: LexicalIndex, question: str) -> list[str]:
    return [c.id for c, _ in lexical.search(terms(question), 10, forms(question))]


def test_a_synonym_common_in_other_text_does_not_outweigh_the_word_asked(tmp_path):
    # At 100k chunks of Python documentation, "an open source conference has 750 attendees" answered how many
    # took part in the roundtable: "conference" stood for "roundtable", and weighed as much.
    lexical = _indexed(tmp_path, {
        "mission": "The roundtable in Copenhagen gathered 32 participants from clusters across Europe and the US.",
        **{f"python{i}": f"The conference {i} had 750 participants." for i in range(6)}})
    assert _found(lexical, "How many participants were at the roundtable?")[0] == "mission"


def test_a_rare_synonym_weighs_no_more_than_the_word_asked(tmp_path):
    texts = {"panel": "The panel met in Copenhagen.", "conference": "The conference met in Copenhagen.",
             **{f"other{i}": f"Another conference, number {i}." for i in range(4)}}
    lexical = _indexed(tmp_path, texts)
    scores = {c.id: s for c, s in lexical.search(terms("conference"), 10, forms("conference"))}
    assert scores["panel"] == pytest.approx(scores["conference"])
    # Asked with the rarer word, the chunk that has it comes first.
    assert _found(lexical, "panel")[0] == "panel"


def test_an_identifier_is_one_word_not_its_parts(tmp_path):
    # With Debian changelogs indexed, "How do I bake bread?" was answered by "fat: add ratelimit to fat*_ent_bread()".
    assert tokens("don't call sb_bread() with pointers_lock held") == ["don't", "call", "sb_bread", "with",
                                                                      "pointers_lock", "held"]
    lexical = _indexed(tmp_path, {"changelog": "sysv: don't call sb_bread() with pointers_lock held",
                                  "recipe": "Knead the dough, then bake the bread for forty minutes."})
    assert _found(lexical, "How do I bake bread?") == ["recipe"]

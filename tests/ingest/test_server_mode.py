"""The same ingestion against a real `chroma run` server on loopback."""

from __future__ import annotations

from ingest import sync_index
from tests.conftest import fake_store


def test_index_and_reindex_against_a_chroma_server(settings, chroma_server):
    host, port = chroma_server
    settings.chroma_host, settings.chroma_port, settings.collection = host, port, "server-mode-test"
    (settings.docs_dir / "a.md").write_text("# Visit\n\nThe delegation visited imec in Belgium.\n")
    (settings.docs_dir / "b.txt").write_text("The roundtable had 32 participants.")
    store = fake_store(settings)
    first = sync_index(settings, store)
    assert (first.added, first.total_documents) == (2, 2)
    (settings.docs_dir / "b.txt").unlink()
    second = sync_index(settings, fake_store(settings))  # a second process would open it afresh
    assert (second.unchanged, second.removed, second.total_chunks) == (1, 1, 1)
    hits = store.query(store.embeddings.embed_query("imec Belgium"), 1)
    assert "imec" in hits[0][0].text and store.location == f"Chroma server {host}:{port}"

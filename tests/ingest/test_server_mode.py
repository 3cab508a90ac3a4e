"""The same ingestion against a real `chroma run` server on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ingest import IndexBusy, sync_index
from ingest.locks import ChromaLease
from ingest.store import make_client
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


def test_writers_in_different_processes_exclude_each_other_through_the_server(settings, chroma_server, tmp_path):
    # Two containers share no lock file: the lease lives in the Chroma server itself.
    host, port = chroma_server
    settings.chroma_host, settings.chroma_port, settings.collection = host, port, "lease-test"
    (settings.docs_dir / "a.txt").write_text("The roundtable had 32 participants.")
    other_container = ChromaLease(make_client(settings), settings.collection)
    other_container.acquire()
    elsewhere = settings.model_copy(update={"index_dir": tmp_path / "another-host"})
    with pytest.raises(IndexBusy, match="already running"):
        sync_index(elsewhere, fake_store(elsewhere))
    env = {**os.environ, "MISSIONBOT_DOCS_DIR": str(settings.docs_dir), "MISSIONBOT_INDEX_DIR": str(tmp_path / "x"),
           "MISSIONBOT_COLLECTION": settings.collection, "MISSIONBOT_AGENDA_FILE": ""}
    result = subprocess.run([sys.executable, "-m", "ingest", "--chroma-host", host, "--chroma-port", str(port)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "already running" in result.stderr
    other_container.release()
    assert sync_index(elsewhere, fake_store(elsewhere)).added == 1


def test_a_lease_left_by_a_killed_writer_expires(settings, chroma_server):
    host, port = chroma_server
    settings.chroma_host, settings.chroma_port, settings.collection = host, port, "lease-expiry-test"
    client = make_client(settings)
    # 3 s leaves room for a slow machine between taking the lease and the next writer's look at it.
    killed = ChromaLease(client, settings.collection, seconds=3)
    killed.acquire()  # and never released
    with pytest.raises(IndexBusy):
        ChromaLease(client, settings.collection).acquire()
    time.sleep(max(0.0, killed.holder()["expires"] - time.time()) + 0.05)  # until the lease has expired
    ChromaLease(client, settings.collection).acquire()

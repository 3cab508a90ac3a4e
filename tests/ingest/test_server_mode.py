"""The same ingestion against a real `chroma run` server on loopback."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time

import pytest

from bot.testing import free_port
from bot.testing.ingest_runs import WINDOW_CHUNK_SIZE, expected_ids, make_window_corpus
from ingest import ChunkStore, IndexBusy, IndexSettings, open_store, sync_index
from ingest.locks import ChromaLease
from tests.conftest import fake_store, launch_chroma


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
    other_container = ChromaLease(fake_store(settings), settings.collection)
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
    store = fake_store(settings)
    # 3 s leaves room for a slow machine between taking the lease and the next writer's look at it.
    killed = ChromaLease(store, settings.collection, seconds=3)
    killed.acquire()  # and never released
    with pytest.raises(IndexBusy):
        ChromaLease(store, settings.collection).acquire()
    time.sleep(max(0.0, killed.holder()["expires"] - time.time()) + 0.05)  # until the lease has expired
    ChromaLease(store, settings.collection).acquire()


@pytest.fixture
def own_chroma(tmp_path):
    """A Chroma server of this test's own, since the test kills and restarts it."""
    state = {"path": tmp_path / "chroma-data", "port": free_port()}
    state["proc"] = launch_chroma(state["path"], state["port"])
    yield state
    state["proc"].kill()
    state["proc"].wait(10)


def kill_chroma(state) -> None:
    state["proc"].kill()
    state["proc"].wait(10)


def start_ingest(docs, state, tmp_path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", "-v", "--json", "--docs", str(docs), "--chroma-host", "127.0.0.1",
         "--chroma-port", str(state["port"])], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "MISSIONBOT_AGENDA_FILE": "/nonexistent", "MISSIONBOT_CHUNK_SIZE": WINDOW_CHUNK_SIZE,
             "MISSIONBOT_INDEX_DIR": str(tmp_path / "unused"), "MISSIONBOT_COLLECTION": "restart-test", **env})


def read_until(proc: subprocess.Popen, text: str) -> str:
    """Read the run's log until a line containing text (the event the test waits for); return what was read."""
    seen = ""
    for line in proc.stderr:
        seen += line
        if text in line:
            return seen
    pytest.fail(f"the run ended without logging {text!r}:\n{seen}")


def server_state(state) -> tuple[list[str], dict | None, ChunkStore]:
    """Return the chunk ids in the server (every version), the writer lease, and a reader's store."""
    settings = IndexSettings(chroma_host="127.0.0.1", chroma_port=state["port"], collection="restart-test",
                             agenda_file=None, _env_file=None)
    store = open_store(settings)
    ids = sorted(c.id for c in store.iter_chunks(with_text=False, unfinished=True))
    return ids, ChromaLease(store, settings.collection).holder(), store


@pytest.mark.slow
def test_a_chroma_server_restarted_mid_run_is_waited_for_and_the_run_completes(tmp_path, own_chroma):
    docs = tmp_path / "docs"
    make_window_corpus(docs, documents=14)
    run = start_ingest(docs, own_chroma, tmp_path)
    read_until(run, "wrote window 1")
    kill_chroma(own_chroma)
    read_until(run, "is not answering")
    own_chroma["proc"] = launch_chroma(own_chroma["path"], own_chroma["port"])
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert "Traceback" not in err and json.loads(out)["added"] == 14
    ids, lease, _ = server_state(own_chroma)
    assert ids == expected_ids(docs) and lease is None  # complete, and the lease released


@pytest.mark.slow
def test_a_chroma_server_that_stays_away_ends_the_run_clearly_and_the_next_run_completes(tmp_path, own_chroma):
    docs = tmp_path / "docs"
    make_window_corpus(docs, documents=14)
    run = start_ingest(docs, own_chroma, tmp_path, MISSIONBOT_CHROMA_RETRY_SECONDS="2")
    read_until(run, "wrote window 1")
    kill_chroma(own_chroma)
    _, err = run.communicate(timeout=300)
    assert run.returncode == 2 and "Traceback" not in err
    assert "stopped answering (ConnectError) and was not back within 2 s" in err
    assert "run `python -m ingest` again when the server is back" in err
    own_chroma["proc"] = launch_chroma(own_chroma["path"], own_chroma["port"])
    ids, lease, store = server_state(own_chroma)
    assert lease is not None and 0 < len(ids) < len(expected_ids(docs))  # the dead run's lease and half an index
    for source, chunks in itertools.groupby(sorted(store.iter_chunks(), key=lambda c: c.source), lambda c: c.source):
        chunks = list(chunks)  # what readers see: whole documents only
        assert len(chunks) == chunks[0].metadata["chunk_count"], source
    again = start_ingest(docs, own_chroma, tmp_path)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "taking over the writer lease" in err and "that process has stopped" in err
    ids, lease, _ = server_state(own_chroma)
    assert ids == expected_ids(docs) and lease is None

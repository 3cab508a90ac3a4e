"""README "Operating": backing the index up and restoring it (embedded and server), and upgrading."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.testing import free_port
from bot.testing.ingest_runs import run_ingest
from ingest import IndexReport, IndexSettings, open_store, sync_index
from ingest.lexical import lexical_path
from tests.conftest import ANNOUNCEMENT, fake_store, launch_chroma
from tests.ingest.test_indexer import write

QUESTION = "Where was the roundtable held?"


def ask(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `python -m bot ask QUESTION --json` with these settings."""
    return subprocess.run([sys.executable, "-m", "bot", "ask", QUESTION, "--json"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "MISSIONBOT_AGENDA_FILE": "/nonexistent", **env})


def copy(source: Path, target: Path) -> None:
    """`cp -a`, as README tells an operator to."""
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)


def index_now(settings: IndexSettings) -> IndexReport:
    """Bring the index in step with the documents in this process, as `python -m ingest` would."""
    store = open_store(settings)
    try:
        return sync_index(settings, store)
    finally:
        store.close()


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_an_index_backed_up_lost_and_restored_answers_as_before_without_re_embedding(tmp_path, mode):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ANNOUNCEMENT, docs)
    settings = IndexSettings(docs_dir=docs, index_dir=tmp_path / "index", agenda_file=None, _env_file=None)
    chroma = None
    if mode == "server":
        index, port = tmp_path / "chroma-data", free_port()  # `chroma run --path`, the chroma-data volume
        settings.chroma_host, settings.chroma_port = "127.0.0.1", port
        chroma = launch_chroma(index, port)
    else:
        index = tmp_path / "index" / "chroma"
    env = {"MISSIONBOT_DOCS_DIR": str(docs), "MISSIONBOT_INDEX_DIR": str(settings.index_dir),
           **({"MISSIONBOT_CHROMA_HOST": "127.0.0.1", "MISSIONBOT_CHROMA_PORT": str(port)} if chroma else {})}
    try:
        assert index_now(settings).added == 1
        if chroma is not None:  # stop the Chroma server (the bot is not running in the embedded case)
            chroma.terminate()
            chroma.wait(30)
        lexical = lexical_path(settings.index_dir, settings.collection)
        (tmp_path / "backup").mkdir()
        copy(index, tmp_path / "backup" / "chroma")
        if chroma is None:  # README: the embedded index is the chroma folder and the lexical file beside it
            shutil.copy2(lexical, tmp_path / "backup")
        shutil.rmtree(index)  # lost, with the lexical file
        lexical.unlink()
        copy(tmp_path / "backup" / "chroma", index)
        if chroma is None:
            shutil.copy2(tmp_path / "backup" / lexical.name, lexical)
        else:  # the lexical file was not backed up: answers by meaning, then the next run rebuilds it
            chroma = launch_chroma(index, port)
        answered = ask(env)
        assert answered.returncode == 0, answered.stderr
        assert "Arkitektur Center" in json.loads(answered.stdout)["answer"]
        again = index_now(settings)
        assert (again.unchanged, again.chunks_written) == (1, 0) and lexical.is_file()
    finally:
        if chroma is not None:
            chroma.terminate()
            chroma.wait(30)


def test_a_new_embedding_model_is_refused_with_the_old_index_and_answers_from_a_new_collection(tmp_path,
                                                                                               openai_server):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ANNOUNCEMENT, docs)
    old = IndexSettings(docs_dir=docs, index_dir=tmp_path / "index", agenda_file=None, embedding_provider="openai",
                        embedding_model="old-model", _env_file=None,
                        **{"MISSIONBOT_EMBEDDING_BASE_URL": openai_server.url, "MISSIONBOT_EMBEDDING_API_KEY": "x"})
    assert index_now(old).added == 1
    env = {"MISSIONBOT_DOCS_DIR": str(docs), "MISSIONBOT_INDEX_DIR": str(old.index_dir),
           "MISSIONBOT_EMBEDDING_PROVIDER": "openai", "MISSIONBOT_EMBEDDING_BASE_URL": openai_server.url,
           "MISSIONBOT_EMBEDDING_API_KEY": "unused", "MISSIONBOT_EMBEDDING_MODEL": "new-model"}  # the upgrade
    refused = run_ingest(env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "built with the embedding model 'openai:old-model'" in refused.stderr
    asked = ask(env)
    assert asked.returncode == 1 and "built with another embedding model" in asked.stdout
    assert index_now(old).unchanged == 1  # nothing was overwritten
    new = old.model_copy(update={"embedding_model": "new-model", "collection": "missionbot-new-model"})
    assert index_now(new).added == 1  # README's way: a new collection beside the old one
    assert ask({**env, "MISSIONBOT_COLLECTION": new.collection}).returncode == 0
    rebuilt = run_ingest("--full", env=env)  # what the refusal says to do: rebuild in place with the new model
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert ask(env).returncode == 0


def test_a_release_that_reads_or_splits_documents_differently_reindexes_every_document(settings, monkeypatch):
    write(settings, "a.md", "# Visit\n\nThe delegation visited imec in Belgium.\n")
    write(settings, "b.txt", "The roundtable had 32 participants.")
    assert sync_index(settings, fake_store(settings)).added == 2
    monkeypatch.setattr("ingest.indexer.PIPELINE_VERSION", "a later release")
    upgraded = sync_index(settings, fake_store(settings))
    assert (upgraded.updated, upgraded.total_documents) == (2, 2) and upgraded.chunks_written >= 2
    assert sync_index(settings, fake_store(settings)).unchanged == 2

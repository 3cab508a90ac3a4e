"""Shared fixtures: isolated settings, a deterministic fake embedding, a real Chroma server."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from bot.testing import chroma, free_port
from bot.testing.vectors import bag_of_words
from ingest import ChunkStore, IndexSettings
from ingest.lexical import lexical_path
from ingest.opening import describe_location, make_client

REPO = Path(__file__).resolve().parents[1]
ANNOUNCEMENT = REPO / "data" / "documents" / "us-cluster-mission-to-the-eu-2018.txt"


class FakeEmbeddings(Embeddings):
    """Deterministic bag-of-words vectors: cheap, offline, and similar texts get similar vectors."""

    dimension = 64

    def __init__(self) -> None:
        self.calls = 0
        self.texts_embedded = 0

    def _vector(self, text: str) -> list[float]:
        return bag_of_words(text, self.dimension)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts_embedded += len(texts)
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


@pytest.fixture
def settings(tmp_path: Path) -> IndexSettings:
    docs = tmp_path / "docs"
    docs.mkdir()
    return IndexSettings(docs_dir=docs, index_dir=tmp_path / "index", agenda_file=None, _env_file=None)


def fake_store(settings: IndexSettings, embeddings: Embeddings | None = None, name: str = "fake") -> ChunkStore:
    """Open the settings' index with a fake embedding model."""
    embeddings = embeddings or FakeEmbeddings()
    return ChunkStore(make_client(settings), settings.collection, embeddings, name, 64,
                      describe_location(settings), lexical_path(settings.index_dir, settings.collection))


def launch_chroma(path: Path, port: int) -> subprocess.Popen:
    """Start `chroma run` on loopback and wait for its heartbeat; return the process."""
    try:
        return chroma.launch_chroma(path, port)
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """Start a real `chroma run` on a free loopback port for the session; yield (host, port)."""
    port = free_port()
    proc = launch_chroma(tmp_path_factory.mktemp("chroma-server"), port)
    yield "127.0.0.1", port
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory):
    """Index the bundled documents once per session with the real local model; yield (settings, store)."""
    from bot.settings import BotSettings
    from ingest import open_store, sync_index

    settings = BotSettings(index_dir=tmp_path_factory.mktemp("bundled-index"), _env_file=None,
                           answer_mode="extractive")
    store = open_store(settings)
    sync_index(settings, store)
    return settings, store


@pytest.fixture(scope="session")
def openai_session():
    """A local OpenAI-compatible server for the whole session."""
    from bot.testing.openai_server import FakeOpenAI

    server = FakeOpenAI(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def openai_server(openai_session):
    """The local OpenAI-compatible server, with an empty script and no recorded requests."""
    openai_session.reset()
    yield openai_session
    openai_session.reset()

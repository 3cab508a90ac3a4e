"""The reader's sentence-vector cache stays within its byte budget and never loses a question's own chunks."""

from __future__ import annotations

from bot.retrieval import Passage
from bot.vectors import SentenceVectors
from ingest import Chunk
from tests.conftest import FakeEmbeddings

SENTENCE = 64 * 4  # bytes of one sentence's vector from the fake model (no token vectors)


def passages(names: list[str]) -> list[Passage]:
    return [Passage(Chunk(f"id-{n}", f"The {n} visit was in Leuven.", {"source": f"{n}.txt"}), 0.5, 0.0, 0.1)
            for n in names]


def test_the_cache_keeps_to_its_byte_budget_and_embeds_a_chunk_again_when_it_comes_back():
    model = FakeEmbeddings()
    cache = SentenceVectors(model, budget=4 * SENTENCE)
    first = cache.get(passages([f"a{i}" for i in range(10)]))
    assert len(first) == 10  # one question's chunks are all read, even past the budget
    cache.get(passages(["b0", "b1"]))
    before = model.texts_embedded
    cache.get(passages(["b0", "b1"]))  # recent: kept
    assert model.texts_embedded == before
    again = cache.get(passages(["a0"]))  # pushed out: embedded again, the same result
    assert model.texts_embedded == before + 1
    assert (again["id-a0"].vectors == first["id-a0"].vectors).all()

"""An OpenAI-compatible embeddings endpoint whose failures read like the store's: IndexUnavailable, in one
sentence, so that every caller (the indexer, the bot's faces) says "unavailable" instead of a traceback."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import openai
from langchain_core.embeddings import Embeddings

from ingest.errors import IndexUnavailable

T = TypeVar("T")


class EndpointEmbeddings(Embeddings):
    """Embeddings from a remote endpoint; an unreachable or failing endpoint raises IndexUnavailable."""

    def __init__(self, model: Embeddings, location: str) -> None:
        self.model = model
        self.location = location

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages."""
        return self._call(self.model.embed_documents, texts)

    def embed_query(self, text: str) -> list[float]:
        """Embed a question."""
        return self._call(self.model.embed_query, text)

    def _call(self, fn: Callable[..., T], arg) -> T:
        try:
            return fn(arg)
        except openai.APIError as exc:  # refused, timed out, or an HTTP error after the client's retries
            raise IndexUnavailable(f"the embeddings endpoint {self.location} is unavailable "
                                   f"({type(exc).__name__})") from exc

"""The one answer contract both modes fill, and the faces (Discord, terminal, JSON) render."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from ingest import Chunk

QUOTE_CHARS = 200
REFUSAL_HINT = "Try /agenda for the programme, or ask the mission's organisers (inno TSD)."
REFUSAL = f"The documents I have don't say. {REFUSAL_HINT}"


class LLMUnavailable(Exception):
    """The language model failed (timeout, rate limit, server error, bad key); the message says which."""


@dataclass
class Citation:
    """A numbered source for part of an answer, with a verbatim quote from the passage."""

    index: int
    source: str
    title: str
    url: str | None
    page: int | None
    section: str | None
    quote: str
    chunk_id: str
    score: float

    @classmethod
    def from_chunk(cls, index: int, chunk: Chunk, quote: str, score: float) -> Citation:
        """Cite a chunk with a quote taken verbatim from it."""
        m = chunk.metadata
        return cls(index, chunk.source, m.get("title", ""), m.get("url"), m.get("page"), m.get("section"),
                   short_quote(quote), chunk.id, round(float(score), 4))


@dataclass
class Answer:
    """What the engine says to a question."""

    question: str
    answer: str
    grounded: bool
    mode: str  # "llm" or "extractive"
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    note: str | None = None  # e.g. why this is an extractive fallback
    standalone_question: str | None = None
    short: str = ""  # the answer itself ("Genk"), when the question asked for a kind of fact

    @classmethod
    def quoting(cls, question: str, chunk: Chunk, quote: str, lead: str = "", short: str = "") -> Answer:
        """Return an extractive answer that rests on one quote of a chunk: "lead [1]: “quote” [1]", or the
        quote alone without a lead; the citation holds the quote without its "…"."""
        text = f"{lead} [1]: “{quote}” [1]" if lead else f"“{quote}” [1]"
        return cls(question, text, True, "extractive", [Citation.from_chunk(1, chunk, quote.strip("…"), 1.0)],
                   short=short)

    def as_dict(self) -> dict:
        """Return the JSON form of `python -m bot ask --json`."""
        return asdict(self)


def and_list(items: list[str]) -> str:
    """Join items as a sentence lists them: "A", "A and B", "A, B and C"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def short_quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """Shorten text to a verbatim prefix of at most `limit` characters, cut at a word, marked with …."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


# Discord's mention syntax: @everyone, @here, and user (<@id>, <@!id>), role (<@&id>) and channel (<#id>) mentions.
MENTION = re.compile(r"@(?:everyone|here)|<(?:@[!&]?|#)(\d+)>")


def defuse_mentions(text: str) -> str:
    """Break @everyone, @here and user, role or channel mentions so that no renderer can ping."""
    return MENTION.sub(lambda m: m.group(0).replace("@", "@\u200b").replace("<", "<\u200b"), text)


def without_mentions_of(user_id: int, text: str) -> str:
    """Remove the mentions of one user (the bot addressed by name) from a message."""
    return MENTION.sub(lambda m: "" if m.group(1) == str(user_id) and "&" not in m.group(0) else m.group(0),
                       text).strip()

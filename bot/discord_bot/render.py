"""Turn answers, the agenda and reports into Discord messages within Discord's limits."""

from __future__ import annotations

import re
from dataclasses import dataclass

import discord

from bot.agenda import Agenda, AgendaEntry
from bot.answer import Answer, Citation, defuse_mentions
from bot.wording import NO_AGENDA_MATCH, agenda_days, agenda_item, citation_line

CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
FIELD_VALUE_LIMIT = 1024
FIELD_NAME_LIMIT = 256
MAX_FIELDS = 25
COLOUR = discord.Colour.blurple()


@dataclass
class Part:
    """One message to send: text, and an embed on the last part."""

    content: str
    embed: discord.Embed | None = None


def split_text(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """Split text into pieces of at most `limit` characters at paragraph, line, sentence or word
    boundaries, never inside or just before a citation marker ("[3]")."""
    parts, rest = [], text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts + [rest] if rest else parts


def _cut_point(text: str, limit: int) -> int:
    window = text[: limit + 1]
    for pattern in (r"\n\s*\n", r"\n", r"(?<=[.!?\]])\s+(?!\[\d)", r"\s+(?!\[\d)"):
        ends = [m.start() for m in re.finditer(pattern, window) if 0 < m.start() <= limit]
        if ends:
            return ends[-1]
    return limit


def answer_parts(answer: Answer) -> list[Part]:
    """Render an answer: its text (split if long), a note if it is a fallback, and its sources."""
    # Nothing is sent with allowed mentions anyway; breaking them in the text as well means a
    # quoted "@everyone" cannot ping even if a message were ever sent without that setting.
    text = defuse_mentions(answer.answer)
    if answer.note:
        text += f"\n-# ℹ️ {answer.note}"
    parts = [Part(p) for p in split_text(text)]
    if answer.citations:
        parts[-1].embed = sources_embed(answer.citations)
    return parts


def sources_embed(citations: list[Citation]) -> discord.Embed:
    """List the sources: number, title, section or page, link, and a short quote."""
    lines = [f"{citation_line(c, markdown=True)}\n> {defuse_mentions(c.quote)}" for c in citations]
    description = ""
    for line in lines:
        if len(description) + len(line) + 2 > DESCRIPTION_LIMIT:
            break
        description += ("\n\n" if description else "") + line
    return discord.Embed(title="Sources", description=description, colour=COLOUR)


def agenda_embed(agenda: Agenda, entries: list[AgendaEntry], filters: str) -> discord.Embed:
    """Render programme entries as fields (date · title → place, notes, organisations)."""
    embed = discord.Embed(title=agenda.title[:256], colour=COLOUR,
                          description=f"From the announcement. {filters}".strip()[:DESCRIPTION_LIMIT])
    for item in map(agenda_item, entries[:MAX_FIELDS]):
        lines = [f"📍 {item.place}", *(f"*{note}*" for note in item.notes), *filter(None, [item.organisations])]
        value = "\n".join(lines)
        if len(value) > FIELD_VALUE_LIMIT:
            value = value[: FIELD_VALUE_LIMIT - 1] + "…"
        embed.add_field(name=item.heading[:FIELD_NAME_LIMIT], value=value, inline=False)
    if not entries:
        embed.add_field(name=NO_AGENDA_MATCH, value=agenda_days(agenda), inline=False)
    return embed

"""What every face says, in one place: citation, source and agenda lines, re-index reports, and the
messages for failures. Discord and the terminal only style these (Markdown, colours); the words live here."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from bot.agenda import Agenda, AgendaEntry
from bot.answer import Citation
from bot.engine import IndexEmpty, QuestionRejected
from bot.inflight import ShuttingDown
from bot.service import UploadRejected
from ingest import (
    Failure,
    IndexBusy,
    IndexModelMismatch,
    IndexProblem,
    IndexReport,
    SourceInfo,
    failure_line,
    plural,
    summary,
)

log = logging.getLogger(__name__)

UNAVAILABLE = "The knowledge base is unavailable right now; please try again shortly."
NO_AGENDA_MATCH = "No programme entry matches."
NOTHING_INDEXED = "Nothing is indexed yet: an admin needs to run /reindex (or `python -m ingest`)."


def slow_down(seconds: float) -> str:
    """Tell a user who asks faster than the cooldown how long to wait."""
    return f"You're asking quickly; please wait {seconds:.0f} s."


def user_message(exc: BaseException) -> str | None:
    """Return what to tell the user about an expected failure, or None for an unexpected one."""
    if isinstance(exc, IndexEmpty):
        return NOTHING_INDEXED
    if isinstance(exc, IndexBusy):  # its message is the one wording of "already running"
        return str(exc)
    if isinstance(exc, IndexModelMismatch):
        return "The index was built with another embedding model: an admin needs to run /reindex full."
    if isinstance(exc, IndexProblem):  # logged once per outage by the Assistant
        return UNAVAILABLE
    if isinstance(exc, QuestionRejected | UploadRejected | ShuttingDown):
        return str(exc)
    return None


def failure_reply(exc: BaseException) -> str:
    """Return the reply for any failure; an unexpected one is logged in full under a short error id."""
    known = user_message(exc)
    if known is not None:
        return known
    error_id = uuid.uuid4().hex[:8]
    log.error("error %s", error_id, exc_info=exc)
    return f"Sorry, something went wrong (error `{error_id}`). The organisers can find it in the log."


def citation_where(citation: Citation) -> str:
    """Say where in its document a citation points: "Section · p. 3"."""
    return " · ".join(x for x in (citation.section, f"p. {citation.page}" if citation.page else None) if x)


def citation_line(citation: Citation, markdown: bool = False) -> str:
    """Render "[n] Title — where", linked: a Markdown link, or else the URL (or the file) in brackets."""
    title, where = citation.title or citation.source, citation_where(citation)
    if markdown:
        head = f"**[{citation.index}]** " + (f"[{title}]({citation.url})" if citation.url else title)
    else:
        head = f"[{citation.index}] {title}"
    line = head + (f" — {where}" if where else "")
    return line if markdown else f"{line} ({citation.url or citation.source})"


def source_line(source: SourceInfo, markdown: bool = False) -> str:
    """Render one indexed document: title, link, file, chunks and when it was indexed."""
    title, when = source.title or source.source, source.indexed_at[:16].replace("T", " ")
    if markdown:
        link = f" (<{source.url}>)" if source.url else ""
        return f"• **{title}**{link} — `{source.source}`, {plural(source.chunks, 'chunk')}, indexed {when} UTC"
    return f"• {title} ({plural(source.chunks, 'chunk')}, indexed {when} UTC)"


@dataclass
class AgendaItem:
    """One programme entry as every face lists it."""

    heading: str  # "6 November 2018 · Roundtable"
    place: str
    notes: list[str]
    organisations: str | None  # "Organisations: A, B"


def agenda_item(entry: AgendaEntry) -> AgendaItem:
    """Put a programme entry into words."""
    organisations = "Organisations: " + ", ".join(entry.organisations) if entry.organisations else None
    return AgendaItem(f"{entry.when()} · {entry.title}", entry.where(),
                      [n for n in (entry.date_note, entry.place_note) if n], organisations)


def agenda_days(agenda: Agenda) -> str:
    """Say which days the programme covers (shown when nothing matches a look-up)."""
    return "The programme covers " + ", ".join(f"{d.day} {d:%b %Y}" for d in agenda.days()) + "."


def reindex_report(report: IndexReport) -> str:
    """Summarise a re-index for an admin: counts, what the index holds, then each failure."""
    return "\n".join([f"Re-index done: {summary(report)}", *map(failure_bullet, report.failures)])


def failure_bullet(failure: Failure) -> str:
    """List a document that could not be indexed."""
    return f"• {failure_line(failure)}"

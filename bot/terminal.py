"""The terminal face: the chat that `make run` opens without a Discord token, and `python -m bot ask|agenda|eval`.

Questions go through the Assistant, as on Discord (metrics, outage handling, conversations); the words
come from `bot.wording`, and this module only prints them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from rich.console import Console

from bot.agenda import Agenda, AgendaEntry, AgendaError, load_agenda
from bot.answer import Answer
from bot.app import build_engine, index_if_needed
from bot.feedback import copy_feedback
from bot.service import Assistant
from bot.settings import BotSettings
from bot.wording import (
    NO_AGENDA_MATCH,
    agenda_days,
    agenda_item,
    citation_line,
    failure_bullet,
    failure_reply,
    source_line,
)
from ingest import IndexReport, SourceInfo, summary

CHAT_KEY = "terminal"  # the one conversation of a terminal session
INTRO = ("Ask about the 2018 US cluster mission to the EU. /agenda [day|country|organisation] shows the programme, "
         "/sources the documents; an empty line or Ctrl-D quits.")


class Screen:
    """Print answers, programme entries, sources and reports on a console."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()

    def line(self, text: str, style: str | None = None) -> None:
        """Print text as it is (no markup, no highlighting)."""
        self.console.print(text, style=style, markup=False, highlight=False)

    def answer(self, answer: Answer) -> None:
        """Print an answer, its note and its numbered sources."""
        self.line(answer.answer)
        if answer.note:
            self.line(f"Note: {answer.note}", style="yellow")
        for citation in answer.citations:
            self.line(f"  {citation_line(citation)}")

    def agenda(self, agenda: Agenda, entries: list[AgendaEntry], reading: str | None = None) -> None:
        """Print programme entries, or the days the programme covers when none matches, after how an
        ambiguous day was read."""
        if reading:
            self.line(f"Note: {reading}", style="yellow")
        if not entries:
            self.line(f"{NO_AGENDA_MATCH} {agenda_days(agenda)}")
        for item in map(agenda_item, entries):
            self.line(f"{item.heading} — {item.place}", style="bold")
            for note in item.notes:
                self.line(f"  {note}", style="italic")
            if item.organisations:
                self.line(f"  {item.organisations}")

    def sources(self, sources: list[SourceInfo]) -> None:
        """List the indexed documents."""
        for source in sources:
            self.line(f"  {source_line(source)}")

    def report(self, report: IndexReport) -> None:
        """Summarise an indexing run, failures in red."""
        self.line(f"Indexed: {summary(report)}")
        for failure in report.failures:
            self.line(failure_bullet(failure), style="red")

    def error(self, text: str) -> None:
        """Print what went wrong."""
        self.line(text, style="red")


def chat(settings: BotSettings, screen: Screen | None = None) -> int:
    """Index the documents if needed, then answer questions typed at the terminal, with follow-ups."""
    screen = screen or Screen()
    engine = build_engine(settings)
    report = index_if_needed(engine, settings)
    if report:
        screen.report(report)
    assistant = Assistant(settings, engine)
    with asyncio.Runner() as runner:
        screen.sources(runner.run(assistant.sources()))
        screen.line("No DISCORD_TOKEN: this is the terminal chat. To answer on Discord, set DISCORD_TOKEN "
                    "(see README.md, 'Discord').", style="dim")
        screen.line(INTRO)
        while True:
            try:
                line = screen.console.input("[bold]> [/bold]").strip()
            except (EOFError, KeyboardInterrupt):
                return 0
            if not line:
                return 0
            try:
                runner.run(_respond(line, assistant, screen))
            except AgendaError as exc:
                screen.error(str(exc))
            except KeyboardInterrupt:  # Ctrl-C stops this answer, not the chat (as in a shell)
                screen.line("(stopped)", style="dim")


async def _respond(line: str, assistant: Assistant, screen: Screen) -> None:
    if line.startswith("/agenda"):
        show_agenda_query(assistant.settings, line.removeprefix("/agenda").strip(), screen)
    elif line.startswith("/sources"):
        screen.sources(await assistant.sources())
    else:
        try:
            screen.answer(await assistant.ask(line, CHAT_KEY))
        except Exception as exc:  # noqa: BLE001 - said to the user; an unexpected one is logged with an id
            screen.error(failure_reply(exc))


def show_agenda_query(settings: BotSettings, query: str, screen: Screen) -> None:
    """Show the programme entries matching a day, a country or an organisation (whichever the text is)."""
    agenda = load_agenda(settings.agenda_file)
    entries, reading = agenda.entries, None
    if query:
        try:
            entries, reading = agenda.search(day=query)
        except ValueError:
            entries = agenda.lookup(country=query) or agenda.lookup(organisation=query)
    screen.agenda(agenda, entries, reading)


def ask(settings: BotSettings, question: str | None, as_json: bool) -> int:
    """Answer one question, or each line of stdin as it arrives (so a pipe or another program can drive it);
    return 1 if any could not be answered."""
    assistant = Assistant(settings, build_engine(settings))
    screen = Screen()
    questions = [question] if question else (line.strip() for line in iter(sys.stdin.readline, "") if line.strip())
    status = 0
    with asyncio.Runner() as runner:
        for text in questions:
            try:
                answer = runner.run(assistant.ask(text))
            except Exception as exc:  # noqa: BLE001 - said to the user; an unexpected one is logged with an id
                status = 1
                message = failure_reply(exc)
                print(json.dumps({"question": text, "error": message}) if as_json else f"error: {message}",
                      flush=True)
                continue
            if as_json:
                print(json.dumps(answer.as_dict(), ensure_ascii=False))
            else:
                screen.answer(answer)
            sys.stdout.flush()  # the reader on the other end of a pipe gets each answer as it is made
    return status


def agenda(settings: BotSettings, day: str | None, country: str | None, organisation: str | None,
           as_json: bool) -> int:
    """Print the programme entries matching the filters."""
    programme = load_agenda(settings.agenda_file)
    entries, reading = programme.search(day, country, organisation)
    if as_json:
        if reading:
            print(f"note: {reading}", file=sys.stderr)
        print(json.dumps([e.model_dump(mode="json") for e in entries], ensure_ascii=False))
    else:
        Screen().agenda(programme, entries, reading)
    return 0


def evaluate(settings: BotSettings, path: Path | None, test: bool, summary_only: bool, as_json: bool) -> int:
    """Run a question set (the dev split by default) and print each question, the totals and each kind's share."""
    from bot.evaluate import DEV_SET, TEST_SET, by_kind, load_cases, summarise
    from bot.evaluate import evaluate as run_cases

    path = path or (TEST_SET if test else DEV_SET)
    results = run_cases(build_engine(settings), load_cases(path))
    if not (summary_only or test or as_json):
        for r in results:
            mark = "ok " if r.correct and r.citations_ok else "MISS"
            print(f"{mark} hit={int(r.hit)} {r.case.id}: {r.case.question} {'; '.join(r.problems)}")
    summary, kinds = summarise(results), by_kind(results)
    if as_json:
        print(json.dumps({**summary, "by_kind": kinds}))
        return 0
    print(f"{path.name}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    print(" ".join(f"{kind} {row['right']:.2f} ({row['questions']})" for kind, row in kinds.items()))
    return 0


def backup_feedback(settings: BotSettings, target: Path) -> int:
    """Copy the feedback database to a new file, safely while bots use it."""
    copied = copy_feedback(settings.feedback_db, target)
    print(f"backed up {copied} from {settings.feedback_db} to {target}")
    return 0


def restore_feedback(settings: BotSettings, backup: Path) -> int:
    """Put a backup of the feedback database in place of the current one (stop the bots first)."""
    copied = copy_feedback(backup, settings.feedback_db, overwrite=True)
    print(f"restored {copied} from {backup} to {settings.feedback_db}")
    return 0

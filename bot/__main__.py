"""`python -m bot [ask|agenda|eval]`: answer from the terminal; with no command, index if needed and chat."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from rich.console import Console

from bot.agenda import AgendaError, load_agenda, parse_day
from bot.engine import Conversation, QuestionRejected
from bot.settings import BotSettings
from ingest import IndexProblem, SettingsError, configure_logging, load_settings

log = logging.getLogger("bot")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command")
    ask = sub.add_parser("ask", help="answer a question (or one per line from stdin)")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--json", action="store_true")
    agenda = sub.add_parser("agenda", help="look the programme up")
    agenda.add_argument("--day")
    agenda.add_argument("--country")
    agenda.add_argument("--org")
    agenda.add_argument("--json", action="store_true")
    evaluate = sub.add_parser("eval", help="run a question set and report accuracy")
    evaluate.add_argument("file", nargs="?", type=Path, default=Path("tests/eval/questions.yaml"))
    evaluate.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def render_answer(answer, console: Console) -> None:
    """Print an answer, its note and its numbered sources."""
    console.print(answer.answer, highlight=False)
    if answer.note:
        console.print(f"[yellow]Note:[/yellow] {answer.note}", highlight=False)
    for c in answer.citations:
        where = ", ".join(x for x in (c.section, f"p. {c.page}" if c.page else None) if x)
        console.print(f"  [{c.index}] {c.title}{' — ' + where if where else ''} ({c.url or c.source})",
                      highlight=False, markup=False)


def cmd_ask(settings: BotSettings, args) -> int:
    from bot.app import build_engine

    engine = build_engine(settings)
    questions = [args.question] if args.question else [line for line in sys.stdin if line.strip()]
    console = Console()
    status = 0
    for question in questions:
        try:
            answer = engine.answer(question)
        except QuestionRejected as exc:
            status = 1
            print(json.dumps({"question": question, "error": str(exc)}) if args.json else f"error: {exc}")
            continue
        if args.json:
            print(json.dumps(answer.as_dict(), ensure_ascii=False))
        else:
            render_answer(answer, console)
    return status


def cmd_agenda(settings: BotSettings, args) -> int:
    agenda = load_agenda(settings.agenda_file)
    day = parse_day(args.day, agenda) if args.day else None
    entries = agenda.lookup(day, args.country, args.org)
    if args.json:
        print(json.dumps([e.model_dump(mode="json") for e in entries], ensure_ascii=False))
        return 0
    show_entries(agenda, entries, Console())
    return 0


def show_entries(agenda, entries, console: Console) -> None:
    """Print programme entries, or the days the programme covers when none matches."""
    if not entries:
        console.print("No programme entry matches. Days: " + ", ".join(d.isoformat() for d in agenda.days()))
    for e in entries:
        console.print(f"[bold]{e.title}[/bold] — {e.when()} — {e.where()}", highlight=False)
        for note in (e.date_note, e.place_note):
            if note:
                console.print(f"  {note}", style="italic", highlight=False)
        if e.organisations:
            console.print("  Organisations: " + ", ".join(e.organisations), highlight=False)


def cmd_eval(settings: BotSettings, args) -> int:
    from bot.app import build_engine
    from bot.evaluate import evaluate, load_cases, summarise

    results = evaluate(build_engine(settings), load_cases(args.file))
    for r in results:
        mark = "ok " if r.correct and r.citations_ok else "MISS"
        print(f"{mark} hit={int(r.hit)} {r.case.id}: {r.case.question} {'; '.join(r.problems)}")
    summary = summarise(results)
    print(json.dumps(summary) if args.json else "\n".join(f"{k}: {v}" for k, v in summary.items()))
    return 0


def cmd_run(settings: BotSettings) -> int:
    """Index the documents if needed, then run the Discord bot or, without a token, a terminal chat."""
    from bot.app import build_engine, index_if_needed

    console = Console()
    engine = build_engine(settings)
    report = index_if_needed(engine, settings)
    if report:
        console.print(f"Indexed {report.total_documents} documents ({report.total_chunks} chunks) "
                      f"in {report.seconds:.1f} s.")
        for failure in report.failures:
            console.print(f"[red]could not index[/red] {failure.path}: {failure.reason}", highlight=False)
    print_sources(engine, console)
    if settings.discord_token:
        from bot.discord_bot.client import run

        console.print("Connecting to Discord…")
        run(settings, engine)
        return 0
    console.print("[dim]No DISCORD_TOKEN: this is the terminal chat. To answer on Discord, set DISCORD_TOKEN "
                  "(see README.md, 'Discord').[/dim]")
    return terminal_chat(engine, settings, console)


def terminal_chat(engine, settings: BotSettings, console: Console) -> int:
    """Answer questions typed at the terminal, keeping the conversation for follow-ups."""
    console.print("Ask about the 2018 US cluster mission to the EU. /agenda [day|country|organisation] shows "
                  "the programme, /sources the documents; an empty line or Ctrl-D quits.", markup=False)
    conversation = Conversation(max_turns=settings.history_turns)
    while True:
        try:
            line = console.input("[bold]> [/bold]").strip()
        except (EOFError, KeyboardInterrupt):
            return 0
        if not line:
            return 0
        try:
            if line.startswith("/agenda"):
                print_agenda(settings, line.removeprefix("/agenda").strip(), console)
            elif line.startswith("/sources"):
                print_sources(engine, console)
            else:
                render_answer(engine.answer(line, conversation), console)
        except (QuestionRejected, IndexProblem, AgendaError) as exc:
            console.print(f"[red]{exc}[/red]", highlight=False)


def print_sources(engine, console: Console) -> None:
    """List the indexed documents."""
    for source in engine.store.sources():
        console.print(f"  • {source.title or source.source} ({source.chunks} chunks, indexed {source.indexed_at[:19]})",
                      highlight=False)


def print_agenda(settings: BotSettings, query: str, console: Console) -> None:
    """Show the programme entries matching a day, a country or an organisation (whichever the text is)."""
    agenda = load_agenda(settings.agenda_file)
    entries = agenda.entries
    if query:
        try:
            entries = agenda.lookup(day=parse_day(query, agenda))
        except ValueError:
            entries = agenda.lookup(country=query) or agenda.lookup(organisation=query)
    show_entries(agenda, entries, console)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings(BotSettings)
    except SettingsError as exc:
        sys.stderr.write(exc.report())
        return 2
    configure_logging(settings.log_format, logging.INFO if args.verbose or settings.discord_token else logging.WARNING)
    try:
        if args.command == "ask":
            return cmd_ask(settings, args)
        if args.command == "agenda":
            return cmd_agenda(settings, args)
        if args.command == "eval":
            return cmd_eval(settings, args)
        return cmd_run(settings)
    except (IndexProblem, AgendaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

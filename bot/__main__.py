"""`python -m bot [ask|agenda|eval|sync-commands|backup-feedback|restore-feedback]`: answer from the terminal,
keep the slash commands and the feedback database; with no command, index if needed, then answer on Discord
(with DISCORD_TOKEN) or in a terminal chat."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot.agenda import AgendaError
from bot.settings import BotSettings
from ingest import IndexProblem, SettingsError, configure_logging, load_settings


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
    evaluate = sub.add_parser("eval", help="run a question set and report accuracy, per kind of question")
    evaluate.add_argument("file", nargs="?", type=Path, help="a question set (default: the dev split)")
    evaluate.add_argument("--test", action="store_true", help="run the test split; implies --summary")
    evaluate.add_argument("--summary", action="store_true", help="print only the totals, not each question")
    evaluate.add_argument("--json", action="store_true")
    sub.add_parser("sync-commands", help="sync the slash commands with Discord now, even if unchanged")
    backup = sub.add_parser("backup-feedback", help="copy the feedback database to a new file (safe while bots run)")
    backup.add_argument("file", type=Path)
    restore = sub.add_parser("restore-feedback", help="put a feedback backup in place of the database (bots stopped)")
    restore.add_argument("file", type=Path)
    return parser.parse_args(argv)


def dispatch(args: argparse.Namespace, settings: BotSettings) -> int:
    """Run the command the arguments name; return the exit code."""
    from bot import terminal

    if args.command == "ask":
        return terminal.ask(settings, args.question, args.json)
    if args.command == "agenda":
        return terminal.agenda(settings, args.day, args.country, args.org, args.json)
    if args.command == "eval":
        return terminal.evaluate(settings, args.file, test=args.test, summary_only=args.summary, as_json=args.json)
    if args.command == "backup-feedback":
        return terminal.backup_feedback(settings, args.file)
    if args.command == "restore-feedback":
        return terminal.restore_feedback(settings, args.file)
    if args.command == "sync-commands" and not settings.discord_token:
        raise ValueError("sync-commands needs DISCORD_TOKEN")
    if settings.discord_token:
        from bot.discord_bot import runner

        return runner.sync_commands(settings) if args.command == "sync-commands" else runner.run(settings)
    return terminal.chat(settings)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings(BotSettings)
    except SettingsError as exc:
        sys.stderr.write(exc.report())
        return 2
    configure_logging(settings.log_format, logging.INFO if args.verbose or settings.discord_token else logging.WARNING)
    try:
        return dispatch(args, settings)
    except (IndexProblem, AgendaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C while starting up or answering: stop quietly
        return 130


if __name__ == "__main__":
    sys.exit(main())

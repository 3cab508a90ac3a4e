"""`python -m ingest [--docs DIR] [--full] [--json]`: bring the index in step with the documents."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest import (
    IndexProblem,
    IndexReport,
    IndexSettings,
    SettingsError,
    configure_logging,
    failure_line,
    holdings,
    load_settings,
    open_store,
    outcome_counts,
    sync_index,
)
from ingest.opening import open_for_rebuild


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument("--docs", type=Path, help="documents folder (MISSIONBOT_DOCS_DIR)")
    parser.add_argument("--index-dir", type=Path, help="embedded index folder (MISSIONBOT_INDEX_DIR)")
    parser.add_argument("--chroma-host", help="use this Chroma server (MISSIONBOT_CHROMA_HOST)")
    parser.add_argument("--chroma-port", type=int, help="Chroma server port (MISSIONBOT_CHROMA_PORT)")
    parser.add_argument("--full", action="store_true", help="drop the index and rebuild it from scratch")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    return parser.parse_args(argv)


def settings_from_args(args: argparse.Namespace) -> IndexSettings:
    """Build settings from the environment, with command-line flags taking precedence."""
    flags = {"docs_dir": args.docs, "index_dir": args.index_dir, "chroma_host": args.chroma_host,
             "chroma_port": args.chroma_port}
    return load_settings(IndexSettings, **{k: v for k, v in flags.items() if v is not None})


def render_report(report: IndexReport, console: Console) -> None:
    """Print a run's summary as a table, with each failure and its reason."""
    table = Table(title="Index run", show_header=False)
    for outcome, count in outcome_counts(report):
        table.add_row(f"documents {outcome}", str(count))
    table.add_row("chunks written", str(report.chunks_written))
    table.add_row("index now holds", holdings(report))
    table.add_row("seconds", f"{report.seconds:.2f}")
    console.print(table)
    for failure in report.failures:
        console.print(failure_line(failure), style="red", highlight=False, markup=False)


def run(settings: IndexSettings, full: bool, as_json: bool) -> int:
    """Index once and report; return the process exit code."""
    console = Console(stderr=True)
    store = open_for_rebuild(settings) if full else open_store(settings)
    show_bar = console.is_terminal and not as_json
    with Progress(TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeElapsedColumn(), console=console, transient=True, disable=not show_bar) as bar:
        task = bar.add_task("", total=None)
        report = sync_index(settings, store, full=full,
                            progress=lambda done, total, path: bar.update(task, completed=done, total=total,
                                                                          description=path))
    if as_json:
        print(json.dumps(report.as_dict()))
    else:
        render_report(report, Console())
    return 1 if report.failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = settings_from_args(args)
        configure_logging(settings.log_format, logging.INFO if args.verbose else logging.WARNING)
        return run(settings, args.full, args.json)
    except SettingsError as exc:
        sys.stderr.write(exc.report())
        return 2
    except IndexProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

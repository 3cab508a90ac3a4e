"""Run `python -m ingest` as a user would, on corpora made up for the purpose, and read what it indexed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ingest import IndexSettings, open_store


def run_ingest(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run `python -m ingest` with these arguments (and no agenda file) and return the finished process."""
    full_env = {**os.environ, "MISSIONBOT_AGENDA_FILE": "/nonexistent", **(env or {})}
    return subprocess.run([sys.executable, "-m", "ingest", *args], capture_output=True, text=True,
                          env=full_env, timeout=120, **kwargs)


def make_corpus(folder: Path, documents: int) -> None:
    """Write `documents` Markdown reports of 24 sections each into a folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        body = "\n\n".join(f"Section {p} of report {d} describes cluster visit {p} in detail. "
                           f"The delegation met partners and discussed collaboration {d * 100 + p}."
                           for p in range(24))
        (folder / f"report-{d:02d}.md").write_text(f"---\ntitle: Report {d}\n---\n# Report {d}\n\n{body}\n")


def index_ids(index_dir: Path, docs: Path) -> list[str]:
    """Return the sorted chunk ids of an embedded index."""
    store = open_store(IndexSettings(docs_dir=docs, index_dir=index_dir, _env_file=None))
    return sorted(c.id for c in store.iter_chunks(with_text=False))

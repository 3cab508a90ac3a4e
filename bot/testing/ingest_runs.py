"""Run `python -m ingest` as a user would, on corpora made up for the purpose, and read what it indexed."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

from ingest import IndexSettings, clean_chunk_ids, open_store

WINDOW_CHUNK_SIZE = "100"  # one short paragraph per chunk: several write windows in seconds, not minutes


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


def make_window_corpus(folder: Path, documents: int = 18, paragraphs: int = 120, revision: int = 0) -> None:
    """Write documents that, split at WINDOW_CHUNK_SIZE, make more chunks than two write windows hold
    (1,024 each); each revision changes every document, so a run over the next one rewrites them all."""
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        body = "\n\n".join(f"Report {d} note {p}: cluster visit {p} met partner {d * 1000 + p}."
                           for p in range(paragraphs))
        (folder / f"report-{d:02d}.md").write_text(f"# Report {d}\n\nRevision {revision}.\n\n{body}\n")


def expected_ids(docs: Path) -> list[str]:
    """Return the chunk ids a clean run over a window corpus gives (they derive from source, offset and text)."""
    settings = IndexSettings(docs_dir=docs, agenda_file=None, chunk_size=int(WINDOW_CHUNK_SIZE), _env_file=None)
    return clean_chunk_ids(settings)


def index_ids(index_dir: Path, docs: Path) -> list[str]:
    """Return the sorted ids of every chunk in an embedded index, of finished and unfinished versions alike."""
    store = open_store(IndexSettings(docs_dir=docs, index_dir=index_dir, _env_file=None))
    return sorted(c.id for c in store.iter_chunks(with_text=False, unfinished=True))


def ingest_until_killed(docs: Path, index_dir: Path, windows: int, rng: random.Random) -> int:
    """Start `python -m ingest`, kill -9 it soon after it logs `windows` written windows; return how many
    windows it had written when killed, or -1 if it had finished by then (the kill landed on nothing)."""
    proc = subprocess.Popen([sys.executable, "-m", "ingest", "-v", "--docs", str(docs), "--index-dir", str(index_dir)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "MISSIONBOT_AGENDA_FILE": "/nonexistent",
                                 "MISSIONBOT_CHUNK_SIZE": WINDOW_CHUNK_SIZE})
    written = 0
    for line in proc.stderr:
        written += "wrote window" in line
        if written >= windows:
            time.sleep(rng.uniform(0, 1.0))  # a random moment within the next window's work
            break
    running = proc.poll() is None
    proc.kill()
    proc.wait()
    return written if running else -1

"""`python -m ingest` as a user runs it: JSON summary, exit codes, flags over env, kill -9 recovery."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest import IndexSettings, open_store

SUMMARY_KEYS = {"added", "updated", "unchanged", "removed", "failed", "failures", "chunks_written",
                "total_documents", "total_chunks", "seconds"}


def run_ingest(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "MISSIONBOT_AGENDA_FILE": "/nonexistent", **(env or {})}
    return subprocess.run([sys.executable, "-m", "ingest", *args], capture_output=True, text=True,
                          env=full_env, timeout=120, **kwargs)


def make_corpus(folder: Path, documents: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        body = "\n\n".join(f"Section {p} of report {d} describes cluster visit {p} in detail. "
                           f"The delegation met partners and discussed collaboration {d * 100 + p}."
                           for p in range(24))
        (folder / f"report-{d:02d}.md").write_text(f"---\ntitle: Report {d}\n---\n# Report {d}\n\n{body}\n")


def test_json_summary_and_exit_codes(tmp_path: Path):
    docs = tmp_path / "docs"
    make_corpus(docs, 2)
    result = run_ingest("--docs", str(docs), "--index-dir", str(tmp_path / "idx"), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) == SUMMARY_KEYS
    assert summary["added"] == 2 and summary["total_documents"] == 2 and summary["chunks_written"] > 2
    (docs / "broken.pdf").write_bytes(b"not a pdf")
    result = run_ingest("--docs", str(docs), "--index-dir", str(tmp_path / "idx"), "--json")
    summary = json.loads(result.stdout)
    assert result.returncode == 1
    assert summary["unchanged"] == 2 and summary["failures"][0]["path"] == "broken.pdf"


def test_flags_win_over_environment(tmp_path: Path):
    make_corpus(tmp_path / "from-flag", 1)
    env = {"MISSIONBOT_DOCS_DIR": str(tmp_path / "missing"), "MISSIONBOT_INDEX_DIR": str(tmp_path / "idx")}
    result = run_ingest("--docs", str(tmp_path / "from-flag"), "--json", env=env)
    assert result.returncode == 0 and json.loads(result.stdout)["added"] == 1
    result = run_ingest("--json", env=env)
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_human_summary_lists_failures(tmp_path: Path):
    docs = tmp_path / "docs"
    make_corpus(docs, 1)
    (docs / "notes.xyz").write_text("?")
    result = run_ingest("--docs", str(docs), "--index-dir", str(tmp_path / "idx"))
    assert result.returncode == 1
    assert "documents added" in result.stdout and "notes.xyz" in result.stderr + result.stdout


def index_ids(index_dir: Path, docs: Path) -> list[str]:
    store = open_store(IndexSettings(docs_dir=docs, index_dir=index_dir, _env_file=None))
    return sorted(c.id for c in store.iter_chunks(with_text=False, unfinished=True))


WINDOW_CHUNK_SIZE = "100"  # one short paragraph per chunk: several write windows in seconds, not minutes


def make_window_corpus(folder: Path, documents: int = 18, paragraphs: int = 120, revision: int = 0) -> None:
    """Write documents that split into more chunks than two write windows hold (1,024 each); each
    revision changes every document, so a run over the next one rewrites them all."""
    folder.mkdir(parents=True, exist_ok=True)
    for d in range(documents):
        body = "\n\n".join(f"Report {d} note {p}: cluster visit {p} met partner {d * 1000 + p}."
                            for p in range(paragraphs))
        (folder / f"report-{d:02d}.md").write_text(f"# Report {d}\n\nRevision {revision}.\n\n{body}\n")


def expected_ids(docs: Path) -> list[str]:
    """Return the chunk ids a clean run gives (they derive from source, offset and text only)."""
    from ingest.indexer import chunk_id
    from ingest.loaders import load_file
    from ingest.splitting import make_splitter, split_document

    splitter = make_splitter(int(WINDOW_CHUNK_SIZE), 0)
    return sorted(chunk_id(p.name, piece.start, piece.text) for p in docs.iterdir()
                  for piece in split_document(load_file(p, p.read_bytes()), splitter))


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
            time.sleep(rng.uniform(0, 1.0))
            break
    running = proc.poll() is None
    proc.kill()
    proc.wait()
    return written if running else -1


@pytest.mark.slow
def test_kill_9_during_writes_converges_to_the_clean_index(tmp_path: Path, capsys):
    docs, killed = tmp_path / "docs", tmp_path / "killed"
    make_window_corpus(docs)
    rng = random.Random(7)
    landed = []
    for round_, windows in enumerate([1, 2, 1]):
        if round_:  # every document changes between kills: half-replaced versions must be repaired too
            make_window_corpus(docs, revision=round_)
        landed.append(ingest_until_killed(docs, killed, windows, rng))
    with capsys.disabled():
        print(f"\nkill -9 during ingestion: {sum(n >= 1 for n in landed)} of {len(landed)} kills landed after at "
              f"least one written window (windows written before each kill: {landed})")
    assert all(n >= 1 for n in landed)
    result = run_ingest("--docs", str(docs), "--index-dir", str(killed), "--json",
                        env={"MISSIONBOT_CHUNK_SIZE": WINDOW_CHUNK_SIZE})
    assert result.returncode == 0, result.stderr
    got, expected = index_ids(killed, docs), expected_ids(docs)
    assert got == expected and len(expected) > 2 * 1024 and len(set(got)) == len(got)
    assert json.loads(result.stdout)["chunks_written"] < len(expected)  # the killed runs' windows were kept
    again = run_ingest("--docs", str(docs), "--index-dir", str(killed), "--json",
                       env={"MISSIONBOT_CHUNK_SIZE": WINDOW_CHUNK_SIZE})
    assert json.loads(again.stdout)["chunks_written"] == 0


def test_json_log_format_writes_one_json_object_per_line(tmp_path: Path):
    docs = tmp_path / "docs"
    make_corpus(docs, 2)
    result = run_ingest("-v", "--docs", str(docs), "--index-dir", str(tmp_path / "index"),
                        env={"MISSIONBOT_LOG_FORMAT": "json"})
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 0 and records
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert any(r["message"].startswith("indexed report-") for r in records)


@pytest.mark.parametrize("damage", ["header", "middle"])
def test_a_damaged_index_says_what_to_do_and_full_rebuilds_it_keeping_the_damaged_files(tmp_path: Path, damage):
    docs, index = tmp_path / "docs", tmp_path / "idx"
    make_corpus(docs, 1)
    assert run_ingest("--docs", str(docs), "--index-dir", str(index)).returncode == 0
    database = index / "chroma" / "chroma.sqlite3"
    with database.open("r+b") as handle:  # a torn write or a bad disk: the start, or pages in the middle
        size = database.stat().st_size
        handle.seek(0 if damage == "header" else size // 2)
        handle.write(b"\xff" * (size // 4))
    damaged = database.read_bytes()
    for command in (["ingest", "--docs", str(docs), "--index-dir", str(index)], ["bot", "ask", "Who led it?"]):
        result = subprocess.run([sys.executable, "-m", *command], capture_output=True, text=True, timeout=120,
                                env={**os.environ, "MISSIONBOT_INDEX_DIR": str(index)})
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "is damaged" in result.stderr and "rebuild it from the documents with `python -m ingest --full`" \
            in result.stderr
    rebuilt = run_ingest("--docs", str(docs), "--index-dir", str(index), "--full", "--json")
    assert rebuilt.returncode == 0 and json.loads(rebuilt.stdout)["added"] == 1
    kept = [p for p in index.iterdir() if p.name.startswith("chroma.damaged-")]
    assert len(kept) == 1 and (kept[0] / "chroma.sqlite3").read_bytes() == damaged
    assert f"moved it to {kept[0]}" in rebuilt.stderr
    assert json.loads(run_ingest("--docs", str(docs), "--index-dir", str(index), "--json").stdout)["unchanged"] == 1

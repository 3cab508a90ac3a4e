"""`python -m ingest` as a user runs it: JSON summary, exit codes, flags over env, kill -9 recovery."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bot.testing.ingest_runs import (
    WINDOW_CHUNK_SIZE,
    expected_ids,
    index_ids,
    ingest_until_killed,
    make_corpus,
    make_window_corpus,
    run_ingest,
)

SUMMARY_KEYS = {"added", "updated", "unchanged", "removed", "failed", "failures", "chunks_written",
                "total_documents", "total_chunks", "seconds"}


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

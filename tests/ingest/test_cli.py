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

from bot.testing.ingest_runs import index_ids, make_corpus, run_ingest

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
def test_kill_9_mid_run_converges_to_the_clean_index(tmp_path: Path):
    docs = tmp_path / "docs"
    make_corpus(docs, 12)
    killed = tmp_path / "killed"
    rng = random.Random(7)
    for round_, after_docs in enumerate([1, 5, 9]):
        if round_ == 1:  # change a document between kills, so a half-replaced version must be repaired too
            (docs / "report-03.md").write_text((docs / "report-03.md").read_text() + "\nAn added line.\n")
        proc = subprocess.Popen([sys.executable, "-m", "ingest", "-v", "--docs", str(docs), "--index-dir",
                                 str(killed)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                env={**os.environ, "MISSIONBOT_AGENDA_FILE": "/nonexistent"})
        seen = 0
        for line in proc.stderr:
            seen += "indexed report-" in line
            if seen >= after_docs:
                time.sleep(rng.uniform(0, 0.15))
                break
        proc.kill()
        proc.wait()
    clean = tmp_path / "clean"
    assert run_ingest("--docs", str(docs), "--index-dir", str(clean), "--json").returncode == 0
    expected = index_ids(clean, docs)
    result = run_ingest("--docs", str(docs), "--index-dir", str(killed), "--json")
    assert result.returncode == 0, result.stderr
    got = index_ids(killed, docs)
    assert got == expected and len(set(got)) == len(got)
    assert run_ingest("--docs", str(docs), "--index-dir", str(killed), "--json").stdout.count('"chunks_written": 0')


def test_json_log_format_writes_one_json_object_per_line(tmp_path: Path):
    docs = tmp_path / "docs"
    make_corpus(docs, 2)
    result = run_ingest("-v", "--docs", str(docs), "--index-dir", str(tmp_path / "index"),
                        env={"MISSIONBOT_LOG_FORMAT": "json"})
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 0 and records
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert any(r["message"].startswith("indexed report-") for r in records)

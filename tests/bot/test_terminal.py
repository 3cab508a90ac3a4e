"""The terminal face as a user drives it: `python -m bot` in a shell, with pipes and Ctrl-C."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def bot_cli(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run `python -m bot` with these arguments to completion."""
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, **kwargs)


def test_eval_json_prints_the_totals_and_each_kind_as_one_json_object(bundled_index, tmp_path):
    settings, _ = bundled_index
    questions = tmp_path / "two.yaml"
    questions.write_text('questions:\n  - {id: leader, question: "Who led the US cluster mission?", '
                         'expect: ["inno TSD"]}\n  - {id: hotel, question: "Which hotel did they stay in?", '
                         'refuse: true}\n')
    result = bot_cli("eval", str(questions), "--json", env={"MISSIONBOT_INDEX_DIR": str(settings.index_dir),
                                                            "MISSIONBOT_ANSWER_MODE": "extractive"})
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    summary = json.loads(line)
    assert summary["answer_accuracy"] == 1.0 and summary["refusal_accuracy"] == 1.0
    assert "citation_validity" in summary and summary["by_kind"]["unanswerable"] == {"questions": 1, "right": 1.0}

"""The feedback database shared by several bot processes (docker-compose.shards.yml), backed up and restored:
nothing is lost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.answer import Answer
from bot.feedback import FeedbackStore

ANSWERS_PER_PROCESS = 150

# One bot process's feedback work: keep answers and vote on each, as fast as it can.
WRITER = """
import sys
from bot.answer import Answer
from bot.feedback import FeedbackStore

store = FeedbackStore(__import__("pathlib").Path(sys.argv[1]))
for n in range(int(sys.argv[2])):
    answer_id = store.record(Answer(question=f"question {n}", answer="answer", citations=[], mode="extractive",
                                    grounded=True))
    store.vote(answer_id, 1000 + n, 1 if n % 2 else -1)
    print(answer_id, flush=True)
"""


def test_two_processes_share_the_feedback_database_without_losing_answers_or_votes(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(ANSWERS_PER_PROCESS)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [writer.communicate(timeout=120) for writer in writers]
    assert [w.returncode for w in writers] == [0, 0], [err for _, err in outputs]
    store = FeedbackStore(path)
    try:
        summary = store.summary()
        assert (summary.answers, summary.up + summary.down) == (2 * ANSWERS_PER_PROCESS, 2 * ANSWERS_PER_PROCESS)
        first, second = (out.split()[0] for out, _ in outputs)
        # One salt for both: the same user voting through either process still has one vote per answer.
        store.vote(first, 1000, 1)
        assert store.vote(first, 1000, -1) == (0, 1)
        assert store.vote(second, 1000, 1) == (1, 0)
    finally:
        store.close()


def feedback_command(command: str, file: Path, database: Path) -> subprocess.CompletedProcess:
    """Run `python -m bot backup-feedback|restore-feedback FILE` as an operator would."""
    return subprocess.run([sys.executable, "-m", "bot", command, str(file)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "MISSIONBOT_FEEDBACK_DB": str(database)})


def some_answers(store: FeedbackStore, count: int) -> None:
    for n in range(count):
        store.vote(store.record(Answer(question=f"q{n}", answer="a", grounded=True, mode="extractive")), 7, 1)


def test_the_feedback_database_is_backed_up_while_in_use_and_restored_after_it_was_lost(tmp_path):
    database, backup = tmp_path / "state" / "feedback.sqlite3", tmp_path / "backups" / "feedback-1.sqlite3"
    store = FeedbackStore(database)  # a running bot holds it open
    try:
        some_answers(store, 3)
        made = feedback_command("backup-feedback", backup, database)
        assert made.returncode == 0 and "backed up 3 answers, 3 votes" in made.stdout, made.stderr
        some_answers(store, 1)  # after the backup: not in it
    finally:
        store.close()
    for lost in tmp_path.glob("state/feedback.sqlite3*"):
        lost.unlink()
    restored = feedback_command("restore-feedback", backup, database)
    assert restored.returncode == 0 and "restored 3 answers, 3 votes" in restored.stdout, restored.stderr
    store = FeedbackStore(database)
    try:
        summary = store.summary()
        assert (summary.answers, summary.up) == (3, 3)
    finally:
        store.close()


def test_a_backup_never_overwrites_a_file_and_a_restore_takes_only_a_feedback_database(tmp_path):
    database, notes = tmp_path / "feedback.sqlite3", tmp_path / "notes.txt"
    store = FeedbackStore(database)
    some_answers(store, 2)
    store.close()
    notes.write_text("not a database")
    for command, file in (("backup-feedback", notes), ("restore-feedback", notes),
                          ("restore-feedback", tmp_path / "missing.sqlite3")):
        result = feedback_command(command, file, database)
        assert result.returncode == 2 and result.stderr.startswith("error: ") and "nothing was copied" in result.stderr
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert notes.read_text() == "not a database"
    store = FeedbackStore(database)
    assert store.summary().answers == 2  # the live database lost nothing
    store.close()

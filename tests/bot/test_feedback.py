"""The feedback database shared by several bot processes (docker-compose.shards.yml): nothing is lost."""

from __future__ import annotations

import subprocess
import sys

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

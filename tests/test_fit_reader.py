"""The reader's fit (benchmarks/fit_reader.py) on a few made-up questions: what it learns, and what it keeps."""

import numpy as np

from benchmarks.fit_reader import fit_all
from bot.extractive import FEATURES


def _row(qid: str, refuse: bool, dense: list[float]) -> dict:
    # Each candidate sentence has only a dense score; the first one answers an answerable question.
    x = np.zeros((len(dense), len(FEATURES)))
    x[:, FEATURES.index("dense")] = dense
    y = np.array([0.0 if refuse else float(i == 0) for i in range(len(dense))])
    return {"id": qid, "kind": "what", "refuse": refuse, "listed": False, "x": x, "y": y,
            "features": [dict.fromkeys(FEATURES, 0.0) | {"dense": d, "no_subject": 1.0} for d in dense]}


ROWS = [_row(f"a{n}", False, [0.8 + n / 100, 0.2]) for n in range(12)] + \
       [_row(f"n{n}", True, [0.1 + n / 100, 0.05]) for n in range(12)]


def test_the_fit_ranks_answers_first_and_refuses_the_near_misses():
    theta, phi, threshold, _, top1 = fit_all(ROWS)
    assert theta[FEATURES.index("dense")] > 0 and top1 == 1.0
    assert 0 < threshold < 1


def test_keeping_the_ranker_refits_only_answerability():
    stored = np.linspace(-1, 1, len(FEATURES))
    theta, _, threshold, _, _ = fit_all(ROWS, ranker=stored)
    assert theta is stored and 0 < threshold < 1

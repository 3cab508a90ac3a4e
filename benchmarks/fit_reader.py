"""Fit the extractive reader's weights and refusal threshold on the dev and train question sets.

Run: `.venv/bin/python -m benchmarks.fit_reader [--write | --ablate | --folds]`. Every dev and train
question is read by the engine; each candidate sentence is labelled an answer when it contains the
question's expected facts (at least half of them, for a list). Two small models are fitted:
- the ranker, listwise: the weights under which a question's answer sentences are most likely among its
  sentences (softmax over them), with an L2 penalty;
- answerability, a logistic regression on the best sentence's features: does the question have an answer
  in the documents at all (the questions marked `refuse` have none).
The refusal threshold is then the lowest probability that still refuses 90% of the questions the
documents cannot answer, so that as many answerable ones as possible are answered; the precision/recall
curve is printed for every threshold. `--write` stores all this in `bot/weights.py`; `--ablate` refits
without each feature in turn; `--folds` estimates the reader out of fold (what to compare changes by);
`--keep-ranker` refits answerability and the threshold only, on the ranker weights already stored.
Only the dev and train splits are read: the test split stays unseen.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from bot.app import build_engine
from bot.engine import AnswerEngine, Conversation
from bot.evaluate import DEV_SET, TRAIN_SETS, load_cases
from bot.extractive import ANSWERABILITY_FEATURES, FEATURES, answerability_features
from bot.settings import BotSettings
from bot.weights import WEIGHTS
from ingest import fold, open_store, sync_index

WEIGHTS_FILE = Path(__file__).resolve().parents[1] / "bot" / "weights.py"
REFUSAL_TARGET = 0.9  # the threshold is the lowest that refuses at least this share of the dev near-misses
# Ridge penalty on the weights (not the bias). Out of fold (`--folds`, 2026-11-29, 9ebdb38), answered right /
# refused right: 0.1 → 0.859 / 0.873, 0.3 → 0.862 / 0.863, 0.5 → 0.860 / 0.873, 1 → 0.853 / 0.882,
# 3 → 0.833 / 0.882, 10 → 0.771 / 0.907: answers flat within a point up to 1 and falling beyond; 1 keeps the
# refusals of the stronger penalties.
L2 = 1.0


def contains(expected, text: str) -> bool:
    """Say whether text holds one expected fact (an item, or any of a list of alternatives)."""
    options = expected if isinstance(expected, list) else [expected]
    return any(fold(str(o)) in fold(text) for o in options)


def collect(engine: AnswerEngine) -> list[dict]:
    """Read every dev and train question; return, per question, its candidates' features and labels."""
    rows = []
    for turns in load_cases(DEV_SET) + [t for p in TRAIN_SETS for t in load_cases(p)]:
        conversation = Conversation()
        for case in turns:
            reading = engine.read(case.question, conversation)
            need = max(1, math.ceil(len(case.expect) / 2))
            answers = [c for c in reading.candidates if not c.disclaims]
            # A sentence saying the documents do not know is never the answer, whatever it contains.
            labels = [0 if case.refuse else int(sum(contains(e, c.text) for e in case.expect) >= need) for c in answers]
            rows.append({"id": case.id, "kind": case.kind, "refuse": case.refuse,
                         "listed": reading.about.listed is not None,
                         "x": np.array([[c.features[f] for f in FEATURES] for c in answers]).reshape(-1, len(FEATURES)),
                         "y": np.array(labels, dtype=float), "features": [c.features for c in answers]})
            engine.answer(case.question, conversation)  # the conversation goes on as it would for a user
    return rows


def listwise(theta: np.ndarray, rows: list[dict]) -> tuple[float, np.ndarray]:
    """Return the log-likelihood of the positive sentences against each question's others (softmax over
    the question's sentences), minus an L2 penalty, and its gradient: what ranks the sentences."""
    value, gradient = 0.0, np.zeros_like(theta)
    for r in rows:
        x, y = r["x"], r["y"]
        if not y.any():
            continue
        s = x @ theta
        all_w = np.exp(s - s.max())
        pos_w = all_w * y
        value += float(np.log(pos_w.sum()) - np.log(all_w.sum()))
        gradient += x.T @ (pos_w / pos_w.sum() - all_w / all_w.sum())
    value -= 0.5 * L2 * float(theta @ theta)
    return value, gradient - L2 * theta


def pointwise(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Return the logistic log-likelihood of labels y, minus an L2 penalty on all but the last (bias) weight."""
    p = 1 / (1 + np.exp(-np.clip(x @ theta, -30, 30)))
    penalty = np.full_like(theta, L2)
    penalty[-1] = 0.0
    value = float(np.sum(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
    value -= 0.5 * float(np.sum(penalty * theta**2))
    return value, x.T @ (y - p) - penalty * theta


def ascend(objective, size: int) -> np.ndarray:
    """Maximise an objective by gradient ascent with a backtracking line search."""
    theta = np.zeros(size)
    value, gradient = objective(theta)
    step = 1.0
    for _ in range(5000):
        while step > 1e-10:
            candidate = theta + step * gradient
            new_value, new_gradient = objective(candidate)
            if new_value >= value + 1e-4 * step * float(gradient @ gradient):
                break
            step /= 2
        if step <= 1e-10 or new_value - value < 1e-8:
            break
        theta, value, gradient, step = candidate, new_value, new_gradient, step * 2
    return theta


def top_rows(rows: list[dict], theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Return, per question read by the reader, the answerability features of its best sentence, whether
    that sentence answers, and the rows themselves."""
    xs, ys, kept = [], [], []
    for r in rows:
        if r["listed"] or not len(r["y"]):
            continue
        logits = r["x"] @ theta
        order = np.argsort(-logits)
        xs.append(answerability_features(r["features"][order[0]], logits[order]))
        ys.append(float(r["y"][order[0]]))
        kept.append(r)
    return np.array(xs), np.array(ys), kept


def choose_threshold(x: np.ndarray, y: np.ndarray, rows: list[dict], phi: np.ndarray) -> tuple[float, list[dict]]:
    """Return the lowest threshold that refuses at least REFUSAL_TARGET of the dev questions the documents
    cannot answer (answering as many others as it can), and the precision/recall curve."""
    p = 1 / (1 + np.exp(-(x @ phi)))
    refuse = np.array([r["refuse"] for r in rows])
    curve = []
    for t in np.round(np.arange(0.02, 0.99, 0.01), 2):
        answered = p >= t
        right = int(np.sum(answered & (y == 1)))
        curve.append({"threshold": float(t),
                      "precision": round(right / max(1, int(answered.sum())), 3),
                      "recall": round(right / max(1, int((~refuse).sum())), 3),
                      "refusals_right": round(float(np.mean(~answered[refuse])), 3) if refuse.any() else 1.0})
    chosen = next((c for c in curve if c["refusals_right"] >= REFUSAL_TARGET), curve[-1])
    return chosen["threshold"], curve


def fit_all(rows: list[dict], drop: tuple[str, ...] = (), ranker: np.ndarray | None = None) -> tuple:
    """Fit the ranker (without the features in `drop`; or take `ranker` as it is), then the answerability
    model and its threshold; return them with the dev top-1 accuracy over the answerable questions."""
    keep = np.array([f not in drop for f in FEATURES])
    masked = [{**r, "x": r["x"] * keep} for r in rows]
    theta = ascend(lambda t: listwise(t, masked), len(FEATURES)) * keep if ranker is None else ranker
    x, y, kept = top_rows(masked, theta)
    # Answerability learns to tell the questions the documents answer from those they do not (not whether
    # the best sentence is exactly right): a near miss is what a refusal is for.
    answerable = np.array([0.0 if r["refuse"] else 1.0 for r in kept])
    phi = ascend(lambda v: pointwise(v, x, answerable), x.shape[1])
    threshold, curve = choose_threshold(x, y, kept, phi)
    top1 = float(np.mean([r["y"][int(np.argmax(r["x"] @ theta))] for r in kept if not r["refuse"]]))
    return theta, phi, threshold, curve, top1


def ablate(rows: list[dict]) -> dict:
    """Return, for the full model and for each feature left out, the dev top-1 accuracy and the share of
    answerable questions answered right at the threshold that refuses 90% of the near misses."""
    def summary(drop: tuple[str, ...]) -> dict:
        _, _, threshold, curve, top1 = fit_all(rows, drop)
        chosen = next(c for c in curve if c["threshold"] == threshold)
        return {"top1": round(top1, 3), "answered_right": chosen["recall"], "refused_right": chosen["refusals_right"]}

    return {"all": summary(())} | {f"without {f}": summary((f,)) for f in FEATURES}


def crossvalidate(rows: list[dict], folds: int = 5, seeds: tuple[int, ...] = (0, 1, 2)) -> dict:
    """Return an out-of-fold estimate on dev: each fold's questions read with weights, answerability and
    threshold fitted on the other folds only (conversations kept whole), averaged over a few shuffles.
    In-sample dev figures flatter the reader; this one is what to compare changes by."""
    rows = [r for r in rows if not r["listed"] and len(r["y"])]
    conversations = sorted({r["id"].split("#")[0] for r in rows})
    runs = []
    for seed in seeds:
        order = list(conversations)
        np.random.default_rng(seed).shuffle(order)
        fold_of = {c: i % folds for i, c in enumerate(order)}
        answered, right = {}, {}
        for k in range(folds):
            train = [r for r in rows if fold_of[r["id"].split("#")[0]] != k]
            theta, phi, threshold, _, _ = fit_all(train)
            x, y, held_out = top_rows([r for r in rows if fold_of[r["id"].split("#")[0]] == k], theta)
            for r, probability, label in zip(held_out, 1 / (1 + np.exp(-(x @ phi))), y):
                answered[r["id"]], right[r["id"]] = probability >= threshold, bool(label)
        answerable = [r["id"] for r in rows if not r["refuse"]]
        refuse = [r["id"] for r in rows if r["refuse"]]
        runs.append((np.mean([right[i] for i in answerable]), np.mean([answered[i] and right[i] for i in answerable]),
                     np.mean([not answered[i] for i in refuse])))
    top1, answered_right, refused_right = np.mean(runs, axis=0)
    return {"top1": round(float(top1), 3), "answered_right": round(float(answered_right), 3),
            "refused_right": round(float(refused_right), 3)}


def write(theta: np.ndarray, phi: np.ndarray, threshold: float) -> None:
    def mapping(names, values) -> str:
        return "{\n" + "".join(f'    "{n}": {v:.3f},\n' for n, v in zip(names, values)) + "}"

    WEIGHTS_FILE.write_text(
        '"""The reader\'s weights and refusal threshold, fitted on the dev question set.\n\n'
        "Generated by `python -m benchmarks.fit_reader --write`; do not edit by hand.\n\"\"\"\n\n"
        "# How each feature of a sentence weighs in ranking the sentences of one question (listwise).\n"
        f"WEIGHTS = {mapping(FEATURES, theta)}\n"
        "# How the best sentence's features say whether it answers at all (a probability).\n"
        f"ANSWERABILITY = {mapping(ANSWERABILITY_FEATURES, phi)}\n"
        f"THRESHOLD = {threshold}  # below this probability the best sentence is no answer: refuse\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="store the fitted weights in bot/weights.py")
    parser.add_argument("--ablate", action="store_true", help="refit without each feature in turn and compare")
    parser.add_argument("--folds", action="store_true", help="estimate the reader out of fold on dev and stop")
    parser.add_argument("--keep-ranker", action="store_true",
                        help="refit answerability and the threshold only, on the ranker weights in bot/weights.py")
    parser.add_argument("--index-dir", type=Path, default=Path("benchmarks/.work/fit-index"))
    args = parser.parse_args()
    settings = BotSettings(index_dir=args.index_dir, _env_file=None, answer_mode="extractive")
    store = open_store(settings)
    sync_index(settings, store)
    rows = collect(build_engine(settings))
    if args.folds:
        print(json.dumps(crossvalidate(rows)))
        return
    if args.ablate:
        print(json.dumps(ablate(rows), indent=1))
        return
    ranker = np.array([WEIGHTS.get(f, 0.0) for f in FEATURES]) if args.keep_ranker else None
    theta, phi, threshold, curve, top1 = fit_all(rows, ranker=ranker)
    print(json.dumps({"top1_answerable": round(top1, 3), "weights": dict(zip(FEATURES, np.round(theta, 3).tolist())),
                      "answerability": dict(zip(ANSWERABILITY_FEATURES, np.round(phi, 3).tolist())),
                      "threshold": threshold, "curve": curve}, indent=1))
    if args.write:
        write(theta, phi, threshold)


if __name__ == "__main__":
    main()

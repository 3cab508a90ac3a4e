"""Deterministic bag-of-words vectors: cheap, offline, and similar texts get similar vectors."""

from __future__ import annotations

import hashlib

import numpy as np

DIMENSION = 64


def bag_of_words(text: str, dimension: int = DIMENSION) -> list[float]:
    """Return a unit vector counting the words of text in `dimension` hashed buckets."""
    v = np.zeros(dimension)
    for word in text.lower().split():
        v[int(hashlib.md5(word.strip(".,;:!?").encode()).hexdigest(), 16) % dimension] += 1
    norm = np.linalg.norm(v)
    return (v / norm if norm else v + 1 / np.sqrt(dimension)).tolist()

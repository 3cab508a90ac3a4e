"""Real MiniLM vectors for the scale benchmark's distractor chunks, cached on disk by the chunk text's hash.

Run once, in the background (13 minutes on 2 cores for the 100k corpus in the fourteenth session, an hour on an
earlier machine):
`nice .venv/bin/python -m benchmarks.scale_vectors [--chunks 110000]`. It splits the distractor documents
as ingestion does, embeds every distinct chunk text not cached yet, and appends the vectors to
`benchmarks/.work/vectors/` in parts of PART chunks, each written whole (a killed run loses at most the part
it was embedding; the next run goes on from there). `bench_scale` then indexes with `CachedEmbeddings`:
a text found in the cache gets its cached vector, any other text is embedded for real (and cached).
Vectors are kept as float16: 84 MB for 110k chunks, and a cosine changes by less than 1e-3.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CACHE = Path(__file__).resolve().parent / ".work" / "vectors"
PART = 2048  # vectors per file: a killed fill loses at most this many
KEY_BYTES = 16


def text_key(text: str) -> bytes:
    """Return the cache key of a chunk text."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:KEY_BYTES]


class VectorCache:
    """Vectors by text key, loaded from the cache folder's parts; new vectors are appended as new parts."""

    def __init__(self, folder: Path = CACHE) -> None:
        self.folder = folder
        self.rows: dict[bytes, int] = {}
        parts = [np.load(p) for p in sorted(folder.glob("part-*.npz"))]
        # Raw bytes: numpy's bytes type would drop a key's trailing zero bytes.
        keys = [k.tobytes() for part in parts for k in part["keys"].view(np.uint8).reshape(-1, KEY_BYTES)]
        self.vectors = np.concatenate([p["vectors"] for p in parts]) if parts else np.zeros((0, 384), np.float16)
        self.rows = {k: n for n, k in enumerate(keys)}

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, text: str) -> np.ndarray | None:
        """Return the cached vector of a text (float32), or None."""
        row = self.rows.get(text_key(text))
        return None if row is None else self.vectors[row].astype(np.float32)

    def add(self, texts: list[str], vectors: np.ndarray) -> None:
        """Cache the vectors of texts, as one new part file written whole."""
        keys = [text_key(t) for t in texts]
        fresh = [n for n, k in enumerate(keys) if k not in self.rows]
        if not fresh:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        keys_array = np.frombuffer(b"".join(keys[n] for n in fresh), dtype=np.uint8).reshape(-1, KEY_BYTES)
        half = np.asarray(vectors, dtype=np.float32)[fresh].astype(np.float16)
        target = self.folder / f"part-{time.time_ns()}-{os.getpid()}.npz"
        temporary = target.with_suffix(".tmp.npz")
        np.savez(temporary, keys=keys_array, vectors=half)
        temporary.rename(target)  # a reader never sees half a part
        for offset, n in enumerate(fresh):
            self.rows[keys[n]] = len(self.vectors) + offset
        self.vectors = np.concatenate([self.vectors, half])


class CachedEmbeddings:
    """Cached real vectors for stored chunks; texts not in the cache are embedded by `real` and cached."""

    def __init__(self, real, cache: VectorCache) -> None:
        self.real, self.cache = real, cache
        self.embedded = 0  # texts the model had to embed: a full cache leaves it at 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Return a vector for each text."""
        found = [self.cache.get(t) for t in texts]
        missing = sorted({t for t, v in zip(texts, found) if v is None})
        if missing:
            vectors = np.asarray(self.real.embed_documents(missing), dtype=np.float32)
            self.cache.add(missing, vectors)
            self.embedded += len(missing)
            found = [self.cache.get(t) for t in texts]
        return [v.tolist() for v in found]

    def embed_query(self, text: str) -> list[float]:
        """Embed a question for real."""
        return self.real.embed_query(text)


def chunk_texts(chunks: int) -> Iterator[str]:
    """Yield the distinct chunk texts of the first `chunks` distractor chunks, split as ingestion splits them."""
    from benchmarks.bench_scale import distractor_texts
    from ingest import IndexSettings, load_file
    from ingest.splitting import make_splitter, split_document

    settings = IndexSettings(_env_file=None)
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    seen: set[bytes] = set()
    total = 0
    for name, text in distractor_texts():  # later rounds of the corpus repeat these texts under other names
        for piece in split_document(load_file(Path(name), text.encode("utf-8")), splitter):
            key = text_key(piece.text)
            if key not in seen:
                seen.add(key)
                yield piece.text
            total += 1
        if total >= chunks:
            return


def fill(chunks: int, batch: int = PART) -> dict:
    """Embed and cache every distinct distractor chunk text of a corpus of `chunks` chunks not cached yet."""
    from ingest.embeddings import local_embeddings

    cache, model = VectorCache(), local_embeddings()
    started, embedded, pending = time.perf_counter(), 0, []
    for text in chunk_texts(chunks):
        if cache.get(text) is None:
            pending.append(text)
        if len(pending) == batch:
            cache.add(pending, model.encode(pending))
            embedded += len(pending)
            pending = []
            log.info("cached %d vectors (%d new, %.0f/s)", len(cache), embedded,
                     embedded / (time.perf_counter() - started))
    if pending:
        cache.add(pending, model.encode(pending))
        embedded += len(pending)
    return {"cached": len(cache), "embedded": embedded, "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=110_000, help="the corpus size to cover")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(json.dumps(fill(args.chunks)), flush=True)


if __name__ == "__main__":
    main()

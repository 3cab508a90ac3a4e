"""HNSW graph shape and search breadth against recall@20, on the vectors of an index `bench_scale` built.

Run: `.venv/bin/python -m benchmarks.hnsw_sweep benchmarks/.work/scale/embedded-20000/index`. Copies the
index's vectors into fresh collections, one per graph shape, written 1,000 at a time as ingestion writes
them, and queries each with the first 50 dev questions at several breadths (a fresh client per breadth: an
embedded client keeps the breadth of the index it loaded). Prints one JSON object per shape and breadth.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import chromadb
import numpy as np
from chromadb.api.shared_system_client import SharedSystemClient

from benchmarks.scale_probe import dev_questions
from ingest import IndexSettings, open_store

SHAPES = [(16, 100), (32, 200), (48, 400)]  # (max_neighbors, ef_construction); Chroma's default first
BREADTHS = [100, 400, 1000]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("index_dir", type=Path)
    args = parser.parse_args()
    store = open_store(IndexSettings(index_dir=args.index_dir, _env_file=None))
    col = store.collection()
    ids = col.get(include=[])["ids"]
    vectors = np.concatenate([np.asarray(col.get(ids=ids[i : i + 2000], include=["embeddings"])["embeddings"])
                              for i in range(0, len(ids), 2000)]).astype(np.float32)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = np.asarray(store.embeddings.embed_documents(dev_questions()[:50]), dtype=np.float32)
    floors = [np.sort(unit @ q)[-20] - 1e-5 for q in queries]  # ties with the exact 20th count as found
    row_of = {cid: n for n, cid in enumerate(ids)}
    for neighbours, construction in SHAPES:
        path = Path(tempfile.mkdtemp(prefix="hnsw-sweep-"))
        client = chromadb.PersistentClient(path=str(path))
        sweep = client.create_collection("sweep", embedding_function=None, configuration={"hnsw": {
            "space": "cosine", "max_neighbors": neighbours, "ef_construction": construction}})
        started = time.perf_counter()
        for i in range(0, len(ids), 1000):
            sweep.upsert(ids=ids[i : i + 1000], embeddings=vectors[i : i + 1000])
        build = time.perf_counter() - started
        for breadth in BREADTHS:
            sweep.modify(configuration={"hnsw": {"ef_search": breadth}})
            SharedSystemClient.clear_system_cache()
            sweep = chromadb.PersistentClient(path=str(path)).get_collection("sweep", embedding_function=None)
            sweep.query(query_embeddings=[queries[0].tolist()], n_results=20, include=[])  # loads the index
            started = time.perf_counter()
            found = [sweep.query(query_embeddings=[q.tolist()], n_results=20, include=[])["ids"][0] for q in queries]
            ms = (time.perf_counter() - started) * 1000 / len(queries)
            recall = np.mean([sum(unit[row_of[i]] @ q >= floor for i in got) / 20
                              for got, q, floor in zip(found, queries, floors)])
            print(json.dumps({"chunks": len(ids), "max_neighbors": neighbours, "ef_construction": construction,
                              "ef_search": breadth, "recall_at_20": round(float(recall), 3),
                              "query_ms": round(ms, 1), "build_s": round(build, 1)}), flush=True)
        SharedSystemClient.clear_system_cache()
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()

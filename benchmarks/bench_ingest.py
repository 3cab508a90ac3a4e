"""Ingestion throughput on a real corpus no one here wrote: Debian's python3.11-doc HTML.

Run: `make bench` or `.venv/bin/python -m benchmarks.bench_ingest [--chunks 2000]`
(needs `apt-get install python3.11-doc`). Prints one JSON object; BENCHMARKS.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

from ingest import IndexSettings, open_store, sync_index
from ingest.loaders import load_file
from ingest.splitting import make_splitter, split_document

DOC_ROOT = Path("/usr/share/doc/python3.11/html")
WORK = Path(__file__).resolve().parent / ".work"


def pick_documents(target_chunks: int, settings: IndexSettings) -> list[Path]:
    """Take library/ pages in name order until they split into about target_chunks chunks."""
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    chosen, total = [], 0
    for path in sorted((DOC_ROOT / "library").glob("*.html")):
        n = len(split_document(load_file(path, path.read_bytes()), splitter))
        chosen.append(path)
        total += n
        if total >= target_chunks:
            break
    return chosen


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=2000)
    args = parser.parse_args()
    if not DOC_ROOT.is_dir():
        sys.exit("python3.11-doc is not installed: apt-get install python3.11-doc")
    shutil.rmtree(WORK, ignore_errors=True)
    docs = WORK / "docs"
    docs.mkdir(parents=True)
    settings = IndexSettings(docs_dir=docs, index_dir=WORK / "index", agenda_file=None, _env_file=None)
    for path in pick_documents(args.chunks, settings):
        shutil.copy(path, docs / path.name)
    store = open_store(settings)
    model = store.embeddings

    # The raw model alone, on exactly the chunks the pipeline will embed.
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    texts = [p.text for f in sorted(docs.iterdir()) for p in split_document(load_file(f, f.read_bytes()), splitter)]
    started = time.perf_counter()
    model.embed_documents(texts)
    raw_seconds = time.perf_counter() - started

    full = sync_index(settings, store)
    again = sync_index(settings, store)
    result = {
        "documents": full.added, "chunks": full.chunks_written,
        "full_seconds": full.seconds, "documents_per_s": round(full.added / full.seconds, 2),
        "chunks_per_s": round(full.chunks_written / full.seconds, 2),
        "raw_model_seconds": round(raw_seconds, 3), "raw_model_chunks_per_s": round(len(texts) / raw_seconds, 2),
        "pipeline_vs_raw": round((full.chunks_written / full.seconds) / (len(texts) / raw_seconds), 3),
        "unchanged_reindex_seconds": again.seconds,
        "unchanged_vs_full": round(again.seconds / full.seconds, 4),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

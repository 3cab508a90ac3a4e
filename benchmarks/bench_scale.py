"""Scale: the mission's documents among 2k, 20k and 100k chunks of other text, embedded and against `chroma run`.

Run: `make bench-scale` or `.venv/bin/python -m benchmarks.bench_scale [--sizes 2000 20000 100000]
[--modes embedded server]` (needs `apt-get install python3.11-doc`). Prints one JSON object per size and mode.

Distractors are real text no one here wrote: Debian's Python 3.11 HTML documentation and the Debian changelogs
under /usr/share/doc (repeated under other names when they run out). The mission's documents are indexed
first with real MiniLM vectors. Distractor vectors are real too (`--vectors real`, the default once
`python -m benchmarks.scale_vectors` has filled its cache, 13 to 60 minutes on 2 cores: the corpus's 110k chunks
hold 43k distinct texts), or synthetic (`--vectors synthetic`, the stress case): the first POOL distractor
chunks get their real MiniLM vectors, and every later one is one of those plus Gaussian noise (NOISE times a
unit vector's length), normalised, chosen and seeded by a hash of the chunk's text (so a re-index gives the
same vector): 256 tight clusters, far harder for HNSW than real text. Questions are always embedded for real.

Each figure is measured in fresh processes as an operator meets it: the bot's start-up and first question,
warm questions, the first question after `python -m ingest` re-indexed one document (and the slowest
question asked while it ran), one `python -m bot ask`, the bot's RSS, an unchanged `python -m ingest`,
HNSW recall@20 against an exact search, and right answers on the dev question set.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_answer import ASK
from benchmarks.scale_vectors import CACHE, CachedEmbeddings, VectorCache
from bot.testing import free_port
from bot.testing.chroma import launch_chroma
from ingest import PROJECT_ROOT, IndexSettings, open_store, sync_index
from ingest.loaders import load_file

WORK = Path(__file__).resolve().parent / ".work" / "scale"
PY_DOCS = Path("/usr/share/doc/python3.11/html")
MISSION = PROJECT_ROOT / "data" / "documents"
POOL = 256
NOISE = 0.6
CHARS_PER_CHUNK = 430  # what the splitter averaged on this text at MISSIONBOT_CHUNK_SIZE 500
QUESTIONS = 50  # warm questions and recall queries: the first dev questions


class SyntheticEmbeddings:
    """Real vectors for the first POOL texts; perturbed copies of them for the rest (see the module docstring)."""

    def __init__(self, real) -> None:
        self.real = real
        self.pool: list[np.ndarray] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Return a vector for each text."""
        take = texts[: max(0, POOL - len(self.pool))]
        if take:
            self.pool.extend(np.asarray(self.real.embed_documents(take), dtype=np.float32))
        return [list(map(float, self.pool[i])) for i in range(len(self.pool) - len(take), len(self.pool))] + [
            self._perturbed(t) for t in texts[len(take):]]

    def _perturbed(self, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        rng = np.random.default_rng(seed)
        base = self.pool[seed % len(self.pool)]
        v = base + NOISE * rng.standard_normal(base.shape[0]).astype(np.float32) / np.sqrt(base.shape[0])
        return list(map(float, v / np.linalg.norm(v)))

    def embed_query(self, text: str) -> list[float]:
        """Return a real vector (questions are never synthetic)."""
        return self.real.embed_query(text)


def distractor_texts() -> list[tuple[str, str]]:
    """Return (name, text) of every distractor document, in a fixed order."""
    found = []
    for path in sorted(PY_DOCS.rglob("*.html")):
        text = load_file(path, path.read_bytes()).text
        found.append((f"pydoc-{path.relative_to(PY_DOCS).as_posix().replace('/', '-')}.txt", text))
    for path in sorted(Path("/usr/share/doc").glob("*/changelog.Debian.gz")):
        text = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        found.append((f"changelog-{path.parent.name}.txt", text))
    return [(n, t) for n, t in found if len(t) > 200]


def make_corpus(docs: Path, chunks: int) -> None:
    """Write the mission's documents and about `chunks` chunks of distractors into docs/."""
    shutil.copytree(MISSION, docs)
    available, written, round_ = distractor_texts(), 0, 0
    while written < chunks:
        for name, text in available:
            target = docs / "distractors" / (f"r{round_}-{name}" if round_ else name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written += max(1, len(text) // CHARS_PER_CHUNK)
            if written >= chunks:
                return
        round_ += 1


class ChromaServer:
    """`chroma run` on a folder and a port, restartable (it keeps the search breadth it loaded until restarted)."""

    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> ChromaServer:
        """Start the server and wait for its heartbeat."""
        # As long as this benchmark always allowed (300 tries, 0.2 s apart), twice what a test waits.
        self.proc = launch_chroma(self.path, self.port, wait=60.0)
        return self

    def stop(self) -> None:
        """Stop the server."""
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(30)
            self.proc = None

    def restart(self) -> None:
        """Stop and start the server on the same folder and port."""
        self.stop()
        self.start()


def environment(work: Path, port: int | None) -> dict[str, str]:
    env = {**os.environ, "MISSIONBOT_DOCS_DIR": str(work / "docs"), "MISSIONBOT_INDEX_DIR": str(work / "index"),
           "MISSIONBOT_ANSWER_MODE": "extractive"}
    if port:
        env |= {"MISSIONBOT_CHROMA_HOST": "127.0.0.1", "MISSIONBOT_CHROMA_PORT": str(port)}
    return env


def build(settings: IndexSettings, vectors: str) -> dict:
    """Index the mission's documents with real vectors, then everything with cached real or synthetic vectors."""
    distractors = settings.docs_dir / "distractors"
    aside = settings.docs_dir.parent / "distractors"
    distractors.rename(aside)
    store = open_store(settings)
    started = time.perf_counter()
    sync_index(settings, store)
    aside.rename(distractors)
    distractor_embeddings = (CachedEmbeddings(store.embeddings, VectorCache()) if vectors == "real"
                             else SyntheticEmbeddings(store.embeddings))
    store.embeddings = distractor_embeddings
    report = sync_index(settings, store)
    store.close()
    return {"chunks": report.total_chunks, "documents": report.total_documents,
            "build_s": round(time.perf_counter() - started, 1),
            "embedded_at_build": getattr(distractor_embeddings, "embedded", POOL)}


def timed(cmd: list[str], env: dict) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd[1:])} failed:\n{done.stderr[-3000:]}")
    return round(time.perf_counter() - started, 2), done.stdout


def nearest(store, queries: np.ndarray) -> tuple[list[list[str]], float]:
    """Return each query's 20 nearest chunk ids from Chroma, and the mean query time in ms (index loaded first)."""
    col = store.collection()
    col.query(query_embeddings=[queries[0].tolist()], n_results=20, include=[])  # loads the index
    started = time.perf_counter()
    found = [col.query(query_embeddings=[q.tolist()], n_results=20, include=[])["ids"][0] for q in queries]
    return found, round((time.perf_counter() - started) * 1000 / len(queries), 1)


def recall(settings: IndexSettings, questions: list[str], server: ChromaServer | None) -> dict:
    """Return HNSW recall@20 against an exact search, and the query time, at our search breadth and Chroma's
    default; in server mode also at the default before the server was restarted (it keeps the breadth it loaded).

    A found chunk counts when it is at least as similar as the exact 20th: repeated text (changelog
    boilerplate) gives identical vectors, and which of a tie Chroma returns is not a miss."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from ingest.store import HNSW_EF_SEARCH

    store = open_store(settings)
    col = store.collection()
    ids = col.get(include=[])["ids"]
    vectors = np.concatenate([np.asarray(col.get(ids=ids[i : i + 2000], include=["embeddings"])["embeddings"])
                              for i in range(0, len(ids), 2000)]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    row_of = dict(zip(ids, range(len(ids))))
    queries = np.asarray(store.embeddings.embed_documents(questions), dtype=np.float32)
    floors = [np.sort(vectors @ q)[-20] - 1e-5 for q in queries]

    def score(found: list[list[str]], ms: float) -> dict:
        hits = [sum(vectors[row_of[i]] @ q >= floor for i in got) / 20 for got, q, floor in zip(found, queries, floors)]
        return {"recall_at_20": round(float(np.mean(hits)), 3), "query_ms": ms}

    out = {f"ef{HNSW_EF_SEARCH}": score(*nearest(store, queries))}
    for ef in (100, HNSW_EF_SEARCH):  # Chroma's default, then back to ours as the index was built
        store.collection().modify(configuration={"hnsw": {"ef_search": ef}})
        if server and ef == 100:
            out["ef100_before_restart"] = score(*nearest(store, queries))
        store.close()
        SharedSystemClient.clear_system_cache()  # an embedded client keeps the index it loaded, with its breadth
        if server:
            server.restart()
        store = open_store(settings)
        if ef == 100:
            out["ef100"] = score(*nearest(store, queries))
    store.close()
    return out


def measure(size: int, mode: str, vectors: str, reuse: bool = False) -> dict:
    """Build one corpus and index, and measure it."""
    work = WORK / (f"{mode}-{size}" if vectors == "real" else f"{mode}-{size}-synthetic")
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        make_corpus(work / "docs", size)
    chroma = ChromaServer(work / "chroma").start() if mode == "server" else None
    port = chroma.port if chroma else None
    try:
        env = environment(work, port)
        settings = IndexSettings(docs_dir=work / "docs", index_dir=work / "index", chroma_host="127.0.0.1" if port
                                 else None, chroma_port=port or 8000, _env_file=None)
        row = {"mode": mode, "target": size, "vectors": vectors}
        if reuse:  # the index as the last run left it: the writer brings the lexical file up to date first
            for note in (work / "docs").glob("scale-probe-*.txt"):  # the earlier probes' notes go out of it
                note.unlink()
            row["catch_up_s"] = timed([sys.executable, "-m", "ingest", "--json"], env)[0]
        else:
            row |= build(settings, vectors)
        row["probe"] = json.loads(timed([sys.executable, "-m", "benchmarks.scale_probe"], env)[1])
        row["ask_s"] = timed([sys.executable, "-m", "bot", "ask", ASK], env)[0]
        wall, out = timed([sys.executable, "-m", "ingest", "--json"], env)
        row["unchanged_reindex"] = {"process_s": wall, "sync_s": json.loads(out)["seconds"]}
        from benchmarks.scale_probe import dev_questions

        row["recall"] = recall(settings, dev_questions()[:QUESTIONS], chroma)
        return row
    finally:
        if chroma:
            chroma.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000, 100000])
    parser.add_argument("--modes", nargs="+", default=["embedded", "server"], choices=["embedded", "server"])
    parser.add_argument("--reuse", action="store_true", help="measure the indexes the last run built, not new ones")
    parser.add_argument("--vectors", choices=["real", "synthetic"], default=None,
                        help="distractor vectors (default: real when benchmarks.scale_vectors has cached them)")
    parser.add_argument("--against", type=Path, help="a file holding a row this benchmark printed earlier: each new "
                        "row also lists the dev questions it gets wrong that one got right (dev_lost), and back")
    args = parser.parse_args()
    vectors = args.vectors or ("real" if any(CACHE.glob("part-*.npz")) else "synthetic")
    if not PY_DOCS.is_dir():
        sys.exit("python3.11-doc is not installed: apt-get install python3.11-doc")
    before = set(json.loads(args.against.read_text())["probe"]["dev_wrong"]) if args.against else None
    for size in args.sizes:
        for mode in args.modes:
            row = measure(size, mode, vectors, args.reuse)
            if before is not None:
                wrong = set(row["probe"]["dev_wrong"])
                row |= {"dev_lost": sorted(wrong - before), "dev_gained": sorted(before - wrong)}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()

"""One 19 MB `.txt` (under the 20 MB limit), indexed by `python -m ingest` with the local model.

Run: `.venv/bin/python -m benchmarks.bench_large_file [--mb 19]`. Generates the file (prose-like
paragraphs, some sentences leaning on the one before, so the lead-in rule runs), indexes it in a child
process, and prints one JSON object: wall time, the child's peak RSS, chunks, and the progress lines
it logged (one per written window). BENCHMARKS.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("cluster delegation partner innovation energy region visit roundtable mission agreement city "
         "university company programme research network water design health mobility data").split()
OPENERS = ("The", "A", "Each", "One", "Another", "These", "It", "Their", "Such")


def sentence(rng: random.Random) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
    return f"{rng.choice(OPENERS)} {words} in {rng.randint(1990, 2030)}."


def write_text(path: Path, megabytes: float, seed: int = 3) -> None:
    """Write paragraphs of generated sentences until the file has this many megabytes."""
    rng = random.Random(seed)
    limit = int(megabytes * 2**20)
    with path.open("w", encoding="utf-8") as out:
        size = 0
        while size < limit:
            paragraph = " ".join(sentence(rng) for _ in range(rng.randint(3, 8))) + "\n\n"
            size += out.write(paragraph)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=19.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        big = docs / "large.txt"
        write_text(big, args.mb)
        file_mb = big.stat().st_size / 2**20
        env = {**os.environ, "MISSIONBOT_AGENDA_FILE": "/nonexistent", "MISSIONBOT_LOG_FORMAT": "text"}
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "ingest", "-v", "--json", "--docs", str(docs), "--index-dir",
                               str(Path(tmp) / "index")], capture_output=True, text=True, env=env)
        seconds = time.monotonic() - started
    windows = [line for line in proc.stderr.splitlines() if "wrote window" in line]
    summary = json.loads(proc.stdout) if proc.returncode == 0 else {"error": proc.stderr[-2000:]}
    print(json.dumps({
        "file_mb": round(file_mb, 2), "exit_code": proc.returncode, "seconds": round(seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "chunks": summary.get("total_chunks"), "windows_written": len(windows),
        "first_window": windows[0] if windows else None, "last_window": windows[-1] if windows else None,
        "chunks_per_s": round((summary.get("total_chunks") or 0) / seconds, 1),
    }, indent=2))


if __name__ == "__main__":
    main()

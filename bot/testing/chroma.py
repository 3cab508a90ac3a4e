"""Start a real `chroma run` on loopback, for the tests and benchmarks that need a Chroma server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def launch_chroma(path: Path, port: int, wait: float = 30.0) -> subprocess.Popen:
    """Start `chroma run` on a folder and a loopback port and wait for its heartbeat; return the process.

    Raise RuntimeError (the process killed) when it does not answer within `wait` seconds."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    proc = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"chroma run did not answer its heartbeat within {wait:.0f} s")

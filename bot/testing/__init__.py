"""Test support shared by `tests/` and `benchmarks/`: local stand-ins for Discord and an OpenAI-compatible
server, the harness that runs the real bot against them, helpers that run `python -m ingest`, and a real
`chroma run` started on loopback.

It lives in the package (like `aiohttp.test_utils`) so that benchmarks need not import `tests`; nothing
outside `bot/testing/` imports it, and it starts only loopback servers.
"""

from __future__ import annotations

import os
import random
import socket

_PORTS = (20000, 30000)  # below Linux's default ephemeral range (32768-60999)


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now.

    Picked at random below the kernel's ephemeral range (where bind(0) and outgoing connections take theirs),
    and, under pytest-xdist, in a part of it only this worker uses: a port one worker has found free, and
    a bot process still starting has not yet bound, is then never taken by the other worker's server (which
    once answered a health check with its 404).
    """
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    span = (_PORTS[1] - _PORTS[0]) // count
    low = _PORTS[0] + (int(worker) % count if worker.isdigit() else 0) * span
    for _ in range(200):
        port = random.randrange(low, low + span)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise OSError(f"no free loopback port in {low}-{low + span - 1}")

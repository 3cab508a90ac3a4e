"""Test support shared by `tests/` and `benchmarks/`: local stand-ins for Discord and an OpenAI-compatible
server, the harness that runs the real bot against them, helpers that run `python -m ingest`, and a real
`chroma run` started on loopback.

It lives in the package (like `aiohttp.test_utils`) so that benchmarks need not import `tests`; nothing
outside `bot/testing/` imports it, and it starts only loopback servers.
"""

from __future__ import annotations

import os
import socket


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now.

    Under pytest-xdist each worker takes only ports of its own residue (gw0 even, gw1 odd with two): a port
    one worker has found free, and not yet bound (a bot process still starting), is then never handed to
    the other worker's server in the meantime, which once answered a health check with its 404.
    """
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    residue = int(worker) % count if worker.isdigit() else 0
    for _ in range(1000):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port % count == residue:
            return port
    raise OSError(f"no free loopback port with residue {residue} modulo {count}")

"""Test support shared by `tests/` and `benchmarks/`: local stand-ins for Discord and an OpenAI-compatible
server, the harness that runs the real bot against them, helpers that run `python -m ingest`, and a real
`chroma run` started on loopback.

It lives in the package (like `aiohttp.test_utils`) so that benchmarks need not import `tests`; nothing
outside `bot/testing/` imports it, and it starts only loopback servers.
"""

from __future__ import annotations

import socket


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""Work in flight: a stopping bot finishes what it has acknowledged, or says it could not, within a bound.

Each face's handler runs in its own task; the Assistant counts that task as in flight when the handler
asks it for something, so `drain` waits for the whole handling, reply included.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

RESTARTING = "I'm restarting; please ask again in a minute."
UNFINISHED = "I'm restarting and could not finish this; please ask again in a minute."
APOLOGY_S = 5.0  # after the grace period, the time left for the replies saying so


class ShuttingDown(Exception):
    """The bot is stopping: it takes no new work, and work still running at the deadline is given up."""


class InFlight:
    """The tasks doing work for users, and the switch that stops taking more."""

    def __init__(self) -> None:
        self.closing = False
        self._tasks: set[asyncio.Task] = set()
        self._give_up = asyncio.Event()

    def admit(self) -> None:
        """Count the calling task as in flight; raise ShuttingDown if no new work is taken."""
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)  # even when refused: its reply is part of the shutdown
            task.add_done_callback(self._tasks.discard)
        if self.closing:
            raise ShuttingDown(RESTARTING)

    async def finish(self, work: Awaitable[T]) -> T:
        """Wait for work, unless the shutdown gives up on it first (then raise ShuttingDown)."""
        job, stop = asyncio.ensure_future(work), asyncio.ensure_future(self._give_up.wait())
        try:
            await asyncio.wait({job, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not job.done():
            job.add_done_callback(lambda done: done.cancelled() or done.exception())  # nobody awaits it now
            raise ShuttingDown(UNFINISHED)
        return job.result()

    async def drain(self, grace: float) -> int:
        """Take no new work, let the work in flight finish for up to `grace` seconds, then give up on the
        rest and leave it APOLOGY_S to say so; return how many were given up."""
        self.closing = True
        loop, me = asyncio.get_running_loop(), asyncio.current_task()
        deadline = loop.time() + grace
        while (pending := self._tasks - {me}) and loop.time() < deadline:
            await asyncio.wait(pending, timeout=deadline - loop.time())
        pending = self._tasks - {me}
        if pending:
            log.warning("gave up on %d unfinished answer(s) after %.0f s; telling their askers", len(pending), grace)
            self._give_up.set()
            await asyncio.wait(pending, timeout=APOLOGY_S)
        return len(pending)

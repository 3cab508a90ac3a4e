"""Keep calling a Chroma server that stopped answering for a while (a restart, a network blip).

Only writers retry: an index run would otherwise die on the first refused connection and leave its
lease behind, while a reader (a question) is better told at once that the knowledge base is away.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import tenacity

log = logging.getLogger(__name__)

T = TypeVar("T")


def transient(exc: BaseException) -> bool:
    """Say whether an error means the server could not be reached, rather than that it refused the call."""
    import httpx

    return isinstance(exc, httpx.TransportError | ConnectionError)


def persist(seconds: float, where: str, fn: Callable[..., T], /, *args, **kwargs) -> T:
    """Call fn, retrying with growing pauses for up to `seconds` while the server cannot be reached;
    then raise the last error."""
    if seconds <= 0:
        return fn(*args, **kwargs)

    def waiting(state: tenacity.RetryCallState) -> None:
        if state.attempt_number == 1:  # one line per outage, not one per attempt
            log.warning("%s is not answering (%s); retrying for up to %g s", where,
                        type(state.outcome.exception()).__name__, seconds)

    retrying = tenacity.Retrying(retry=tenacity.retry_if_exception(transient), reraise=True,
                                 wait=tenacity.wait_exponential(multiplier=0.25, max=4),
                                 stop=tenacity.stop_after_delay(seconds), before_sleep=waiting)
    return retrying(fn, *args, **kwargs)

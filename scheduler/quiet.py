"""A job the scheduler cancels when it shuts down ends quietly, not with a logged traceback.

APScheduler's asyncio executor cancels the jobs still running when the scheduler stops, and
logs the CancelledError of each as a failure ("Job … raised an exception", with a traceback).
A periodic job that happens to run at a SIGTERM did nothing wrong; its work is idempotent and
runs again on the next leader.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def ends_quietly(job: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | None]]:
    """job, except that being cancelled ends it with None and a line in the log."""

    @functools.wraps(job)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return await job(*args, **kwargs)
        except asyncio.CancelledError:
            name: Any = getattr(job, "__qualname__", job)
            log.info("%s stopped: the scheduler is shutting down", name)
            return None

    return run

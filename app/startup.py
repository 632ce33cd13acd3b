"""Start-up work that needs the store (the sample-data check, the first index build), done even
when a remote store is down at start.

A server restarted during a store outage must not crash-loop: it starts, answers every
store-backed route (and /health) with 503 + Retry-After, and keeps trying in the background; once
the store answers it finishes the work and serves normally, with no restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from .errors import StoreUnavailable

log = logging.getLogger(__name__)
RETRY_SECONDS = 2.0
RETRY_AFTER = "5"


class Startup:
    """Whether this worker has done its start-up work; `check()` is the gate for store routes."""

    def __init__(self, work: Callable[[], None], *, retry: bool, retry_seconds: float = RETRY_SECONDS) -> None:
        self._work = work
        self._retry = retry  # a remote store can come back; an embedded one that fails will not
        self._retry_seconds = retry_seconds
        self.ready = False
        self._task: asyncio.Task | None = None

    async def begin(self) -> None:
        """Do the work now; if the store is unreachable (remote only), go on trying in the background."""
        try:
            await run_in_threadpool(self._work)
        except StoreUnavailable as exc:
            if not self._retry:
                raise
            log.warning("the store is unreachable at start (%s); serving 503 until it answers", exc.detail)
            self._task = asyncio.create_task(self._keep_trying())
            return
        self.ready = True

    async def _keep_trying(self) -> None:
        while True:
            await asyncio.sleep(self._retry_seconds)
            try:
                await run_in_threadpool(self._work)
            except StoreUnavailable:
                continue
            except Exception:  # anything else is not an outage: log it and leave the gate shut
                log.exception("start-up work failed after the store came back")
                return
            self.ready = True
            log.warning("the store answers: start-up work done, serving")
            return

    def check(self) -> None:
        if not self.ready:
            raise StoreUnavailable("The triple store is not reachable yet; the service starts as soon as it is",
                                   headers={"Retry-After": RETRY_AFTER})

    async def end(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

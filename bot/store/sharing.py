"""One running task per key, shared by every caller in this process.

Both stores coalesce identical lookups in-process this way (the Redis store then coalesces
across processes inside the shared task). The work runs in its own task, shielded from each
caller: a caller that gives up (its timeout, its cancellation) leaves the others' result
intact. Only when every caller has been cancelled is the work itself cancelled, so no one pays
for an answer nobody wants.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from bot.errors import WaitTimedOut, WorkStopped

T = TypeVar("T")


class SharedRuns(Generic[T]):
    def __init__(self) -> None:
        self._inflight: dict[str, asyncio.Task[T]] = {}
        self._sharers: dict[str, int] = {}

    def tasks(self) -> list[asyncio.Task[T]]:
        return list(self._inflight.values())

    def sharers(self, key: str) -> int:
        """Callers currently waiting on `key`'s run (0 when none is running)."""
        return self._sharers.get(key, 0)

    def clear(self) -> list[asyncio.Task[T]]:
        """Forget every running task (for close()); returns them so the caller can cancel."""
        tasks = self.tasks()
        self._inflight.clear()
        self._sharers.clear()
        return tasks

    async def run(
        self, key: str, start: Callable[[], Coroutine[Any, Any, T]], timeout: float | None
    ) -> tuple[T, bool]:
        """(result, shared): `shared` is True for callers that joined a task already running.

        Every caller's wait, the starter's too, is bounded by `timeout` (→ `WaitTimedOut`);
        None leaves the bound to the caller.
        """
        task = self._inflight.get(key)
        shared = task is not None
        if task is None:
            task = asyncio.create_task(start(), name=f"run_once:{key}")
            self._inflight[key] = task
            self._sharers[key] = 0
            task.add_done_callback(lambda t: self._work_done(key, t))
        self._sharers[key] += 1
        deadline = asyncio.timeout(timeout)
        try:
            async with deadline:
                result = await asyncio.shield(task)
        except TimeoutError:
            if not deadline.expired():
                raise  # the work's own TimeoutError, not this wait's bound
            raise WaitTimedOut(f"no answer within {timeout:g} s") from None
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and current is not None and not current.cancelling():
                # The shared work was stopped (shutdown), not this caller.
                raise WorkStopped("the shared lookup was stopped") from None
            if self._inflight.get(key) is task and self._sharers.get(key) == 1:
                # The last caller still interested is gone: stop the work.
                self._inflight.pop(key, None)
                self._sharers.pop(key, None)
                task.cancel()
            raise
        finally:
            if self._inflight.get(key) is task and key in self._sharers:
                self._sharers[key] -= 1
        return result, shared

    def _work_done(self, key: str, task: asyncio.Task[T]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
            self._sharers.pop(key, None)
        if not task.cancelled():
            task.exception()  # mark retrieved: sharers that timed out may never look at it

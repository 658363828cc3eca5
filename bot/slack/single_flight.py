"""Cached reads of Slack data (a user's locale, a user group's members), one read at a time.

However many answers need the same value at once, one Web API call fetches it and every caller
shares its result; the value is then reused for `ttl` seconds. A failed read reaches every
caller waiting on it, and the last value read stays available (`stale`) for callers that
prefer old data to none.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ReadFailedRecently(Exception):
    """The last read of this key failed moments ago: not trying again yet."""


class SingleFlightCache(Generic[K, V]):
    """`retry_after`: after a failed read, callers fail at once for that long instead of each
    waiting on a new read of a service that is down."""

    def __init__(
        self,
        *,
        ttl: float,
        maxsize: int,
        clock: Callable[[], float] = time.monotonic,
        retry_after: float = 0.0,
    ) -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self.clock = clock
        self.retry_after = retry_after
        self._values: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._reads: dict[K, asyncio.Future[V]] = {}
        self._failed_at: dict[K, float] = {}

    def fresh(self, key: K) -> V | None:
        """The value read less than `ttl` ago, else None (no read is started)."""
        item = self._values.get(key)
        if item is None or self.clock() - item[0] >= self.ttl:
            return None
        return item[1]

    def stale(self, key: K, max_age: float | None = None) -> V | None:
        """The last value read, if read less than `max_age` ago (any age when None)."""
        item = self._values.get(key)
        if item is None or (max_age is not None and self.clock() - item[0] >= max_age):
            return None
        return item[1]

    async def get(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        """The fresh value, or the result of the one `read()` in flight for `key`."""
        value = self.fresh(key)
        if value is not None:
            return value
        pending = self._reads.get(key)
        if pending is None:
            failed_at = self._failed_at.get(key)
            if failed_at is not None and self.clock() - failed_at < self.retry_after:
                raise ReadFailedRecently(f"last read failed {self.clock() - failed_at:.1f} s ago")
            pending = asyncio.ensure_future(self._read(key, read))
            self._reads[key] = pending
            pending.add_done_callback(lambda _: self._reads.pop(key, None))
        # Shielded: one caller giving up (its timeout) does not cancel the others' read.
        return await asyncio.shield(pending)

    async def _read(self, key: K, read: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await read()
        except Exception:
            self._failed_at[key] = self.clock()
            raise
        self._failed_at.pop(key, None)
        self._values[key] = (self.clock(), value)
        self._values.move_to_end(key)
        while len(self._values) > self.maxsize:
            self._values.popitem(last=False)
        return value

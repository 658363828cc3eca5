"""Cached reads of Slack data (a user's locale, a user group's members), one read at a time.

However many answers need the same value at once, one Web API call fetches it and every caller
shares its result; the value is then reused for `ttl` seconds. A failed read reaches every
caller waiting on it, and the last value read stays available (`stale`) for callers that
prefer old data to none.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from bot.store.sharing import SharedRuns

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
        self._reads: SharedRuns[V] = SharedRuns()  # the store's in-process sharing, as is
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
        name = repr(key)
        since = self.clock() - self._failed_at.get(key, float("-inf"))
        if since < self.retry_after and not self._reads.sharers(name):
            raise ReadFailedRecently(f"last read failed {since:.1f} s ago")
        # One read for every caller; one giving up (its timeout) leaves the others' read be.
        value, _ = await self._reads.run(name, lambda: self._read(key, read), timeout=None)
        return value

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

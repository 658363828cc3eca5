"""Circuit breaker: when Wolkvox itself is down, answer "unavailable" at once.

Without it every agent would queue behind a dead Wolkvox for the full timeout, one token slot at
a time. State lives in the shared store, so every instance sees the same breaker. While open,
one probe at a time is let through; its success closes the breaker.

It counts failed lookups, not attempts, and only distinct queries: one customer whose answer is
broken or slow fails their own lookups, not the team's. `threshold` distinct queries failing
with no success in between (a success from anywhere starts a new count) is evidence of an outage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bot.errors import LookupFailure
from bot.store.base import Store
from bot.wolkvox.errors import CircuitOpen, Unavailable, UpstreamTimeout

_FAILURES = "breaker:failures"
_GENERATION = "breaker:generation"  # moves on with every success: a new count of distinct queries
_OPEN_UNTIL = "breaker:open_until"
_PROBE = "breaker:probe"

# Failures that say "Wolkvox (or the way to it) is down", not "this request was wrong". A broken
# answer is usually about one record set (truncated, oversized), so it does not stop everyone.
TRIPPING_ERRORS: tuple[type[LookupFailure], ...] = (Unavailable, UpstreamTimeout)


class CircuitBreaker:
    def __init__(
        self,
        store: Store[Any],
        *,
        threshold: int = 5,
        window: float = 60.0,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.time,
        namespace: str = "",
    ) -> None:
        """`namespace`: an operation's key, so each operation's Wolkvox trips its own breaker
        ("" keeps the keys of a deployment with one operation)."""
        self.store = store
        self._ns = f"{namespace}:" if namespace else ""
        self.threshold = threshold
        self.window = window
        self.cooldown = cooldown
        self.clock = clock

    async def _open_until(self) -> float:
        raw = await self.store.value_get(self._ns + _OPEN_UNTIL)
        try:
            return float(raw) if raw else 0.0
        except ValueError:
            return 0.0

    async def check(self) -> None:
        """Raise `CircuitOpen` while open, except for the one caller chosen to probe."""
        open_until = await self._open_until()
        if not open_until:
            return
        now = self.clock()
        if now < open_until:
            raise CircuitOpen("circuit open", retry_after=max(1.0, open_until - now))
        # Cool-down over: one probe per cool-down goes through; the rest keep failing fast.
        if not await self.store.value_set_if_absent(self._ns + _PROBE, "1", self.cooldown):
            raise CircuitOpen("circuit half-open, probe in flight", retry_after=self.cooldown)

    async def record_success(self) -> None:
        if await self._open_until():
            await self.store.value_set(self._ns + _OPEN_UNTIL, "0", ttl=None)
        await self.store.counter_set(self._ns + _FAILURES, 0, ttl=self.window)
        await self.store.counter_incr(self._ns + _GENERATION, 1, ttl=0)

    async def record_failure(self, error: LookupFailure, query_key: str | None = None) -> None:
        """One failed lookup. With `query_key` (a digest of the query, never the query), a
        query that already failed since the last success does not count again."""
        if not isinstance(error, TRIPPING_ERRORS) or isinstance(error, CircuitOpen):
            return
        half_open = bool(await self._open_until())
        if query_key is not None and not half_open:
            generation = await self.store.counter_get(self._ns + _GENERATION)
            first_time = await self.store.value_set_if_absent(
                f"{self._ns}breaker:failed:{generation}:{query_key}", "1", self.window
            )
            if not first_time:
                return
        failures = await self.store.counter_incr(self._ns + _FAILURES, 1, ttl=self.window)
        if failures >= self.threshold or half_open:
            until = self.clock() + self.cooldown
            await self.store.value_set(self._ns + _OPEN_UNTIL, repr(until), ttl=None)
            await self.store.counter_set(self._ns + _FAILURES, 0, ttl=self.window)

    async def state(self) -> str:
        open_until = await self._open_until()
        if not open_until:
            return "closed"
        return "open" if self.clock() < open_until else "half-open"

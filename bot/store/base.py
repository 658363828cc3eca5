"""The one interface behind which all shared state sits.

Two backends implement it: `MemoryStore` (one process, the default) and `RedisStore`
(`REDIS_URL`, several processes). The lookup service, guard, quota, breaker, event dedupe and
rate limiter only ever talk to this interface, so switching backends changes no caller.

Keys are plain strings chosen by callers (e.g. `slot:<token fingerprint>`); backends may prefix
them. No key ever contains a secret: tokens are referred to by their fingerprint.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

V = TypeVar("V")

# Called with the waiter's 1-based position in the queue whenever it has to wait (and again as
# it moves up). May be a plain function or a coroutine function; errors in it are ignored.
PositionCallback = Callable[[int], Awaitable[None] | None]

log = logging.getLogger(__name__)


async def notify_position(callback: PositionCallback | None, position: int) -> None:
    """Call a position callback (sync or async) and wait for it; its errors never fail a
    lookup (they are logged)."""
    if callback is None:
        return
    try:
        outcome = callback(position)
        if inspect.isawaitable(outcome):
            await outcome
    except Exception as error:
        log.debug("position callback failed: %s", type(error).__name__)


@dataclass(frozen=True, slots=True)
class Relief:
    """When every holder of a slot key has held it `after` seconds (they look stuck) and
    callers wait, let more through, up to `limit` holders in all. Wolkvox allows 2 requests
    in flight per token; the guard keeps 1 by default and uses the second only as this relief,
    so one hung call does not freeze the team behind it."""

    after: float
    limit: int


class SlotLease(Protocol):
    """One held slot of a per-token semaphore. Release exactly once (idempotent is fine)."""

    async def release(self) -> None: ...


class Store(Protocol[V]):
    """Shared state for one kind of value `V` (the lookup's: a fetched answer), which the store
    keeps without knowing what it is (a backend that needs bytes is given a codec)."""

    backend: str  # "memory" or "redis"

    async def start(self) -> None:
        """Connect / verify. Raises `StoreUnavailable` when the backend cannot be reached."""

    async def close(self) -> None: ...

    async def health(self) -> dict[str, Any]:
        """`{"backend": ..., "ok": bool, ...}` for /healthz and /wolkvox status. Never raises."""

    # --- per-token fair semaphore (the guard) --------------------------------------------
    async def acquire_slot(
        self,
        key: str,
        limit: int,
        *,
        timeout: float,
        lease: float,
        on_position: PositionCallback | None = None,
        relief: Relief | None = None,
        first: bool = False,
    ) -> SlotLease:
        """Wait first-come first-served until fewer than `limit` holders of `key` exist (or,
        with `relief`, until every holder has held its slot `relief.after` seconds and fewer
        than `relief.limit` hold one). A `first` waiter (a dial: an agent with a customer on
        the line) queues ahead of every waiter that is not, never past the limit.

        Raises `Busy` after `timeout` seconds of waiting. `lease` bounds how long a crashed
        holder can keep the slot (only meaningful across processes).
        """

    async def slot_usage(self, key: str) -> tuple[int, int]:
        """(in flight, waiting) for `key`: for token selection and status."""

    # --- counters (daily quota, breaker failures) ----------------------------------------
    async def counter_incr(self, key: str, amount: int, ttl: float) -> int:
        """Add `amount` and return the new value; the key expires `ttl` s after creation."""

    async def counter_get(self, key: str) -> int: ...

    async def counter_set(self, key: str, value: int, ttl: float) -> None: ...

    # --- small values (breaker state) ----------------------------------------------------
    async def value_get(self, key: str) -> str | None: ...

    async def value_set(self, key: str, value: str, ttl: float | None) -> None: ...

    async def value_set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        """Set only when absent; True when this call set it (event dedupe, breaker probes)."""

    async def value_delete(self, key: str) -> None:
        """Forget a value (a lock released, a claim given up); absent is fine."""

    # --- result cache ---------------------------------------------------------------------
    async def cache_get(self, key: str) -> V | None: ...

    async def cache_set(self, key: str, value: V, ttl: float) -> None: ...

    # --- coalescing of identical queries ---------------------------------------------------
    async def run_once(
        self, key: str, produce: Callable[[], Awaitable[V]], *, timeout: float
    ) -> tuple[V, bool]:
        """Run `produce` unless an identical `key` is already being produced; then share it.

        Returns (result, shared) where `shared` is True for callers that did not run
        `produce`. A failure of `produce` reaches every sharer as the same `LookupFailure`
        kind. `timeout` bounds how long a sharer waits for another's result.
        """

    # --- hand-over queue (work a stopping instance passes to the others) -------------------
    async def queue_push(self, key: str, item: bytes, ttl: float) -> None:
        """Append `item`; the whole queue expires `ttl` s after the last push."""

    async def queue_pop(self, key: str, timeout: float) -> bytes | None:
        """The oldest item, waiting up to `timeout` s for one; None when none came. Each item
        is taken by exactly one caller, across every process sharing the store."""

    # --- short newest-first lists (a user's recent lookups on the home tab) -----------------
    async def recent_push(self, key: str, item: bytes, keep: int, ttl: float) -> None:
        """Put `item` first, keep the newest `keep`; the list expires `ttl` s after this push."""

    async def recent_list(self, key: str) -> list[bytes]:
        """The items, newest first (empty when none or expired)."""

    # --- per-user rate limit ---------------------------------------------------------------
    async def rate_hit(self, key: str, limit: int, window: float) -> float:
        """Count one event; return 0 when allowed, else seconds until one would be."""

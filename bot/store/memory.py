"""`MemoryStore`: the `Store` for one process (the default backend).

Everything here runs on one event loop, so each method's bookkeeping is atomic as long as it does
not await in the middle of it; that is what makes the fair semaphore, `value_set_if_absent` and
the coalescing of identical queries correct without locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cachetools import TLRUCache

from bot.errors import Busy
from bot.store.base import PositionCallback, Relief
from bot.store.sharing import SharedRuns

V = TypeVar("V")

log = logging.getLogger(__name__)

_SWEEP_EVERY = 30.0  # seconds between sweeps of expired counters, values and rate windows
_TIMER_SLACK = 0.001  # a loop timer may fire a hair early: relief due that close is due


def _now() -> float:
    """Slot ages use the loop's clock: the relief timer is set on it (a test's fake `clock`
    moves TTLs, never timers)."""
    return asyncio.get_running_loop().time()


@dataclass(eq=False)
class _Waiter:
    future: asyncio.Future[_MemoryLease]
    on_position: PositionCallback | None
    position: int = 0  # last position told to `on_position` (0: never told)
    first: bool = False  # queued ahead of every waiter that is not (a dial)


@dataclass(eq=False)
class _Semaphore:
    """One key's fair semaphore: holders with the loop time each got its slot, waiters in
    arrival order, and the timer that wakes the line when relief becomes due."""

    limit: int
    relief: Relief | None = None
    held: dict[_MemoryLease, float] = field(default_factory=dict)
    waiters: deque[_Waiter] = field(default_factory=deque)
    timer: asyncio.TimerHandle | None = None

    @property
    def holders(self) -> int:
        return len(self.held)

    def relief_due_at(self) -> float | None:
        """Loop time from which relief lets one more in (None: never, with these holders)."""
        relief = self.relief
        if relief is None or not self.held or len(self.held) >= relief.limit:
            return None
        return max(self.held.values()) + relief.after

    def has_room(self, now: float) -> bool:
        if len(self.held) < self.limit:
            return True
        due = self.relief_due_at()
        return due is not None and now >= due - _TIMER_SLACK


@dataclass(eq=False)
class _Entry:
    value: Any
    expires: float | None  # clock reading; None: never


@dataclass(eq=False)
class _Window:
    window: float
    hits: deque[float] = field(default_factory=deque)  # times of allowed hits, oldest first


class _MemoryLease:
    """A held slot; `release` frees it once, later calls do nothing."""

    __slots__ = ("_key", "_released", "_sem", "_store")

    def __init__(self, store: MemoryStore[Any], key: str, sem: _Semaphore) -> None:
        self._store = store
        self._key = key
        self._sem = sem
        self._released = False

    async def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._store._free_slot(self._key, self._sem, self)

    def __repr__(self) -> str:
        state = "released" if self._released else "held"
        return f"<slot lease {self._key} {state}>"


class MemoryStore(Generic[V]):
    """In-process shared state: fair per-key semaphores, counters, values, cache, coalescing.

    `clock` is a monotonic clock in seconds; tests inject a fake one to cross TTLs instantly.
    The slot `lease` bound has no meaning here: a crashed holder takes the whole process with it.
    """

    backend = "memory"

    def __init__(self, cache_size: int = 2048, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._slots: dict[str, _Semaphore] = {}
        self._counters: dict[str, _Entry] = {}
        self._values: dict[str, _Entry] = {}
        self._recent: dict[str, _Entry] = {}
        self._rates: dict[str, _Window] = {}
        self._queues: dict[str, asyncio.Queue[bytes]] = {}
        self._runs: SharedRuns[V] = SharedRuns()
        self._callbacks: set[asyncio.Task[Any]] = set()
        self._last_sweep = clock()
        self._cache: TLRUCache[str, tuple[V, float]] | None = (
            TLRUCache(maxsize=cache_size, ttu=_expiry_of, timer=clock) if cache_size > 0 else None
        )

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Nothing to connect to: always available."""

    async def close(self) -> None:
        """Stop shared work and pending position callbacks so nothing outlives the loop."""
        tasks: list[asyncio.Task[Any]] = [*self._runs.clear(), *self._callbacks]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def health(self) -> dict[str, Any]:
        return {"backend": self.backend, "ok": True}

    # --- fair semaphore -----------------------------------------------------------------------

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
    ) -> _MemoryLease:
        """First come, first served: a free slot goes to the oldest waiter, never to a newcomer;
        `first` waiters (a dial) queue ahead of the others, first come first served among them.

        A slot is handed to a waiter at release time (counted as held before it even wakes up),
        so nobody can barge in between; a waiter cancelled at that very moment passes it on.
        With `relief`, a timer wakes the line when the youngest holder has held `relief.after`.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        sem = self._slots.get(key)
        if sem is None:
            sem = self._slots[key] = _Semaphore(limit)
        sem.limit, sem.relief = limit, relief
        self._dispatch(key, sem)  # a raised limit may free slots for those already waiting
        if not sem.waiters and sem.has_room(_now()):
            return self._grant(key, sem)

        waiter = _Waiter(asyncio.get_running_loop().create_future(), on_position, first=first)
        if first:
            ahead = sum(1 for _ in itertools.takewhile(lambda w: w.first, sem.waiters))
            sem.waiters.insert(ahead, waiter)
        else:
            sem.waiters.append(waiter)
        self._tell_positions(sem)
        self._arm_relief(key, sem)
        try:
            async with asyncio.timeout(timeout):
                return await waiter.future
        except BaseException as exc:
            granted = waiter.future.done() and not waiter.future.cancelled()
            if granted and isinstance(exc, TimeoutError):
                # The slot came free just as the wait ran out: take it rather than waste it.
                return waiter.future.result()
            if granted:
                await waiter.future.result().release()  # pass the slot on to the next waiter
            else:
                waiter.future.cancel()
                self._drop_waiter(key, sem, waiter)
            if isinstance(exc, TimeoutError):
                raise Busy(f"no slot free on {key} within {timeout:g} s") from None
            raise

    async def slot_usage(self, key: str) -> tuple[int, int]:
        sem = self._slots.get(key)
        if sem is None:
            return (0, 0)
        return (sem.holders, len(sem.waiters))

    def _grant(self, key: str, sem: _Semaphore) -> _MemoryLease:
        lease = _MemoryLease(self, key, sem)
        sem.held[lease] = _now()
        return lease

    def _dispatch(self, key: str, sem: _Semaphore) -> None:
        """Hand free slots to the oldest waiters, counting them as held at once."""
        granted = False
        while sem.waiters and sem.has_room(_now()):
            waiter = sem.waiters.popleft()
            if waiter.future.done():  # cancelled and not yet cleaned up
                continue
            waiter.future.set_result(self._grant(key, sem))
            granted = True
        if granted:
            self._tell_positions(sem)
        self._arm_relief(key, sem)

    def _arm_relief(self, key: str, sem: _Semaphore) -> None:
        """(Re)set the timer that lets the line use relief once it is due; none without
        waiters or without relief to give."""
        if sem.timer is not None:
            sem.timer.cancel()
            sem.timer = None
        due = sem.relief_due_at() if sem.waiters else None
        if due is None:
            return
        loop = asyncio.get_running_loop()
        sem.timer = loop.call_at(due, self._dispatch, key, sem)

    def _free_slot(self, key: str, sem: _Semaphore, lease: _MemoryLease) -> None:
        sem.held.pop(lease, None)
        self._dispatch(key, sem)
        self._forget_if_idle(key, sem)

    def _drop_waiter(self, key: str, sem: _Semaphore, waiter: _Waiter) -> None:
        with contextlib.suppress(ValueError):  # already skipped by a dispatch
            sem.waiters.remove(waiter)
        self._tell_positions(sem)
        self._arm_relief(key, sem)
        self._forget_if_idle(key, sem)

    def _forget_if_idle(self, key: str, sem: _Semaphore) -> None:
        if sem.holders <= 0 and not sem.waiters and self._slots.get(key) is sem:
            if sem.timer is not None:
                sem.timer.cancel()
            del self._slots[key]

    def _tell_positions(self, sem: _Semaphore) -> None:
        """Tell every waiter whose place changed its new 1-based position."""
        for position, waiter in enumerate(sem.waiters, start=1):
            if waiter.position != position and waiter.on_position is not None:
                waiter.position = position
                self._call_back(waiter.on_position, position)

    def _call_back(self, callback: PositionCallback, position: int) -> None:
        """Run a sync callback now or schedule an async one; its failures never reach the queue."""
        try:
            result = callback(position)
        except Exception:
            log.warning("position callback failed", exc_info=True)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._callbacks.add(task)
            task.add_done_callback(self._callback_done)

    def _callback_done(self, task: asyncio.Task[Any]) -> None:
        self._callbacks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("position callback failed", exc_info=task.exception())

    # --- counters and values ----------------------------------------------------------------

    async def counter_incr(self, key: str, amount: int, ttl: float) -> int:
        """Add `amount`; a new counter expires `ttl` s from now (never when `ttl` <= 0)."""
        self._maybe_sweep()
        entry = self._live(self._counters, key)
        if entry is None:
            entry = self._counters[key] = _Entry(0, self._expires(ttl))
        entry.value += amount
        return int(entry.value)

    async def counter_get(self, key: str) -> int:
        entry = self._live(self._counters, key)
        return 0 if entry is None else int(entry.value)

    async def counter_set(self, key: str, value: int, ttl: float) -> None:
        self._maybe_sweep()
        self._counters[key] = _Entry(value, self._expires(ttl))

    async def value_get(self, key: str) -> str | None:
        entry = self._live(self._values, key)
        return None if entry is None else str(entry.value)

    async def value_set(self, key: str, value: str, ttl: float | None) -> None:
        self._maybe_sweep()
        self._values[key] = _Entry(value, None if ttl is None else self._expires(ttl))

    async def value_set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        """Atomic by construction: no await between the check and the write."""
        self._maybe_sweep()
        if self._live(self._values, key) is not None:
            return False
        self._values[key] = _Entry(value, self._expires(ttl))
        return True

    async def value_delete(self, key: str) -> None:
        self._values.pop(key, None)

    def _expires(self, ttl: float) -> float | None:
        return self._clock() + ttl if ttl > 0 else None

    def _live(self, table: dict[str, _Entry], key: str) -> _Entry | None:
        entry = table.get(key)
        if entry is None:
            return None
        if entry.expires is not None and self._clock() >= entry.expires:
            del table[key]
            return None
        return entry

    def _maybe_sweep(self) -> None:
        """Drop expired entries now and then, so keys nobody reads again do not pile up."""
        now = self._clock()
        if now - self._last_sweep < _SWEEP_EVERY:
            return
        self._last_sweep = now
        for table in (self._counters, self._values, self._recent):
            dead = [k for k, e in table.items() if e.expires is not None and now >= e.expires]
            for k in dead:
                del table[k]
        idle = [k for k, w in self._rates.items() if not w.hits or w.hits[-1] <= now - w.window]
        for k in idle:
            del self._rates[k]

    # --- result cache -----------------------------------------------------------------------

    async def cache_get(self, key: str) -> V | None:
        if self._cache is None:
            return None
        item = self._cache.get(key)
        return None if item is None else item[0]

    async def cache_set(self, key: str, value: V, ttl: float) -> None:
        """Keep `value` for `ttl` s; `ttl` <= 0 means do not cache (and forget an older value)."""
        if self._cache is None:
            return
        if ttl <= 0:
            self._cache.pop(key, None)
            return
        self._cache[key] = (value, self._clock() + ttl)

    # --- coalescing ---------------------------------------------------------------------------

    async def run_once(
        self, key: str, produce: Callable[[], Awaitable[V]], *, timeout: float
    ) -> tuple[V, bool]:
        """Share one run of `produce` among every caller of the same `key` while it is running
        (see bot.store.sharing); every caller's wait is bounded by `timeout`."""
        return await self._runs.run(key, lambda: _produce(produce), timeout)

    # --- hand-over queue -----------------------------------------------------------------------

    async def queue_push(self, key: str, item: bytes, ttl: float) -> None:
        """In one process there is nobody to hand over to; kept for the contract (and tests)."""
        self._queues.setdefault(key, asyncio.Queue()).put_nowait(item)

    async def queue_pop(self, key: str, timeout: float) -> bytes | None:
        queue = self._queues.setdefault(key, asyncio.Queue())
        try:
            return await asyncio.wait_for(queue.get(), timeout=timeout)
        except TimeoutError:
            return None

    # --- recent lists -------------------------------------------------------------------------

    async def recent_push(self, key: str, item: bytes, keep: int, ttl: float) -> None:
        self._maybe_sweep()
        entry = self._live(self._recent, key)
        items: list[bytes] = list(entry.value) if entry is not None else []
        items = [item, *items][: max(keep, 0)]
        self._recent[key] = _Entry(items, self._expires(ttl))

    async def recent_list(self, key: str) -> list[bytes]:
        entry = self._live(self._recent, key)
        return list(entry.value) if entry is not None else []

    # --- rate limit ---------------------------------------------------------------------------

    async def rate_hit(self, key: str, limit: int, window: float) -> float:
        """Sliding window: at most `limit` hits in any `window` s; refused hits do not count."""
        self._maybe_sweep()
        now = self._clock()
        rate = self._rates.get(key)
        if rate is None:
            rate = self._rates[key] = _Window(window)
        rate.window = window
        hits = rate.hits
        while hits and hits[0] <= now - window:
            hits.popleft()
        if limit <= 0:
            return max(window, 0.0)
        if len(hits) < limit:
            hits.append(now)
            return 0.0
        # Allowed again once the oldest of the last `limit` hits leaves the window.
        return max(hits[-limit] + window - now, 0.0)


def _expiry_of(_key: str, item: tuple[V, float], _now: float) -> float:
    return item[1]


async def _produce(produce: Callable[[], Awaitable[V]]) -> V:
    return await produce()

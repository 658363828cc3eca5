"""MemoryStore: the fair semaphore, TTL counters and values, the cache, coalescing, rate limit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from bot.errors import LookupFailure, WaitTimedOut
from bot.store.memory import MemoryStore
from bot.wolkvox.errors import TokenRejected
from bot.wolkvox.records import Fetched, FindAnswer
from tests.doubles import GatedWork


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fetched(n: int = 0) -> Fetched:
    return Fetched(
        answer=FindAnswer(total_records=n, campaigns=(), records=()),
        fetched_at=0.0,
        upstream_ms=1.0,
    )


async def until(predicate: Callable[[], object], tries: int = 200) -> None:
    """Let the loop run until `predicate()` holds (no wall-clock assertions)."""
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(clock: FakeClock) -> MemoryStore:
    s = MemoryStore(cache_size=3, clock=clock)
    await s.start()
    return s


# --- slots -------------------------------------------------------------------------------------


async def test_limit_is_honoured_and_fifo(store: MemoryStore) -> None:
    order: list[int] = []
    in_flight = 0
    peak = 0

    async def worker(i: int) -> None:
        nonlocal in_flight, peak
        lease = await store.acquire_slot("k", 2, timeout=10, lease=60)
        order.append(i)
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        await lease.release()

    await asyncio.gather(*(worker(i) for i in range(30)))
    assert peak == 2
    assert order == list(range(30))
    assert await store.slot_usage("k") == (0, 0)


async def test_no_barging_newcomer_waits_behind_granted_waiter(store: MemoryStore) -> None:
    holder = await store.acquire_slot("k", 1, timeout=10, lease=60)
    got: list[str] = []

    async def take(name: str) -> None:
        lease = await store.acquire_slot("k", 1, timeout=10, lease=60)
        got.append(name)
        await lease.release()

    first = asyncio.create_task(take("first"))
    await until(lambda: store._slots["k"].waiters)
    await holder.release()  # slot handed to "first", which has not woken up yet
    assert await store.slot_usage("k") == (1, 0)
    newcomer = asyncio.create_task(take("newcomer"))
    await asyncio.gather(first, newcomer)
    assert got == ["first", "newcomer"]


async def test_cancelled_waiter_leaves_queue(store: MemoryStore) -> None:
    holder = await store.acquire_slot("k", 1, timeout=10, lease=60)
    positions: list[int] = []
    waiters = [
        asyncio.create_task(store.acquire_slot("k", 1, timeout=10, lease=60)) for _ in range(2)
    ]
    await until(lambda: len(store._slots["k"].waiters) == 2)
    last = asyncio.create_task(
        store.acquire_slot("k", 1, timeout=10, lease=60, on_position=positions.append)
    )
    await until(lambda: len(store._slots["k"].waiters) == 3)
    waiters[0].cancel()
    await asyncio.gather(waiters[0], return_exceptions=True)
    assert await store.slot_usage("k") == (1, 2)
    assert positions == [3, 2]
    await holder.release()
    second = await waiters[1]
    await second.release()
    third = await last
    assert positions == [3, 2, 1]
    await third.release()
    assert await store.slot_usage("k") == (0, 0)
    assert "k" not in store._slots  # nothing left behind


async def test_slot_granted_to_cancelled_waiter_is_passed_on(store: MemoryStore) -> None:
    holder = await store.acquire_slot("k", 1, timeout=10, lease=60)
    doomed = asyncio.create_task(store.acquire_slot("k", 1, timeout=10, lease=60))
    await until(lambda: len(store._slots["k"].waiters) == 1)
    heir = asyncio.create_task(store.acquire_slot("k", 1, timeout=10, lease=60))
    await until(lambda: len(store._slots["k"].waiters) == 2)
    await holder.release()  # granted to `doomed`...
    doomed.cancel()  # ...which is cancelled before it wakes up
    with pytest.raises(asyncio.CancelledError):
        await doomed
    lease = await asyncio.wait_for(heir, 5)
    assert await store.slot_usage("k") == (1, 0)
    await lease.release()
    assert await store.slot_usage("k") == (0, 0)


async def test_position_callbacks_sync_async_and_failing(
    store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    holder = await store.acquire_slot("k", 1, timeout=10, lease=60)
    seen_async: list[int] = []

    async def record(position: int) -> None:
        await asyncio.sleep(0)
        seen_async.append(position)

    def explode(position: int) -> None:
        raise RuntimeError("callback bug")

    async def explode_later(position: int) -> None:
        raise RuntimeError("async callback bug")

    with caplog.at_level(logging.WARNING):
        a = asyncio.create_task(
            store.acquire_slot("k", 1, timeout=10, lease=60, on_position=explode)
        )
        await until(lambda: len(store._slots["k"].waiters) == 1)
        b = asyncio.create_task(
            store.acquire_slot("k", 1, timeout=10, lease=60, on_position=explode_later)
        )
        await until(lambda: len(store._slots["k"].waiters) == 2)
        c = asyncio.create_task(
            store.acquire_slot("k", 1, timeout=10, lease=60, on_position=record)
        )
        await until(lambda: len(store._slots["k"].waiters) == 3)
        await holder.release()
        for task in (a, b, c):
            lease = await task
            await lease.release()
        await until(lambda: not store._callbacks)
    assert seen_async == [3, 2, 1]
    assert sum("position callback failed" in r.message for r in caplog.records) >= 2


async def test_no_position_callback_when_slot_is_free(store: MemoryStore) -> None:
    positions: list[int] = []
    lease = await store.acquire_slot("k", 1, timeout=10, lease=60, on_position=positions.append)
    assert positions == []
    await lease.release()


# --- counters and values -------------------------------------------------------------------


async def test_counters_expire_by_clock(store: MemoryStore, clock: FakeClock) -> None:
    assert await store.counter_get("c") == 0
    assert await store.counter_incr("c", 1, ttl=10) == 1
    clock.advance(6)
    assert await store.counter_incr("c", 2, ttl=10) == 3  # ttl counts from creation
    clock.advance(5)
    assert await store.counter_get("c") == 0
    assert await store.counter_incr("c", 1, ttl=10) == 1
    await store.counter_set("c", 7, ttl=5)
    assert await store.counter_get("c") == 7
    clock.advance(5)
    assert await store.counter_get("c") == 0


async def test_values_ttl_and_set_if_absent(store: MemoryStore, clock: FakeClock) -> None:
    await store.value_set("forever", "x", ttl=None)
    await store.value_set("brief", "y", ttl=1)
    clock.advance(1000)
    assert await store.value_get("forever") == "x"
    assert await store.value_get("brief") is None

    results = await asyncio.gather(
        *(store.value_set_if_absent("ev", str(i), 30) for i in range(20))
    )
    assert results.count(True) == 1
    assert await store.value_get("ev") == str(results.index(True))
    clock.advance(31)
    assert await store.value_set_if_absent("ev", "again", 30) is True


async def test_sweep_drops_expired_keys(store: MemoryStore, clock: FakeClock) -> None:
    for i in range(50):
        await store.value_set_if_absent(f"ev{i}", "1", 5)
        await store.counter_incr(f"n{i}", 1, 5)
    clock.advance(100)
    await store.value_set("trigger", "1", None)
    assert set(store._values) == {"trigger"}
    assert store._counters == {}


# --- cache ---------------------------------------------------------------------------------


async def test_cache_ttl_per_entry(store: MemoryStore, clock: FakeClock) -> None:
    await store.cache_set("short", fetched(1), ttl=5)
    await store.cache_set("long", fetched(2), ttl=50)
    await store.cache_set("never", fetched(3), ttl=0)
    assert await store.cache_get("short") == fetched(1)
    assert await store.cache_get("never") is None
    clock.advance(6)
    assert await store.cache_get("short") is None
    assert await store.cache_get("long") == fetched(2)


async def test_cache_is_bounded_lru(store: MemoryStore) -> None:
    for key in ("a", "b", "c"):
        await store.cache_set(key, fetched(), ttl=60)
    await store.cache_get("a")  # a becomes most recently used
    await store.cache_set("d", fetched(), ttl=60)
    assert await store.cache_get("b") is None
    for key in ("a", "c", "d"):
        assert await store.cache_get(key) is not None


async def test_cache_size_zero_caches_nothing(clock: FakeClock) -> None:
    s = MemoryStore(cache_size=0, clock=clock)
    await s.cache_set("a", fetched(), ttl=60)
    assert await s.cache_get("a") is None


# --- run_once ------------------------------------------------------------------------------


async def test_run_once_shares_one_run(store: MemoryStore) -> None:
    produce = GatedWork(lambda n: fetched(n=n))
    tasks = [asyncio.create_task(store.run_once("q", produce, timeout=10)) for _ in range(5)]
    await until(lambda: produce.runs == 1 and store._runs.sharers("q") == 5)
    produce.release()
    results = await asyncio.gather(*tasks)
    assert produce.runs == 1
    assert [shared for _, shared in results] == [False, True, True, True, True]
    assert all(result == fetched(n=1) for result, _ in results)
    assert store._runs.tasks() == []
    # Done means forgotten: the next call runs again.
    result, shared = await store.run_once("q", produce, timeout=10)
    assert (result, shared, produce.runs) == (fetched(n=2), False, 2)


async def test_run_once_failure_reaches_every_sharer(store: MemoryStore) -> None:
    gate = asyncio.Event()

    async def produce() -> Fetched:
        await gate.wait()
        raise TokenRejected("token refused")

    tasks = [asyncio.create_task(store.run_once("q", produce, timeout=10)) for _ in range(3)]
    await until(lambda: store._runs.sharers("q") == 3)
    gate.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, TokenRejected) for o in outcomes)
    assert {o.kind for o in outcomes if isinstance(o, LookupFailure)} == {"token_rejected"}
    assert store._runs.tasks() == []


async def test_cancelling_one_waiter_does_not_cancel_the_others(store: MemoryStore) -> None:
    gate = asyncio.Event()
    started = 0

    async def produce() -> Fetched:
        nonlocal started
        started += 1
        await gate.wait()
        return fetched(7)

    producer = asyncio.create_task(store.run_once("q", produce, timeout=10))
    sharers = [asyncio.create_task(store.run_once("q", produce, timeout=10)) for _ in range(2)]
    await until(lambda: store._runs.sharers("q") == 3)
    producer.cancel()  # the one that started the work gives up
    sharers[0].cancel()
    await asyncio.gather(producer, sharers[0], return_exceptions=True)
    gate.set()
    result, shared = await sharers[1]
    assert (result, shared, started) == (fetched(7), True, 1)


async def test_work_is_cancelled_when_everyone_left(store: MemoryStore) -> None:
    cancelled = asyncio.Event()

    async def produce() -> Fetched:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        raise AssertionError("unreachable")

    tasks = [asyncio.create_task(store.run_once("q", produce, timeout=10)) for _ in range(2)]
    await until(lambda: store._runs.sharers("q") == 2)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.wait_for(cancelled.wait(), 5)
    assert store._runs.tasks() == []


async def test_run_once_timeout_bounds_a_sharers_wait(store: MemoryStore) -> None:
    gate = asyncio.Event()

    async def produce() -> Fetched:
        await gate.wait()
        return fetched(3)

    patient = asyncio.create_task(store.run_once("q", produce, timeout=30))
    await until(lambda: store._runs.sharers("q") == 1)
    with pytest.raises(WaitTimedOut):
        await store.run_once("q", produce, timeout=0.01)
    gate.set()
    assert await patient == (fetched(3), False)


async def test_close_stops_shared_work(clock: FakeClock) -> None:
    s = MemoryStore(clock=clock)

    async def produce() -> Fetched:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    task = asyncio.create_task(s.run_once("q", produce, timeout=10))
    await until(lambda: s._runs.sharers("q") == 1)
    await s.close()
    with pytest.raises(LookupFailure):
        await task


# --- rate limit ----------------------------------------------------------------------------


async def test_rate_hit_sliding_window(store: MemoryStore, clock: FakeClock) -> None:
    assert [await store.rate_hit("u", 3, 10) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await store.rate_hit("u", 3, 10) == pytest.approx(10)
    clock.advance(4)
    assert await store.rate_hit("u", 3, 10) == pytest.approx(6)  # refused hits do not count
    clock.advance(6)
    assert await store.rate_hit("u", 3, 10) == 0.0
    assert await store.rate_hit("u", 3, 10) == 0.0
    assert await store.rate_hit("u", 3, 10) == 0.0
    assert await store.rate_hit("u", 3, 10) == pytest.approx(10)
    assert await store.rate_hit("other", 3, 10) == 0.0

"""The `Store` contract, run against every backend: what the guard, the cache, coalescing, the
quota, the breaker, event dedupe and the rate limit rely on, whichever store they are given.

Each test gets a `pair` of handles on one backend: for `MemoryStore` the same instance twice
(one process shares one store), for `RedisStore` two instances on one real redis-server (two
bot processes). Backend-specific behaviour (fake-clock expiry, LRU bounds, Redis key names and
lifetimes, crashed processes, Redis lost) stays in `test_memory_store.py` / `test_redis_store.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.errors import Busy, WaitTimedOut
from bot.store.base import Relief, Store
from bot.wolkvox.errors import QuotaExceeded
from bot.wolkvox.records import Fetched
from tests.doubles import GatedWork
from tests.store.helpers import BACKENDS, Pair, fetched, two_instances, until


@pytest.fixture(params=BACKENDS)
async def pair(request: pytest.FixtureRequest) -> AsyncIterator[Pair]:
    async with two_instances(request.param, request) as stores:
        yield stores


async def test_satisfies_protocol_and_health(pair: Pair) -> None:
    a, b = pair
    as_store: Store[Fetched] = a
    health = await as_store.health()
    assert health["ok"] is True and health["backend"] == a.backend
    assert a.backend in ("memory", "redis") and b.backend == a.backend


async def test_slot_basics_and_usage(pair: Pair) -> None:
    a, _ = pair
    lease1 = await a.acquire_slot("slot:t", 2, timeout=1, lease=5)
    lease2 = await a.acquire_slot("slot:t", 2, timeout=1, lease=5)
    assert await a.slot_usage("slot:t") == (2, 0)
    waiter = asyncio.create_task(a.acquire_slot("slot:t", 2, timeout=5, lease=5))

    async def one_waiting() -> bool:
        return await a.slot_usage("slot:t") == (2, 1)

    await until(one_waiting)
    await lease1.release()
    await lease1.release()  # idempotent
    lease3 = await waiter
    assert await a.slot_usage("slot:t") == (2, 0)
    await lease2.release()
    await lease3.release()
    assert await a.slot_usage("slot:t") == (0, 0)
    with pytest.raises(ValueError):
        await a.acquire_slot("slot:t", 0, timeout=1, lease=5)


async def test_limit_holds_for_40_acquirers_on_two_instances(pair: Pair) -> None:
    a, b = pair
    limit, in_flight, peak, done = 2, 0, 0, 0

    async def one(store: Store[Fetched]) -> None:
        nonlocal in_flight, peak, done
        lease = await store.acquire_slot("slot:burst", limit, timeout=60, lease=10)
        try:
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            done += 1
        finally:
            await lease.release()

    await asyncio.gather(*(one(a if i % 2 else b) for i in range(40)))
    assert done == 40
    assert peak == limit  # reached, never exceeded
    assert await a.slot_usage("slot:burst") == (0, 0)


RELIEF = Relief(after=0.4, limit=2)


async def test_relief_lets_one_more_in_only_once_the_holder_looks_stuck(pair: Pair) -> None:
    a, b = pair
    stuck = await a.acquire_slot("slot:r", 1, timeout=1, lease=10, relief=RELIEF)
    loop = asyncio.get_running_loop()
    started = loop.time()
    relieved = await b.acquire_slot("slot:r", 1, timeout=5, lease=10, relief=RELIEF)
    waited = loop.time() - started
    assert RELIEF.after - 0.05 <= waited < RELIEF.after + 1.0  # not before; soon after
    assert await a.slot_usage("slot:r") == (2, 0)
    # Two in flight is Wolkvox's ceiling: a third waits even though both look stuck by now.
    with pytest.raises(Busy):
        await b.acquire_slot("slot:r", 1, timeout=RELIEF.after * 2, lease=10, relief=RELIEF)
    await relieved.release()
    await stuck.release()
    # With the holder gone the normal limit applies again: one at once, no relief needed.
    fresh = await b.acquire_slot("slot:r", 1, timeout=1, lease=10, relief=RELIEF)
    assert await a.slot_usage("slot:r") == (1, 0)
    await fresh.release()


async def test_relief_is_not_used_while_the_holder_is_young(pair: Pair) -> None:
    a, b = pair
    holder = await a.acquire_slot("slot:y", 1, timeout=1, lease=10, relief=RELIEF)
    with pytest.raises(Busy):
        await b.acquire_slot("slot:y", 1, timeout=RELIEF.after / 2, lease=10, relief=RELIEF)
    await holder.release()
    # Without relief a stuck holder blocks the line for as long as it holds.
    holder = await a.acquire_slot("slot:y", 1, timeout=1, lease=10)
    await asyncio.sleep(RELIEF.after)
    with pytest.raises(Busy):
        await b.acquire_slot("slot:y", 1, timeout=RELIEF.after, lease=10)
    await holder.release()


async def test_relief_serves_a_queue_behind_a_stuck_call_never_above_two(pair: Pair) -> None:
    a, b = pair
    key = "slot:stuck"
    stuck = await a.acquire_slot(key, 1, timeout=1, lease=10, relief=RELIEF)
    in_flight, peak, order = 1, 1, []

    async def one(i: int, store: Store[Fetched]) -> None:
        nonlocal in_flight, peak
        lease = await store.acquire_slot(key, 1, timeout=30, lease=10, relief=RELIEF)
        try:
            in_flight += 1
            peak = max(peak, in_flight)
            order.append(i)
            await asyncio.sleep(0.01)  # a quick call through the second slot
            in_flight -= 1
        finally:
            await lease.release()

    tasks = []
    for i in range(12):
        tasks.append(asyncio.create_task(one(i, b if i % 2 else a)))
        await asyncio.sleep(0.01)  # arrival order
    async with asyncio.timeout(20):
        await asyncio.gather(*tasks)
    assert order == list(range(12))  # first come, first served through the relief slot
    assert peak == 2  # the stuck call and one relief call, never more
    assert await a.slot_usage(key) == (1, 0)  # the stuck call still holds its slot
    await stuck.release()
    assert await a.slot_usage(key) == (0, 0)


async def test_fifo_across_instances_and_positions(pair: Pair) -> None:
    a, b = pair
    holder = await a.acquire_slot("slot:f", 1, timeout=1, lease=10)
    order: list[int] = []
    told: dict[int, list[int]] = {}

    async def waiter(i: int, store: Store[Fetched]) -> None:
        async def on_position(position: int) -> None:  # async callbacks are scheduled
            told.setdefault(i, []).append(position)

        lease = await store.acquire_slot("slot:f", 1, timeout=30, lease=10, on_position=on_position)
        order.append(i)
        await asyncio.sleep(0.01)
        await lease.release()

    tasks = []
    for i in range(6):
        tasks.append(asyncio.create_task(waiter(i, b if i % 2 else a)))

        async def queued(n: int = i + 1) -> bool:
            return (await a.slot_usage("slot:f"))[1] == n

        await until(queued)
    await holder.release()
    await asyncio.gather(*tasks)
    assert order == list(range(6))
    await asyncio.sleep(0.05)  # let scheduled callbacks run
    for i in range(6):
        assert told[i][0] == i + 1  # position at arrival
        assert told[i] == sorted(told[i], reverse=True)  # only ever moves up
        assert len(set(told[i])) == len(told[i])  # told on change only


async def test_first_waiters_go_ahead_of_the_queue_never_past_the_limit(pair: Pair) -> None:
    """A dial (`first`) waits for the next free slot ahead of every queued lookup, on any
    instance; two dials keep their own order; the limit (2) is never exceeded."""
    a, b = pair
    one = await a.acquire_slot("slot:d", 2, timeout=1, lease=10)
    two = await b.acquire_slot("slot:d", 2, timeout=1, lease=10)
    order: list[str] = []
    held = 2
    peak = 2

    async def take(name: str, store: Store[Fetched], first: bool) -> None:
        nonlocal held, peak
        lease = await store.acquire_slot("slot:d", 2, timeout=30, lease=10, first=first)
        held += 1
        peak = max(peak, held)
        order.append(name)
        await asyncio.sleep(0.01)
        held -= 1
        await lease.release()

    arrivals = [("q0", a, False), ("q1", b, False), ("dial0", b, True), ("q2", a, False),
                ("dial1", a, True)]  # fmt: skip
    tasks = []
    for i, (name, store, first) in enumerate(arrivals):
        tasks.append(asyncio.create_task(take(name, store, first)))

        async def queued(n: int = i + 1) -> bool:
            return (await a.slot_usage("slot:d"))[1] == n

        await until(queued)
    held -= 1
    await one.release()

    async def one_served() -> bool:
        return len(order) >= 1

    await until(one_served)
    assert order[0] == "dial0"  # the next free slot, ahead of lookups queued before it
    held -= 1
    await two.release()
    await asyncio.gather(*tasks)
    assert order == ["dial0", "dial1", "q0", "q1", "q2"]
    assert peak <= 2


async def test_timeout_is_busy_and_leaves_the_queue(pair: Pair) -> None:
    a, b = pair
    holder = await a.acquire_slot("slot:b", 1, timeout=1, lease=10)
    with pytest.raises(Busy):
        await b.acquire_slot("slot:b", 1, timeout=0.3, lease=10)
    assert await a.slot_usage("slot:b") == (1, 0)
    await holder.release()
    lease = await b.acquire_slot("slot:b", 1, timeout=1, lease=10)
    await lease.release()


async def test_cancelled_waiter_leaves_the_queue(pair: Pair) -> None:
    a, b = pair
    holder = await a.acquire_slot("slot:c", 1, timeout=1, lease=10)
    first = asyncio.create_task(b.acquire_slot("slot:c", 1, timeout=30, lease=10))

    async def waiting(n: int) -> bool:
        return (await a.slot_usage("slot:c"))[1] == n

    await until(lambda: waiting(1))
    second = asyncio.create_task(a.acquire_slot("slot:c", 1, timeout=30, lease=10))
    await until(lambda: waiting(2))
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await a.slot_usage("slot:c") == (1, 1)
    await holder.release()
    lease = await second  # the cancelled one did not block the line
    await lease.release()
    assert await a.slot_usage("slot:c") == (0, 0)


async def test_rate_hit_sliding_window_shared(pair: Pair) -> None:
    a, b = pair
    assert [await s.rate_hit("u1", 3, 10) for s in (a, b, a)] == [0.0, 0.0, 0.0]
    wait = await b.rate_hit("u1", 3, 10)
    assert 0 < wait <= 10
    assert 0 < await a.rate_hit("u1", 3, 10) <= wait  # refused hits are not counted
    assert await a.rate_hit("u2", 3, 10) == 0.0  # per key
    assert await a.rate_hit("u3", 0, 5) == 5
    assert await a.rate_hit("fast", 1, 0.1) == 0.0
    assert 0 < await a.rate_hit("fast", 1, 0.1) <= 0.1

    async def allowed() -> bool:
        return await b.rate_hit("fast", 1, 0.1) == 0.0

    await until(allowed)


async def test_run_once_one_produce_across_instances(pair: Pair) -> None:
    a, b = pair
    produce = GatedWork(lambda _: fetched())
    tasks = [asyncio.create_task(s.run_once("find:1", produce, timeout=20)) for s in [a, b] * 5]
    await asyncio.sleep(0.3)
    produce.release()
    results = await asyncio.gather(*tasks)
    assert produce.runs == 1
    assert all(r == fetched() for r, _ in results)
    assert [shared for _, shared in results].count(False) == 1
    # Done: a later identical query produces again (the cache, not run_once, serves repeats).
    assert (await b.run_once("find:1", produce, timeout=5))[1] is False
    assert produce.runs == 2


async def test_run_once_shares_the_failure_kind(pair: Pair) -> None:
    a, b = pair
    calls = 0

    async def produce() -> Fetched:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.3)
        raise QuotaExceeded("day spent", retry_after=3600)

    tasks = [asyncio.create_task(s.run_once("find:q", produce, timeout=20)) for s in [a, b] * 3]
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert calls == 1
    for exc in outcomes:
        assert isinstance(exc, QuotaExceeded)
        assert exc.detail == "day spent" and exc.retry_after == 3600


async def test_run_once_sharer_timeout(pair: Pair) -> None:
    a, b = pair
    gate = asyncio.Event()

    async def slow() -> Fetched:
        await gate.wait()
        return fetched()

    producer = asyncio.create_task(a.run_once("find:s", slow, timeout=30))
    await asyncio.sleep(0.1)
    with pytest.raises(WaitTimedOut):
        await b.run_once("find:s", slow, timeout=0.3)
    gate.set()
    assert (await producer)[1] is False


async def test_release_is_idempotent(pair: Pair) -> None:
    store, _ = pair
    a = await store.acquire_slot("k", 2, timeout=10, lease=60)
    b = await store.acquire_slot("k", 2, timeout=10, lease=60)
    await a.release()
    await a.release()
    assert await store.slot_usage("k") == (1, 0)  # b still counted
    c = await store.acquire_slot("k", 2, timeout=10, lease=60)
    with pytest.raises(Busy):
        await store.acquire_slot("k", 2, timeout=0.2, lease=60)
    await b.release()
    await c.release()
    assert await store.slot_usage("k") == (0, 0)


async def test_counters_and_values(pair: Pair) -> None:
    a, b = pair
    assert await a.counter_get("q") == 0
    assert await a.counter_incr("q", 1, 100) == 1
    assert await b.counter_incr("q", 5, 100) == 6
    await a.counter_set("q", 42, 0)
    assert await b.counter_get("q") == 42
    await a.counter_incr("short", 1, 0.05)
    await a.value_set("brief", "y", 0.05)
    await a.value_set("forever", "x", None)

    async def expired() -> bool:
        return await b.counter_get("short") == 0 and await b.value_get("brief") is None

    await until(expired)
    assert await b.value_get("forever") == "x"
    results = await asyncio.gather(
        *(s.value_set_if_absent("event:1", f"v{i}", 60) for i, s in enumerate([a, b] * 10))
    )
    assert results.count(True) == 1
    assert await b.value_get("event:1") == f"v{results.index(True)}"
    await b.value_delete("event:1")  # gone for every instance, and free to be set again
    await b.value_delete("never-set")
    assert await a.value_get("event:1") is None
    assert await a.value_set_if_absent("event:1", "again", 60)


async def test_cache_roundtrip_and_forget(pair: Pair) -> None:
    a, b = pair
    value = fetched()
    assert await a.cache_get("find:300") is None
    await a.cache_set("find:300", value, 300)
    assert await b.cache_get("find:300") == value  # datetimes and nested structs survive
    await a.cache_set("find:300", value, 0)  # ttl <= 0: not cached, older value forgotten
    assert await b.cache_get("find:300") is None
    await a.cache_set("brief", value, 0.05)

    async def gone() -> bool:
        return await b.cache_get("brief") is None

    await until(gone)


async def test_queue_hands_each_item_to_exactly_one_taker(pair: Pair) -> None:
    a, b = pair
    assert await b.queue_pop("handover", 0.05) is None
    for n in range(6):
        await a.queue_push("handover", f"item-{n}".encode(), 60)
    taken = await asyncio.gather(*(s.queue_pop("handover", 2.0) for s in [a, b] * 4))
    items = [t for t in taken if t is not None]
    assert sorted(items) == [f"item-{n}".encode() for n in range(6)]
    assert taken.count(None) == 2
    waiting = asyncio.create_task(b.queue_pop("handover", 3.0))
    await asyncio.sleep(0.05)
    await a.queue_push("handover", b"late", 60)
    assert await waiting == b"late"


async def test_recent_list_keeps_the_newest_first_and_expires(pair: Pair) -> None:
    a, b = pair
    assert await b.recent_list("u1") == []
    for n in range(12):
        await a.recent_push("u1", f"look-{n}".encode(), 10, 60)
    assert await b.recent_list("u1") == [f"look-{n}".encode() for n in range(11, 1, -1)]
    assert await b.recent_list("u2") == []
    # Pushes from both sides at once: none lost (up to the cap).
    await asyncio.gather(
        *(s.recent_push("u3", f"{i}".encode(), 50, 60) for i, s in enumerate([a, b] * 10))
    )
    assert len(await a.recent_list("u3")) == 20
    await a.recent_push("brief", b"x", 10, 0.05)

    async def gone() -> bool:
        return await b.recent_list("brief") == []

    await until(gone)

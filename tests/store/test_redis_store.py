"""RedisStore against a real redis-server on loopback (started per test by `redis_server`)."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.errors import (
    Busy,
    LookupFailure,
    QueryError,
    StoreUnavailable,
    WaitTimedOut,
    WorkStopped,
)
from bot.store.codec import Undecodable, pack_outcome, unpack_outcome
from bot.store.redis import RedisStore
from bot.wolkvox.errors import FAILURES, QuotaExceeded, UpstreamError
from bot.wolkvox.lookup import FETCHED_CODEC
from bot.wolkvox.records import CampaignSummary, Fetched, FindAnswer, Record
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
MakeStore = Callable[..., Awaitable[RedisStore[Fetched]]]


def fetched(name: str = "Ana", n: int = 1) -> Fetched:
    summary = CampaignSummary(
        campaign_id="42",
        customer_name=name,
        customer_id="1020304050",
        phone="3001234567",
        last_date=datetime(2026, 1, 18, 19, 34, 31),
        last_date_raw="2026-01-18 19:34:31",
        last_result="Venta",
        calls=3,
        calls_raw="3",
        conn_id="c-1",
        records=n,
    )
    record = Record(customer_name=name, tel1="3001234567", extra={"x": "y"})
    answer = FindAnswer(total_records=n, campaigns=(summary,), records=(record,))
    return Fetched(answer=answer, fetched_at=1_700_000_000.5, upstream_ms=12.5)


@pytest.fixture
async def make_store(redis_url: str) -> AsyncIterator[MakeStore]:
    """Started stores on the test's Redis (separate connection pools), closed afterwards."""
    stores: list[RedisStore[Fetched]] = []

    async def make(url: str = redis_url, **kwargs: object) -> RedisStore[Fetched]:
        store = RedisStore(url, FETCHED_CODEC, **kwargs)  # type: ignore[arg-type]
        await store.start()
        stores.append(store)
        return store

    yield make
    for store in stores:
        await store.close()


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def spawn(code: str) -> asyncio.subprocess.Process:
    """A separate bot-like process running `code` (inside `async def main()`)."""
    source = (
        "import asyncio\nfrom bot.store.redis import RedisStore\n"
        "from bot.wolkvox.lookup import FETCHED_CODEC\n\nasync def main():\n"
    )
    source += textwrap.indent(textwrap.dedent(code), "    ") + "\nasyncio.run(main())\n"
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", source, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )


async def read_line(proc: asyncio.subprocess.Process) -> str:
    assert proc.stdout is not None
    async with asyncio.timeout(20):
        return (await proc.stdout.readline()).decode().strip()


async def kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await proc.wait()


async def until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)


# --- lifecycle and health --------------------------------------------------------------------


async def test_start_health_and_repr(make_store: MakeStore) -> None:
    store = await make_store()
    health = await store.health()
    assert store.backend == "redis"
    assert health["backend"] == "redis" and health["ok"] is True
    assert health["latency_ms"] >= 0


async def test_unreachable_at_start_is_clear_and_hides_the_password() -> None:
    from bot.devtools.process import free_port

    store = RedisStore(f"redis://:hunter2secret@127.0.0.1:{free_port()}/0", FETCHED_CODEC)
    with pytest.raises(StoreUnavailable) as caught:
        await store.start()
    assert "cannot reach Redis" in str(caught.value)
    assert "hunter2secret" not in str(caught.value)
    health = await store.health()
    assert health["ok"] is False and "hunter2secret" not in repr(health)
    assert "hunter2secret" not in repr(store)
    await store.close()


# --- counters, values ------------------------------------------------------------------------


async def test_counters(make_store: MakeStore, raw: aioredis.Redis) -> None:
    a, b = await make_store(), await make_store()
    assert await a.counter_get("q") == 0
    assert await a.counter_incr("q", 1, 100) == 1
    assert await b.counter_incr("q", 5, 1) == 6  # a later ttl does not move the expiry
    pttl = await raw.pttl("wolkvox:ctr:q")
    assert 1000 < pttl <= 100_000
    assert await b.counter_get("q") == 6
    await a.counter_set("q", 42, 0)
    assert await b.counter_get("q") == 42
    assert await raw.pttl("wolkvox:ctr:q") == -1  # ttl <= 0: no expiry
    assert await a.counter_incr("forever", 2, 0) == 2
    assert await raw.pttl("wolkvox:ctr:forever") == -1
    await a.counter_incr("short", 1, 0.05)

    async def gone() -> bool:
        return await a.counter_get("short") == 0

    await until(gone)


async def test_values_and_set_if_absent_across_instances(
    make_store: MakeStore, raw: aioredis.Redis
) -> None:
    a, b = await make_store(), await make_store(prefix="other:")
    assert await a.value_get("state") is None
    await a.value_set("state", "open", 30)
    assert await a.value_get("state") == "open"
    assert await b.value_get("state") is None  # another prefix is another namespace
    assert 0 < await raw.pttl("wolkvox:val:state") <= 30_000
    await a.value_set("state", "closed", None)
    assert await raw.pttl("wolkvox:val:state") == -1
    c = await make_store()
    results = await asyncio.gather(
        *(s.value_set_if_absent("event:1", f"v{i}", 60) for i, s in enumerate([a, c] * 10))
    )
    assert results.count(True) == 1
    assert await c.value_get("event:1") in {f"v{i}" for i in range(20)}
    assert 0 < await raw.pttl("wolkvox:val:event:1") <= 60_000


# --- cache ---------------------------------------------------------------------------------------


async def test_cache_roundtrip_ttl_and_garbage(make_store: MakeStore, raw: aioredis.Redis) -> None:
    a, b = await make_store(), await make_store()
    value = fetched()
    assert await a.cache_get("find:300") is None
    await a.cache_set("find:300", value, 300)
    assert await b.cache_get("find:300") == value  # datetimes and nested structs survive
    assert 0 < await raw.pttl("wolkvox:cache:find:300") <= 300_000
    await a.cache_set("find:300", value, 0)  # ttl <= 0: not cached, older value forgotten
    assert await b.cache_get("find:300") is None
    await a.cache_set("nope", value, -1)
    assert await raw.exists("wolkvox:cache:nope") == 0
    await raw.set("wolkvox:cache:bad", b"\xc1not msgpack")
    assert await a.cache_get("bad") is None
    await raw.set("wolkvox:cache:wrong", b"\x93\x01\x02\x03")
    assert await a.cache_get("wrong") is None


# --- rate limit ----------------------------------------------------------------------------------


async def test_rate_hit_sliding_window_shared(make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
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


# --- fair semaphore ------------------------------------------------------------------------------


async def test_slot_basics_and_usage(make_store: MakeStore) -> None:
    a = await make_store()
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


async def test_limit_holds_for_40_acquirers_on_two_instances(make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
    limit, in_flight, peak, done = 2, 0, 0, 0

    async def one(store: RedisStore) -> None:
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


async def test_fifo_across_instances_and_positions(make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
    holder = await a.acquire_slot("slot:f", 1, timeout=1, lease=10)
    order: list[int] = []
    told: dict[int, list[int]] = {}

    async def waiter(i: int, store: RedisStore) -> None:
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


async def test_timeout_is_busy_and_leaves_the_queue(make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
    holder = await a.acquire_slot("slot:b", 1, timeout=1, lease=10)
    with pytest.raises(Busy):
        await b.acquire_slot("slot:b", 1, timeout=0.3, lease=10)
    assert await a.slot_usage("slot:b") == (1, 0)
    await holder.release()
    lease = await b.acquire_slot("slot:b", 1, timeout=1, lease=10)
    await lease.release()


async def test_cancelled_waiter_leaves_the_queue(make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
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


async def test_crashed_holder_gives_the_slot_back_within_its_lease(
    make_store: MakeStore, redis_url: str
) -> None:
    a = await make_store()
    proc = await spawn(f"""
        store = RedisStore({redis_url!r}, FETCHED_CODEC)
        await store.start()
        await store.acquire_slot("slot:x", 1, timeout=5, lease=1.0)
        print("held", flush=True)
        await asyncio.sleep(60)
    """)
    try:
        assert await read_line(proc) == "held"
        await asyncio.sleep(1.5)  # past the lease: a live holder keeps renewing it
        with pytest.raises(Busy):
            await a.acquire_slot("slot:x", 1, timeout=0.3, lease=1.0)
        waiter = asyncio.create_task(a.acquire_slot("slot:x", 1, timeout=20, lease=1.0))
        await asyncio.sleep(0.3)
        assert not waiter.done()
        await kill(proc)  # no release: the lease must run out by itself
        lease = await waiter
        await lease.release()
    finally:
        await kill(proc)


async def test_crashed_waiter_leaves_the_queue(make_store: MakeStore, redis_url: str) -> None:
    a = await make_store(waiter_ttl=0.5)
    holder = await a.acquire_slot("slot:w", 1, timeout=1, lease=10)
    proc = await spawn(f"""
        store = RedisStore({redis_url!r}, FETCHED_CODEC, waiter_ttl=0.5)
        await store.start()
        await store.acquire_slot("slot:w", 1, timeout=60, lease=10,
                                 on_position=lambda p: print("waiting", flush=True))
    """)
    try:
        assert await read_line(proc) == "waiting"
        later = asyncio.create_task(a.acquire_slot("slot:w", 1, timeout=20, lease=10))
        await until(lambda: _waiters_are(a, "slot:w", 2))
        await kill(proc)
        await until(lambda: _waiters_are(a, "slot:w", 1))  # the dead one expired
        await holder.release()
        lease = await later
        await lease.release()
    finally:
        await kill(proc)


async def _waiters_are(store: RedisStore, key: str, n: int) -> bool:
    return (await store.slot_usage(key))[1] == n


# --- coalescing ----------------------------------------------------------------------------------


async def test_run_once_one_produce_across_instances(make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
    calls = 0
    gate = asyncio.Event()

    async def produce() -> Fetched:
        nonlocal calls
        calls += 1
        await gate.wait()
        return fetched()

    tasks = [asyncio.create_task(s.run_once("find:1", produce, timeout=20)) for s in [a, b] * 5]
    await asyncio.sleep(0.3)
    gate.set()
    results = await asyncio.gather(*tasks)
    assert calls == 1
    assert all(r == fetched() for r, _ in results)
    assert [shared for _, shared in results].count(False) == 1
    # Done: a later identical query produces again (the cache, not run_once, serves repeats).
    assert (await b.run_once("find:1", produce, timeout=5))[1] is False
    assert calls == 2


async def test_run_once_local_callers_share_one_redis_wait(make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
    claims = 0
    real_claim = b._once_claim

    async def counting_claim(*args: object, **kwargs: object) -> object:
        nonlocal claims
        claims += 1
        return await real_claim(*args, **kwargs)  # type: ignore[arg-type]

    b._once_claim = counting_claim  # type: ignore[assignment,method-assign]
    gate = asyncio.Event()

    async def produce() -> Fetched:
        await gate.wait()
        return fetched("Local")

    producer = asyncio.create_task(a.run_once("k", produce, timeout=20))
    await asyncio.sleep(0.1)
    sharers = [asyncio.create_task(b.run_once("k", produce, timeout=20)) for _ in range(10)]
    await asyncio.sleep(0.5)
    gate.set()
    assert (await producer)[1] is False
    assert all(shared and r == fetched("Local") for r, shared in await asyncio.gather(*sharers))
    assert claims <= 8  # one waiter polling (~0.2 s) and woken, not ten


async def test_run_once_shares_the_failure_kind(make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
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


def test_failures_survive_the_trip_by_kind() -> None:
    """Every failure class comes back as the class its kind names (Wolkvox's own where a
    store-level failure shares its kind), with the same attributes."""
    seen = 0
    pending: list[type[LookupFailure]] = [LookupFailure]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is QueryError:
            original: LookupFailure = QueryError("bad phone", field="phone")
        elif cls is UpstreamError:
            original = UpstreamError(code="500", message="DB DOWN")
        else:
            original = cls("why", retry_after=2.5)
        with pytest.raises(LookupFailure) as caught:
            unpack_outcome(FETCHED_CODEC, pack_outcome(FETCHED_CODEC, None, original))
        rebuilt = caught.value
        assert type(rebuilt) is FAILURES[cls.kind] and rebuilt.kind == cls.kind
        if FAILURES[cls.kind] is not cls:  # only the store's own waits share a kind
            assert cls in (WaitTimedOut, WorkStopped)
        assert rebuilt.detail == original.detail and rebuilt.retry_after == original.retry_after
        assert vars(rebuilt) == vars(original)
        seen += 1
    assert seen >= 10
    with pytest.raises(LookupFailure) as caught:
        unpack_outcome(FETCHED_CODEC, pack_outcome(FETCHED_CODEC, None, KeyError("x")))
    assert type(caught.value) is LookupFailure
    with pytest.raises(Undecodable):
        unpack_outcome(FETCHED_CODEC, b"?junk")


async def test_run_once_takes_over_from_a_vanished_producer(
    make_store: MakeStore, redis_url: str
) -> None:
    b = await make_store(once_lease=1.0)
    proc = await spawn(f"""
        store = RedisStore({redis_url!r}, FETCHED_CODEC, once_lease=1.0)
        await store.start()
        async def produce():
            print("producing", flush=True)
            await asyncio.sleep(60)
        await store.run_once("find:z", produce, timeout=60)
    """)
    calls = 0

    async def produce() -> Fetched:
        nonlocal calls
        calls += 1
        return fetched("Taken over")

    try:
        assert await read_line(proc) == "producing"
        waiting = asyncio.create_task(b.run_once("find:z", produce, timeout=30))
        await asyncio.sleep(1.5)  # past the lock lease: the live producer keeps it
        assert not waiting.done() and calls == 0
        await kill(proc)
        result, shared = await waiting
        assert (result, shared, calls) == (fetched("Taken over"), False, 1)
    finally:
        await kill(proc)


async def test_run_once_cancelled_producer_hands_over_at_once(make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
    started = asyncio.Event()

    async def hang() -> Fetched:
        started.set()
        await asyncio.sleep(60)
        raise AssertionError("unreachable")

    async def answer() -> Fetched:
        return fetched("B")

    producer = asyncio.create_task(a.run_once("find:c", hang, timeout=60))
    await started.wait()
    sharer = asyncio.create_task(b.run_once("find:c", answer, timeout=3))
    await asyncio.sleep(0.2)
    producer.cancel()  # its only caller gone: the work stops and the lock is released
    assert await sharer == (fetched("B"), False)


async def test_run_once_sharer_timeout(make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
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


# --- Redis lost and back ---------------------------------------------------------------------


async def test_redis_down_then_back(make_store: MakeStore, redis_server: RedisServer) -> None:
    store = await make_store()
    holder = await store.acquire_slot("slot:d", 1, timeout=1, lease=10)
    await holder.release()
    redis_server.stop()

    async def produce() -> Fetched:
        raise AssertionError("must not run without the store")

    with pytest.raises(StoreUnavailable):
        await store.acquire_slot("slot:d", 1, timeout=1, lease=10)  # never granted blindly
    with pytest.raises(StoreUnavailable):
        await store.counter_incr("n", 1, 60)
    with pytest.raises(StoreUnavailable):
        await store.cache_get("k")
    with pytest.raises(StoreUnavailable):
        await store.value_set_if_absent("e", "1", 60)
    with pytest.raises(StoreUnavailable):
        await store.rate_hit("u", 1, 1)
    with pytest.raises(StoreUnavailable):
        await store.run_once("k", produce, timeout=1)
    health = await store.health()
    assert health["ok"] is False and health["backend"] == "redis"

    redis_server.start()  # same port, empty
    assert (await store.health())["ok"] is True
    assert await store.counter_incr("n", 1, 60) == 1
    lease = await store.acquire_slot("slot:d", 1, timeout=1, lease=10)
    waiter = asyncio.create_task(store.acquire_slot("slot:d", 1, timeout=10, lease=10))
    await asyncio.sleep(0.1)
    await lease.release()
    await (await waiter).release()

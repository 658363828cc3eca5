"""RedisStore against a real redis-server on loopback (started per test by `redis_server`)."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
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
from bot.wolkvox.errors import FAILURES, UpstreamError
from bot.wolkvox.lookup import FETCHED_CODEC
from bot.wolkvox.records import Fetched
from tests.redis_server import RedisServer
from tests.store.helpers import fetched, until

ROOT = Path(__file__).resolve().parents[2]
MakeStore = Callable[..., Awaitable[RedisStore[Fetched]]]


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
    assert "127.0.0.1" not in repr(health)  # /healthz names no address: a kind only
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


# --- fair semaphore ------------------------------------------------------------------------------


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

"""TokenPool: the per-token limit under load (counted at a real server), fairness, timeouts,
cancellation, daily quota with midnight in America/Bogota, and pool selection."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web

from bot.config import Secret, Settings, load_settings
from bot.errors import Busy
from bot.store.base import Store
from bot.store.memory import MemoryStore
from bot.store.redis import RedisStore
from bot.wiring import build_service
from bot.wolkvox.errors import QuotaExceeded, TokenMissing
from bot.wolkvox.guard import TokenLease, TokenPool, TokenStatus
from bot.wolkvox.lookup import FETCHED_CODEC
from tests.store.helpers import Pair, two_instances

BOGOTA = ZoneInfo("America/Bogota")
ALPHA = Secret("tok-alpha-0000000001")
BETA = Secret("tok-beta-00000000002")


class FakeClock:
    def __init__(self, when: datetime) -> None:
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class CountingServer:
    """A stand-in upstream that counts requests in flight per token and remembers the peak."""

    delay: float = 0.01
    gate: asyncio.Event | None = None  # when set, requests wait for it instead of `delay`
    stuck: asyncio.Event = field(default_factory=asyncio.Event)  # what `stuck=1` calls wait for
    in_flight: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    served: Counter[str] = field(default_factory=Counter)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        token = request.headers.get("wolkvox-token", "")
        self.in_flight[token] += 1
        self.peak[token] = max(self.peak[token], self.in_flight[token])
        try:
            if request.query.get("stuck"):
                await self.stuck.wait()
            elif self.gate is not None:
                await self.gate.wait()
            else:
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight[token] -= 1
        self.served[token] += 1
        return web.json_response({"code": "200", "error": None, "msg": "ok", "data": []})


@pytest.fixture
async def server() -> AsyncIterator[CountingServer]:
    counting = CountingServer()
    app = web.Application()
    app.router.add_get("/api/v2/campaign.php", counting.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    counting.url = f"http://127.0.0.1:{port}/api/v2/campaign.php"
    try:
        yield counting
    finally:
        if counting.gate is not None:
            counting.gate.set()
        counting.stuck.set()
        await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
        yield s


def make_pool(
    store: MemoryStore,
    *,
    tokens: tuple[Secret, ...] = (ALPHA,),
    limit: int = 1,
    queue_timeout: float = 30.0,
    quota: int | None = None,
    clock: Callable[[], float] | None = None,
    stuck_after: float = 0.0,
) -> TokenPool:
    return TokenPool(
        tokens,
        store,
        max_concurrency=limit,
        queue_timeout=queue_timeout,
        lease_seconds=120.0,
        daily_quota=quota,
        tz=BOGOTA,
        stuck_after=stuck_after,
        clock=clock or FakeClock(datetime(2026, 3, 10, 12, 0, tzinfo=BOGOTA)),
    )


async def call(
    pool: TokenPool, session: aiohttp.ClientSession, url: str, *, stuck: bool = False
) -> None:
    async with await pool.acquire() as lease:
        await lease.count_call()
        headers = {"wolkvox-token": lease.token.reveal()}
        params = {"api": "find_record", **({"stuck": "1"} if stuck else {})}
        async with session.get(url, params=params, headers=headers) as resp:
            assert resp.status == 200
            await resp.read()


async def until(predicate: Callable[[], object], tries: int = 2000) -> None:
    for attempt in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.001 if attempt > 100 else 0)
    raise AssertionError("condition never held")


async def until_depth(pool: TokenPool, n: int, tries: int = 2000) -> None:
    """Let the loop run until exactly `n` callers wait for a slot."""
    for attempt in range(tries):
        if await pool.queue_depth() == n:
            return
        await asyncio.sleep(0.001 if attempt > 100 else 0)
    raise AssertionError(f"queue depth never reached {n}")


# --- the limit under load, counted at the server ---------------------------------------------


async def test_counting_server_sees_unguarded_overlap(
    server: CountingServer, session: aiohttp.ClientSession
) -> None:
    """Control: without the guard the server does see more than 2 in flight."""
    server.delay = 0.05
    headers = {"wolkvox-token": ALPHA.reveal()}

    async def raw() -> None:
        async with session.get(server.url, headers=headers) as resp:
            await resp.read()

    await asyncio.gather(*(raw() for _ in range(20)))
    assert server.peak[ALPHA.reveal()] > 2


@pytest.mark.parametrize("limit", [1, 2])
async def test_never_more_than_limit_in_flight(
    server: CountingServer, session: aiohttp.ClientSession, limit: int
) -> None:
    store = MemoryStore()
    pool = make_pool(store, limit=limit)
    await asyncio.gather(*(call(pool, session, server.url) for _ in range(50)))
    assert server.served[ALPHA.reveal()] == 50
    assert server.peak[ALPHA.reveal()] == limit  # reached, never exceeded
    assert [s.used_today for s in await pool.status()] == [50]
    assert await store.slot_usage(f"slot:{ALPHA.fingerprint}") == (0, 0)


async def test_pool_spreads_load_and_keeps_each_limit(
    server: CountingServer, session: aiohttp.ClientSession
) -> None:
    store = MemoryStore()
    pool = make_pool(store, tokens=(ALPHA, BETA), limit=1)
    await asyncio.gather(*(call(pool, session, server.url) for _ in range(40)))
    a, b = server.served[ALPHA.reveal()], server.served[BETA.reveal()]
    assert a + b == 40
    assert abs(a - b) <= 4
    assert server.peak[ALPHA.reveal()] == 1
    assert server.peak[BETA.reveal()] == 1


# --- relief: the spare slot for a stuck call ----------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_relief_serves_the_team_behind_a_stuck_call_never_above_two(
    server: CountingServer,
    session: aiohttp.ClientSession,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    """One call hangs; with WOLKVOX_STUCK_AFTER the others go through the second slot one at a
    time (two instances share it over Redis), and Wolkvox never sees a third in flight."""
    stores: list[Store[Any]]
    if backend == "memory":
        stores = [MemoryStore()]
    else:
        url = request.getfixturevalue("redis_url")
        stores = [RedisStore(url, FETCHED_CODEC) for _ in range(2)]
    for store in stores:
        await store.start()
    pools = [make_pool(store, stuck_after=0.3) for store in stores]
    try:
        stuck = asyncio.create_task(call(pools[0], session, server.url, stuck=True))
        await until(lambda: server.in_flight[ALPHA.reveal()] == 1)
        async with asyncio.timeout(15):  # long before the stuck call ends (never, here)
            await asyncio.gather(
                *(call(pools[i % len(pools)], session, server.url) for i in range(20))
            )
        assert server.served[ALPHA.reveal()] == 20
        assert server.peak[ALPHA.reveal()] == 2  # the stuck call and one relief call
        assert not stuck.done()
        server.stuck.set()
        await stuck
        assert await stores[0].slot_usage(f"slot:{ALPHA.fingerprint}") == (0, 0)
    finally:
        for store in stores:
            await store.close()


async def test_no_relief_without_the_setting_or_at_two_slots() -> None:
    assert make_pool(MemoryStore()).relief is None  # WOLKVOX_STUCK_AFTER=0: off
    assert make_pool(MemoryStore(), limit=2, stuck_after=5).relief is None  # no spare slot
    relief = make_pool(MemoryStore(), stuck_after=5).relief
    assert relief is not None and (relief.after, relief.limit) == (5, 2)


async def test_relief_never_before_the_threshold() -> None:
    pool = make_pool(MemoryStore(), stuck_after=0.5, queue_timeout=0.3)
    holder = await pool.acquire()
    with pytest.raises(Busy):  # the holder is younger than 0.5 s all the while
        await pool.acquire()
    await holder.release()


# --- fairness, timeout, positions --------------------------------------------------------------


async def test_acquisition_order_is_arrival_order() -> None:
    pool = make_pool(MemoryStore(), limit=1)
    holder = await pool.acquire()
    acquired: list[int] = []

    async def caller(i: int) -> None:
        async with await pool.acquire():
            acquired.append(i)
            await asyncio.sleep(0)

    tasks = []
    for i in range(12):
        tasks.append(asyncio.create_task(caller(i)))
        await until_depth(pool, i + 1)
    await holder.release()
    await asyncio.gather(*tasks)
    assert acquired == list(range(12))


async def test_queue_timeout_raises_busy() -> None:
    pool = make_pool(MemoryStore(), limit=1, queue_timeout=0.05)
    holder = await pool.acquire()
    with pytest.raises(Busy) as caught:
        await pool.acquire()
    assert caught.value.kind == "busy"
    assert await pool.queue_depth() == 0
    await holder.release()
    lease = await pool.acquire()  # the slot is free again
    await lease.release()


async def test_on_position_counts_down() -> None:
    pool = make_pool(MemoryStore(), limit=1)
    holder = await pool.acquire()
    ahead = [asyncio.create_task(pool.acquire()) for _ in range(2)]
    await until_depth(pool, 2)
    positions: list[int] = []

    async def tell(position: int) -> None:
        positions.append(position)

    mine = asyncio.create_task(pool.acquire(on_position=tell))
    await until_depth(pool, 3)
    await holder.release()
    for task in ahead:
        lease = await task
        await lease.release()
    lease = await mine
    await lease.release()
    await until(lambda: len(positions) == 3)
    assert positions == [3, 2, 1]


async def test_cancelling_holders_and_waiters_leaks_nothing(
    server: CountingServer, session: aiohttp.ClientSession
) -> None:
    server.gate = asyncio.Event()
    store = MemoryStore()
    pool = make_pool(store, limit=2, queue_timeout=30)
    done: list[int] = []

    async def caller(i: int) -> None:
        await call(pool, session, server.url)
        done.append(i)

    tasks = [asyncio.create_task(caller(i)) for i in range(8)]
    await until_depth(pool, 6)
    await until(lambda: server.in_flight[ALPHA.reveal()] == 2)
    for i in (0, 1, 3, 6):  # both holders mid-request, and some waiters
        tasks[i].cancel()
    await asyncio.gather(*(tasks[i] for i in (0, 1, 3, 6)), return_exceptions=True)
    server.gate.set()
    await asyncio.gather(*(tasks[i] for i in (2, 4, 5, 7)))
    assert sorted(done) == [2, 4, 5, 7]
    assert await store.slot_usage(f"slot:{ALPHA.fingerprint}") == (0, 0)

    # The full limit is still there, and no more.
    quick = make_pool(store, limit=2, queue_timeout=0.05)
    first, second = await quick.acquire(), await quick.acquire()
    with pytest.raises(Busy):
        await quick.acquire()
    await first.release()
    await second.release()
    await second.release()  # idempotent
    assert [(s.in_flight, s.waiting) for s in await pool.status()] == [(0, 0)]


# --- daily quota -----------------------------------------------------------------------------


async def spend(pool: TokenPool, calls: int) -> Secret:
    async with await pool.acquire() as lease:
        for _ in range(calls):
            await lease.count_call()
        return lease.token


async def test_quota_counts_skips_spent_and_rolls_over_at_bogota_midnight() -> None:
    store = MemoryStore()
    clock = FakeClock(datetime(2026, 3, 10, 23, 58, tzinfo=BOGOTA))  # 04:58 UTC on the 11th
    pool = make_pool(store, tokens=(ALPHA, BETA), quota=2, clock=clock)

    assert await spend(pool, 2) == ALPHA
    # Counted under the operation's date, not UTC's.
    assert await store.counter_get(f"quota:{ALPHA.fingerprint}:2026-03-10") == 2
    statuses = await pool.status()
    assert [(s.used_today, s.spent, s.quota) for s in statuses] == [(2, True, 2), (0, False, 2)]
    assert await spend(pool, 2) == BETA  # the idle but spent ALPHA is skipped

    with pytest.raises(QuotaExceeded) as caught:
        await pool.acquire()
    assert caught.value.retry_after == pytest.approx(120, abs=1)
    assert "2026-03-11 00:00" in caught.value.detail
    assert ALPHA.reveal() not in str(caught.value)

    clock.advance(119)
    with pytest.raises(QuotaExceeded):
        await pool.acquire()
    clock.advance(2)  # past midnight in Bogota
    assert await spend(pool, 1) == ALPHA
    assert [(s.used_today, s.spent) for s in await pool.status()] == [(1, False), (0, False)]


async def test_waiter_finds_quota_spent_at_its_turn() -> None:
    pool = make_pool(MemoryStore(), limit=1, quota=2)
    holder = await pool.acquire()
    waiter = asyncio.create_task(pool.acquire())
    await until_depth(pool, 1)
    await holder.count_call()
    await holder.mark_quota_spent()  # Wolkvox says the day is spent before our count does
    await holder.release()
    with pytest.raises(QuotaExceeded):
        await waiter
    assert await pool.queue_depth() == 0
    assert [(s.in_flight, s.spent) for s in await pool.status()] == [(0, True)]


async def test_the_last_unit_of_quota_goes_to_one_caller_only() -> None:
    """Two slots, one unit left: both callers are granted a slot at once, but the unit is
    claimed atomically, so exactly one goes to Wolkvox; the other is told the quota is spent."""
    store = MemoryStore()
    pool = make_pool(store, limit=2, quota=3)
    await spend(pool, 2)
    outcomes = await asyncio.gather(pool.acquire(), pool.acquire(), return_exceptions=True)
    leases = [o for o in outcomes if isinstance(o, TokenLease)]
    refused = [o for o in outcomes if isinstance(o, QuotaExceeded)]
    assert len(leases) == 1 and len(refused) == 1
    await leases[0].count_call()
    await leases[0].release()
    assert [(s.used_today, s.spent, s.in_flight) for s in await pool.status()] == [(3, True, 0)]


async def test_each_call_on_a_lease_counts_the_claimed_unit_first() -> None:
    pool = make_pool(MemoryStore(), quota=5)
    async with await pool.acquire() as lease:
        await lease.count_call()
        await lease.count_call()  # a second call on the same lease counts again
    assert [s.used_today for s in await pool.status()] == [2]


async def test_mark_quota_spent_without_configured_quota() -> None:
    clock = FakeClock(datetime(2026, 7, 1, 18, 0, tzinfo=BOGOTA))
    pool = make_pool(MemoryStore(), tokens=(ALPHA, BETA), clock=clock)
    async with await pool.acquire() as lease:
        assert lease.token == ALPHA
        await lease.mark_quota_spent()
    async with await pool.acquire() as lease:
        assert lease.token == BETA
        await lease.mark_quota_spent()
    with pytest.raises(QuotaExceeded) as caught:
        await pool.acquire()
    assert caught.value.retry_after == pytest.approx(6 * 3600, abs=1)
    assert [(s.spent, s.quota) for s in await pool.status()] == [(True, None), (True, None)]
    clock.advance(6 * 3600 + 1)
    async with await pool.acquire() as lease:
        assert lease.token == ALPHA


# --- selection and status --------------------------------------------------------------------


async def test_selection_prefers_least_busy_then_order() -> None:
    pool = make_pool(MemoryStore(), tokens=(ALPHA, BETA), limit=1)
    first = await pool.acquire()
    second = await pool.acquire()
    assert (first.token, second.token) == (ALPHA, BETA)
    third = asyncio.create_task(pool.acquire())  # both busy: tie goes to ALPHA
    await until_depth(pool, 1)
    assert [(s.in_flight, s.waiting) for s in await pool.status()] == [(1, 1), (1, 0)]
    fourth = asyncio.create_task(pool.acquire())  # ALPHA has a queue: BETA serves sooner
    await until_depth(pool, 2)
    assert [(s.in_flight, s.waiting) for s in await pool.status()] == [(1, 1), (1, 1)]
    await first.release()
    await second.release()
    leases: list[TokenLease] = [await third, await fourth]
    assert [lease.token for lease in leases] == [ALPHA, BETA]
    for lease in leases:
        await lease.release()


async def test_status_never_shows_a_token() -> None:
    pool = make_pool(MemoryStore(), tokens=(ALPHA, BETA), quota=1000)
    statuses = await pool.status()
    assert statuses == [
        TokenStatus("…0001", ALPHA.fingerprint, 0, 0, 0, 1000, False),
        TokenStatus("…0002", BETA.fingerprint, 0, 0, 0, 1000, False),
    ]
    lease = await pool.acquire()
    text = repr(statuses) + repr(lease) + repr(lease.token)
    assert ALPHA.reveal() not in text and BETA.reveal() not in text
    await lease.release()


async def test_no_tokens_is_token_missing() -> None:
    pool = make_pool(MemoryStore(), tokens=())
    with pytest.raises(TokenMissing):
        await pool.acquire()


# --- the flood bound ------------------------------------------------------------------------------


async def test_a_wait_that_cannot_fit_the_queue_timeout_is_refused_at_once() -> None:
    store = MemoryStore()
    pool = make_pool(store, queue_timeout=5.0)
    pool.observe_latency(2.0)  # each call takes ~2 s; one slot
    holder = await pool.acquire()
    waiters = [asyncio.create_task(pool.acquire()) for _ in range(2)]
    await asyncio.sleep(0.05)
    started = asyncio.get_running_loop().time()
    with pytest.raises(Busy) as refused:
        await pool.acquire()  # 2 ahead + itself = 3 x 2 s > 5 s: no point waiting
    assert asyncio.get_running_loop().time() - started < 0.5
    assert refused.value.retry_after == pytest.approx(6.0)
    await holder.release()
    for task in waiters:
        lease = await task
        await lease.release()


async def test_a_wait_that_fits_is_served() -> None:
    store = MemoryStore()
    pool = make_pool(store, queue_timeout=5.0)
    pool.observe_latency(0.2)
    holder = await pool.acquire()
    waiting = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.05)
    await holder.release()
    lease = await waiting
    await lease.release()
    assert pool.expected_wait(3) == pytest.approx(0.8)


def test_without_a_measured_call_there_is_no_estimate() -> None:
    pool = make_pool(MemoryStore())
    assert pool.expected_wait(10) is None
    pool.observe_latency(1.0)
    pool.observe_latency(2.0)
    assert pool.expected_wait(0) == pytest.approx(1.2)  # an average that leans on the past


async def test_the_estimate_is_how_long_a_slot_is_held_per_call() -> None:
    """What a waiter waits for is the slot, not only the Wolkvox call: a lease that made a call
    reports how long it held the slot; one that made none (given back unused) reports nothing."""
    pool = make_pool(MemoryStore())
    unused = await pool.acquire()
    await unused.release()
    assert pool.expected_wait(0) is None
    lease = await pool.acquire()
    await lease.count_call()
    await asyncio.sleep(0.2)
    await lease.release()
    await lease.release()  # once
    estimate = pool.expected_wait(0)
    assert estimate is not None and 0.2 <= estimate < 1.0


# --- several operations: each its own tokens, limits and quota, on every backend -------------

OPERATION_KEYS = tuple(f"op{i}" for i in range(10))
QUOTA_KEY = "op9"  # the one operation with a daily quota (per token)


def ten_operations() -> Settings:
    """Ten operations × 2 tokens; concurrency 1 and 2 alternately; op9 has 4 calls a token."""
    env = {"WOLKVOX_OPERATIONS": ",".join(OPERATION_KEYS)}
    for i, key in enumerate(OPERATION_KEYS):
        k = key.upper()
        env |= {
            f"WOLKVOX_{k}_NAME": f"Operación {i}",
            f"WOLKVOX_{k}_BASE_URL": "http://127.0.0.1:9",
            f"WOLKVOX_{k}_TOKENS": f"{key}-token-aaaaaa01,{key}-token-bbbbbb02",
            f"WOLKVOX_{k}_MAX_CONCURRENCY": str(1 + i % 2),
        }
    env[f"WOLKVOX_{QUOTA_KEY.upper()}_DAILY_QUOTA"] = "4"
    return load_settings(env, dotenv=False)


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_ten_operations_keep_each_limit_across_two_instances(
    server: CountingServer,
    session: aiohttp.ClientSession,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    """Two bot instances (two handles on one store) serve ten operations at once: a burst of
    200 calls never puts more in flight on a token than its operation allows, and the one
    operation with a quota stops at it while the others go on."""
    settings = ten_operations()
    async with two_instances(backend, request) as stores:
        await _ten_operations_burst(settings, stores, server, session)


async def _ten_operations_burst(
    settings: Settings,
    stores: Pair,
    server: CountingServer,
    session: aiohttp.ClientSession,
) -> None:
    instances = [
        {op.key: build_service(settings, store, operation=op) for op in settings.operations}
        for store in stores
    ]
    server.delay = 0.005
    try:

        async def one(i: int) -> str:
            key = OPERATION_KEYS[i % 10]
            try:
                await call(instances[i % 2][key].pool, session, server.url)
            except QuotaExceeded:
                return f"{key}:quota"
            return f"{key}:ok"

        done = Counter(await asyncio.gather(*(one(i) for i in range(200))))
        for op in settings.operations:
            for token in op.tokens:
                assert 1 <= server.peak[token.reveal()] <= op.max_concurrency, op.key
            if op.key != QUOTA_KEY:
                assert done[f"{op.key}:ok"] == 20
        assert (done[f"{QUOTA_KEY}:ok"], done[f"{QUOTA_KEY}:quota"]) == (8, 12)
        assert sum(server.served.values()) == 9 * 20 + 8
        for op in settings.operations:  # every slot handed back, on every instance
            for token in op.tokens:
                assert await stores[1].slot_usage(f"slot:{token.fingerprint}") == (0, 0)
    finally:
        for instance in instances:
            for service in instance.values():
                await service.close()


async def test_a_dial_takes_a_spent_token_and_counts_no_quota() -> None:
    """Wolkvox does not count agent calls: a dial goes through a token whose day is spent, and
    leaves its count as it was."""
    store = MemoryStore()
    pool = make_pool(store, quota=1)
    await spend(pool, 1)
    with pytest.raises(QuotaExceeded):
        await pool.acquire()
    async with await pool.acquire(dial=True) as lease:
        assert lease.token == ALPHA
        await lease.count_call()  # the first count on a dial's lease is its claimed nothing
    assert [(s.used_today, s.spent) for s in await pool.status()] == [(1, True)]


async def test_a_dial_waits_first_in_line_not_refused_as_hopeless() -> None:
    """A queue far longer than the wait allows refuses a lookup at once (the flood bound), but a
    dial goes ahead of that queue and waits only for the next free slot."""
    store = MemoryStore()
    pool = make_pool(store, limit=1, queue_timeout=2.0)
    pool.observe_latency(1.2)  # a slot is held ~1.2 s: one may wait (2 s), a second may not
    holder = await pool.acquire()
    queued = [asyncio.create_task(pool.acquire()) for _ in range(1)]
    await until_depth(pool, 1)
    with pytest.raises(Busy):
        await pool.acquire()  # hopeless: refused now
    dial = asyncio.create_task(pool.acquire(dial=True))
    await until_depth(pool, 2)
    await holder.release()
    lease = await dial
    assert not queued[0].done()  # the dial went first
    await lease.release()
    await (await queued[0]).release()

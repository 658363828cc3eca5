"""LookupService over real HTTP to the simulator on loopback, with a MemoryStore and the real
TokenPool and WolkvoxClient: cache, coalescing, the guard under load, token pools, quota,
bounded retries, campaign names, queue positions, drain and the circuit breaker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from bot.config import Secret, Settings, load_settings
from bot.devtools.wolkvox_sim.server import STATS, SimulatorConfig, SimulatorStats, serve_simulator
from bot.query import Query
from bot.store.memory import MemoryStore
from bot.wiring import build_service, make_store
from bot.wolkvox import lookup as lookup_module
from bot.wolkvox.breaker import CircuitBreaker
from bot.wolkvox.client import WolkvoxClient
from bot.wolkvox.errors import BrokenAnswer, CircuitOpen, QuotaExceeded, TokenRejected, Unavailable
from bot.wolkvox.guard import TokenPool
from bot.wolkvox.lookup import (
    CAMPAIGN_NAMES_RETRY,
    CAMPAIGN_NAMES_TTL,
    MAX_ATTEMPTS,
    SERVING,
    CampaignNames,
    LookupService,
)
from bot.wolkvox.records import CampaignSummary, FindAnswer

SHOWCASE = Query(phone="3001234567")
NO_RECORDS = Query(phone="3009999999")
REJECTED = Query(phone="3000000403")
QUOTA = Query(phone="3000000429")
MAINTENANCE = Query(phone="3000000503")
HTML_502 = Query(phone="3000000500")
TOKEN_1 = Secret("test-token-0000000001")
TOKEN_2 = Secret("test-token-0000000002")


class FakeClock:
    """Unix time under the test's control (LookupService stamps and the breaker)."""

    def __init__(self, now: float = 1_768_800_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def other_phone(i: int) -> Query:
    """A phone the simulator has no special meaning for (404 no records)."""
    return Query(phone=f"31100{i:05d}")


@dataclass
class Rig:
    base_url: str
    app: web.Application
    services: list[LookupService]
    stores: list[MemoryStore]

    @property
    def stats(self) -> SimulatorStats:
        return self.app[STATS]

    @property
    def config(self) -> SimulatorConfig:
        from bot.devtools.wolkvox_sim.server import CONFIG

        return self.app[CONFIG]

    def service(
        self,
        *,
        tokens: tuple[Secret, ...] = (TOKEN_1,),
        max_concurrency: int = 1,
        cache_ttl: float = 300.0,
        coalesce: bool = True,
        queue_timeout: float = 30.0,
        timeout: float = 20.0,
        clock: Callable[[], float] | None = None,
        breaker: CircuitBreaker | None = None,
        store: MemoryStore | None = None,
        client_class: type[WolkvoxClient] = WolkvoxClient,
    ) -> LookupService:
        settings = Settings(
            wolkvox_tokens=tokens,
            wolkvox_base_url=self.base_url,
            max_concurrency=max_concurrency,
            cache_ttl=cache_ttl,
            coalesce=coalesce,
            queue_timeout=queue_timeout,
            timeout=timeout,
        )
        store = store or MemoryStore()
        self.stores.append(store)
        client = client_class(self.base_url, timeout=timeout)
        pool = TokenPool(
            tokens,
            store,
            max_concurrency=max_concurrency,
            queue_timeout=queue_timeout,
            lease_seconds=timeout + 5,
            daily_quota=None,
            tz=ZoneInfo("America/Bogota"),
        )
        service = LookupService(
            settings, store, client, pool, breaker=breaker, clock=clock or time.time
        )
        self.services.append(service)
        return service


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with serve_simulator(SimulatorConfig(latency=0.01)) as (base_url, app):
        rig = Rig(base_url, app, [], [])
        try:
            yield rig
        finally:
            for service in rig.services:
                await service.client.close()
            for store in rig.stores:
                await store.close()


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries keep their shape (attempts, jitter) but wait milliseconds, not seconds."""
    monkeypatch.setattr(lookup_module, "BACKOFF_BASE", 0.01)


def calls(rig: Rig, query: Query | None = None) -> int:
    """Accepted find_record calls at the simulator (for one query, or all)."""
    if query is None:
        return rig.stats.find_record_calls()
    return sum(
        n
        for key, n in rig.stats.queries.items()
        if key.api == "find_record"
        and key.customer_phone == query.phone
        and key.customer_id == query.customer_id
        and key.campaign_id == query.campaign_id
    )


# --- cache ------------------------------------------------------------------------------------


async def test_second_lookup_comes_from_cache_with_its_age(rig: Rig) -> None:
    clock = FakeClock()
    service = rig.service(clock=clock)
    first = await service.lookup(SHOWCASE)
    assert not first.from_cache
    assert first.answer.total_records == 6
    assert len(first.answer.campaigns) == 3
    assert first.upstream_ms > 0
    clock.advance(42)
    second = await service.lookup(SHOWCASE)
    assert second.from_cache
    assert second.answer == first.answer
    assert second.age(clock()) == pytest.approx(42)
    assert calls(rig, SHOWCASE) == 1
    assert (service.stats.cache_hits, service.stats.cache_misses) == (1, 1)
    assert service.stats.cache_hit_rate == 0.5


async def test_no_records_is_cached_too(rig: Rig) -> None:
    service = rig.service()
    first = await service.lookup(NO_RECORDS)
    assert first.answer.total_records == 0
    second = await service.lookup(NO_RECORDS)
    assert second.from_cache and second.answer.total_records == 0
    assert calls(rig, NO_RECORDS) == 1


async def test_errors_are_not_cached(rig: Rig) -> None:
    service = rig.service()
    for _ in range(2):
        with pytest.raises(TokenRejected):
            await service.lookup(REJECTED)
    assert calls(rig, REJECTED) == 2  # not retried (a rejected token stays rejected), not cached


async def test_refresh_skips_the_cache_and_updates_it(rig: Rig) -> None:
    clock = FakeClock()
    service = rig.service(clock=clock)
    await service.lookup(SHOWCASE)
    clock.advance(100)
    fresh = await service.lookup(SHOWCASE, refresh=True)
    assert not fresh.from_cache
    assert fresh.age(clock()) == 0
    assert calls(rig, SHOWCASE) == 2
    again = await service.lookup(SHOWCASE)
    assert again.from_cache and again.fetched_at == fresh.fetched_at


async def test_queries_differing_in_campaign_are_cached_apart(rig: Rig) -> None:
    service = rig.service()
    everything = await service.lookup(SHOWCASE)
    one = await service.lookup(Query(phone="3001234567", campaign_id="42"))
    assert not one.from_cache
    assert [c.campaign_id for c in one.answer.campaigns] == ["42"]
    assert everything.answer.total_records > one.answer.total_records


# --- coalescing ---------------------------------------------------------------------------------


async def test_identical_concurrent_lookups_share_one_call(rig: Rig) -> None:
    service = rig.service()
    results = await asyncio.gather(*(service.lookup(SHOWCASE) for _ in range(20)))
    assert calls(rig, SHOWCASE) == 1
    assert sum(r.shared for r in results) == 19
    assert all(r.answer == results[0].answer for r in results)
    assert service.stats.shared == 19


async def test_without_coalescing_or_cache_each_lookup_calls(rig: Rig) -> None:
    service = rig.service(coalesce=False, cache_ttl=0, tokens=(TOKEN_1, TOKEN_2))
    results = await asyncio.gather(*(service.lookup(SHOWCASE) for _ in range(10)))
    assert calls(rig, SHOWCASE) == 10
    assert not any(r.shared or r.from_cache for r in results)
    assert rig.stats.refusals.total() == 0


async def test_a_shared_failure_reaches_every_sharer(rig: Rig) -> None:
    service = rig.service()
    outcomes = await asyncio.gather(
        *(service.lookup(REJECTED) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(o, TokenRejected) for o in outcomes)
    assert calls(rig, REJECTED) == 1


# --- the guard under load -------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2])
async def test_guard_under_load_never_exceeds_the_limit(rig: Rig, limit: int) -> None:
    rig.config.latency = 0.05
    service = rig.service(max_concurrency=limit)
    results = await asyncio.gather(*(service.lookup(other_phone(i)) for i in range(40)))
    assert len(results) == 40
    assert calls(rig) == 40
    peak = rig.stats.max_concurrent[TOKEN_1.reveal()]
    assert 1 <= peak <= limit  # never passed (counted at the server, refused calls included)
    assert rig.stats.refusals.total() == 0


async def test_a_pool_of_two_tokens_spreads_the_load(rig: Rig) -> None:
    rig.config.latency = 0.03
    service = rig.service(tokens=(TOKEN_1, TOKEN_2))
    await asyncio.gather(*(service.lookup(other_phone(i)) for i in range(20)))
    per_token = rig.stats.requests_per_token
    assert per_token[TOKEN_1.reveal()] + per_token[TOKEN_2.reveal()] == 20
    assert min(per_token[TOKEN_1.reveal()], per_token[TOKEN_2.reveal()]) >= 5
    assert rig.stats.max_concurrent_overall == 1
    assert rig.stats.refusals.total() == 0


async def test_waiters_are_told_their_position(rig: Rig) -> None:
    rig.config.latency = 0.05
    service = rig.service()
    positions: dict[int, list[int]] = {i: [] for i in range(5)}

    def reporter(i: int) -> Callable[[int], None]:
        return positions[i].append

    async def tracked(i: int) -> None:
        await service.lookup(other_phone(i), on_wait=reporter(i))

    tasks = []
    for i in range(5):
        tasks.append(asyncio.create_task(tracked(i)))
        await asyncio.sleep(0)  # arrival order = index order
    await asyncio.gather(*tasks)
    assert positions[0] == [SERVING]  # served at once, never queued
    for i in range(1, 5):
        queue, last = positions[i][:-1], positions[i][-1]
        assert last == SERVING, f"lookup {i} was never told it is being served"
        assert queue, f"lookup {i} waited without being told"
        assert queue[0] == i  # joined behind the ones before it
        assert queue == sorted(queue, reverse=True)  # only ever moves up
        assert queue[-1] == 1


async def test_a_query_sharing_a_call_under_way_is_told_it_is_served(rig: Rig) -> None:
    rig.config.latency = 0.1
    service = rig.service()
    told: list[int] = []
    first = asyncio.create_task(service.lookup(other_phone(0)))
    await asyncio.sleep(0.02)  # the first call is under way upstream
    await service.lookup(other_phone(0), on_wait=told.append)
    await first
    assert told == [SERVING]  # no queue position: it never queued for a token


async def test_async_position_callbacks_work_too(rig: Rig) -> None:
    rig.config.latency = 0.05
    service = rig.service()
    told: list[int] = []

    async def on_wait(position: int) -> None:
        told.append(position)

    first = asyncio.create_task(service.lookup(other_phone(1)))
    await asyncio.sleep(0)
    await service.lookup(other_phone(2), on_wait=on_wait)
    await first
    assert told == [1, SERVING]


# --- quota, retries, breaker ----------------------------------------------------------------------


async def test_token_limit_exceeded_marks_the_token_spent(rig: Rig) -> None:
    service = rig.service()
    with pytest.raises(QuotaExceeded):
        await service.lookup(QUOTA)
    assert calls(rig, QUOTA) == 1
    (status,) = await service.pool.status()
    assert status.spent
    # The token rests until midnight: the next lookup is refused without asking Wolkvox.
    before = rig.stats.total_requests
    with pytest.raises(QuotaExceeded) as info:
        await service.lookup(SHOWCASE)
    assert rig.stats.total_requests == before
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 86_400


async def test_with_a_pool_the_next_token_is_tried_after_a_spent_one(rig: Rig) -> None:
    service = rig.service(tokens=(TOKEN_1, TOKEN_2))
    with pytest.raises(QuotaExceeded):
        await service.lookup(QUOTA)
    per_token = rig.stats.requests_per_token
    assert per_token[TOKEN_1.reveal()] == 1 and per_token[TOKEN_2.reveal()] == 1
    assert [s.spent for s in await service.pool.status()] == [True, True]


async def test_a_spent_token_leaves_the_other_serving(rig: Rig) -> None:
    service = rig.service(tokens=(TOKEN_1, TOKEN_2))
    lease = await service.pool.acquire()
    await lease.mark_quota_spent()
    await lease.release()
    for i in range(4):
        await service.lookup(other_phone(i))
    spent = {s.fingerprint: s.spent for s in await service.pool.status()}
    fresh = TOKEN_2 if spent[TOKEN_1.fingerprint] else TOKEN_1
    assert rig.stats.requests_per_token[fresh.reveal()] == 4


async def test_transient_errors_are_retried_a_bounded_number_of_times(rig: Rig) -> None:
    service = rig.service(breaker=CircuitBreaker(MemoryStore(), threshold=100))
    with pytest.raises(Unavailable) as info:
        await service.lookup(HTML_502)
    assert not isinstance(info.value, CircuitOpen)
    assert calls(rig, HTML_502) == MAX_ATTEMPTS
    status = await service.status()
    assert status.wolkvox_last_error == "unavailable" and status.wolkvox_last_error_at
    with pytest.raises(Unavailable):
        await service.lookup(HTML_502)  # not cached: asks again, again bounded
    assert calls(rig, HTML_502) == 2 * MAX_ATTEMPTS


async def test_retries_stop_at_the_callers_deadline(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup_module, "BACKOFF_BASE", 5.0)  # the first back-off passes 1 s
    service = rig.service(timeout=1.0, breaker=CircuitBreaker(MemoryStore(), threshold=100))
    with pytest.raises(Unavailable):
        await service.lookup(HTML_502)
    assert calls(rig, HTML_502) == 1


async def test_a_retry_can_succeed(rig: Rig) -> None:
    """A maintenance window that ends between attempts costs the agent nothing."""
    rig.config.maintenance = True
    service = rig.service()

    async def end_maintenance() -> None:
        while rig.stats.total_requests == 0:  # noqa: ASYNC110 - the simulator has no event for it
            await asyncio.sleep(0.001)
        rig.config.maintenance = False

    ender = asyncio.create_task(end_maintenance())
    result = await service.lookup(SHOWCASE)
    await ender
    assert result.answer.total_records == 6
    assert rig.stats.total_requests >= 2


async def test_breaker_opens_then_answers_at_once_and_a_probe_closes_it(rig: Rig) -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    breaker = CircuitBreaker(store, threshold=3, window=60, cooldown=30, clock=clock)
    service = rig.service(store=store, breaker=breaker, clock=clock)
    rig.config.maintenance = True  # Wolkvox down for everyone
    with pytest.raises(Unavailable):
        await service.lookup(MAINTENANCE)  # three attempts, one failed lookup: still closed
    assert await breaker.state() == "closed"
    for i in (1, 2):  # failures across distinct queries: an outage
        with pytest.raises(Unavailable):
            await service.lookup(other_phone(i))
    assert await breaker.state() == "open"
    rig.config.maintenance = False

    before = rig.stats.total_requests
    with pytest.raises(CircuitOpen) as info:
        await service.lookup(SHOWCASE)
    assert rig.stats.total_requests == before  # no call, no queueing
    assert info.value.retry_after == pytest.approx(30)
    assert info.value.kind == "circuit_open"

    clock.advance(31)
    assert await breaker.state() == "half-open"
    result = await service.lookup(SHOWCASE)  # the probe
    assert result.answer.total_records == 6
    assert await breaker.state() == "closed"
    assert (await service.lookup(NO_RECORDS)).answer.total_records == 0


async def test_a_failed_probe_reopens_the_breaker(rig: Rig) -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    breaker = CircuitBreaker(store, threshold=2, window=60, cooldown=30, clock=clock)
    service = rig.service(store=store, breaker=breaker, clock=clock)
    rig.config.maintenance = True
    for i in (1, 2):
        with pytest.raises(Unavailable):
            await service.lookup(other_phone(i))
    assert await breaker.state() == "open"
    clock.advance(31)
    before = rig.stats.total_requests
    with pytest.raises(Unavailable) as info:
        await service.lookup(SHOWCASE)  # the probe fails...
    assert rig.stats.total_requests - before == 1  # ...once: a probe is not retried
    assert not isinstance(info.value, CircuitOpen)
    assert await breaker.state() == "open"
    with pytest.raises(CircuitOpen):
        await service.lookup(SHOWCASE)


async def test_one_customers_failing_query_never_locks_out_the_team(rig: Rig) -> None:
    """The same query failing again and again (a broken record set, a slow customer) is one
    query: the breaker stays closed and everyone else is served."""
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    breaker = CircuitBreaker(store, threshold=3, window=60, cooldown=30, clock=clock)
    service = rig.service(store=store, breaker=breaker, clock=clock, cache_ttl=0)
    for _ in range(6):
        with pytest.raises(Unavailable):
            await service.lookup(MAINTENANCE)
    assert await breaker.state() == "closed"
    assert (await service.lookup(SHOWCASE)).answer.total_records == 6


async def test_a_success_between_failures_starts_a_new_count(rig: Rig) -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    breaker = CircuitBreaker(store, threshold=2, window=60, cooldown=30, clock=clock)
    service = rig.service(store=store, breaker=breaker, clock=clock, cache_ttl=0)
    rig.config.maintenance = True
    with pytest.raises(Unavailable):
        await service.lookup(other_phone(1))
    rig.config.maintenance = False
    await service.lookup(SHOWCASE)  # Wolkvox answered someone: not an outage
    rig.config.maintenance = True
    with pytest.raises(Unavailable):
        await service.lookup(other_phone(1))  # the same query again counts anew...
    assert await breaker.state() == "closed"  # ...as the first failure since the success
    with pytest.raises(Unavailable):
        await service.lookup(other_phone(2))
    assert await breaker.state() == "open"


async def test_request_errors_do_not_trip_the_breaker(rig: Rig) -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    breaker = CircuitBreaker(store, threshold=2, clock=clock)
    service = rig.service(store=store, breaker=breaker, cache_ttl=0)
    for _ in range(4):
        with pytest.raises(TokenRejected):
            await service.lookup(REJECTED)
    assert await breaker.state() == "closed"


# --- campaign names ------------------------------------------------------------------------------


async def test_campaign_names_are_filled_from_campaigns(rig: Rig) -> None:
    service = rig.service()
    result = await service.lookup(SHOWCASE)
    names = {c.campaign_id: c.campaign_name for c in result.answer.campaigns}
    assert names == {"42": "Cobranza Q4", "57": "Ventas Hogar", "78": "Encuesta NPS"}
    await service.lookup(Query(phone="3104567890"))
    campaigns_calls = sum(n for k, n in rig.stats.queries.items() if k.api == "campaigns")
    assert campaigns_calls == 1  # cached for an hour


class FailingCampaigns(WolkvoxClient):
    """find_record over HTTP as usual; campaigns() always broken."""

    asked = 0

    async def campaigns(self, token: Secret, *, timeout: float | None = None) -> dict[str, str]:
        type(self).asked += 1
        raise BrokenAnswer("campaigns answer is not JSON (html)")


async def test_a_campaigns_failure_never_fails_the_lookup(rig: Rig) -> None:
    FailingCampaigns.asked = 0
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    breaker = CircuitBreaker(store, threshold=1, clock=clock)
    service = rig.service(client_class=FailingCampaigns, clock=clock, breaker=breaker)
    result = await service.lookup(SHOWCASE)
    assert result.answer.total_records == 6
    assert all(c.campaign_name == "" for c in result.answer.campaigns)
    await service.lookup(Query(phone="3104567890"))
    assert FailingCampaigns.asked == 1  # not asked again right away
    assert await breaker.state() == "closed"  # and not counted as Wolkvox being down


async def test_campaigns_quota_refusal_never_fails_the_lookup() -> None:
    """Over real HTTP: the day's last call goes to find_record, so campaigns is refused."""
    async with serve_simulator(SimulatorConfig(latency=0, daily_limit=1)) as (base_url, app):
        rig = Rig(base_url, app, [], [])
        service = rig.service()
        try:
            result = await service.lookup(SHOWCASE)
        finally:
            await service.client.close()
    assert result.answer.total_records == 6
    assert all(c.campaign_name == "" for c in result.answer.campaigns)
    assert app[STATS].refusals.total() == 1


def _answer(*ids: str) -> FindAnswer:
    summaries = tuple(
        CampaignSummary(
            campaign_id=cid,
            customer_name="Ana",
            customer_id="1",
            phone="3001234567",
            last_date=None,
            last_date_raw="",
            last_result="",
            calls=None,
            calls_raw="",
            conn_id="",
            records=1,
        )
        for cid in ids
    )
    return FindAnswer(total_records=len(ids), campaigns=summaries, records=())


def test_campaign_names_refresh_rules() -> None:
    clock = FakeClock()
    names = CampaignNames(clock)
    assert names.wants_refresh(["42"])
    names.update({"42": "Cobranza Q4"})
    assert not names.wants_refresh(["42"])
    assert not names.wants_refresh(["99"])  # unknown, but asked moments ago
    clock.advance(CAMPAIGN_NAMES_RETRY)
    assert names.wants_refresh(["99"])
    assert not names.wants_refresh(["42"])
    clock.advance(CAMPAIGN_NAMES_TTL)
    assert names.wants_refresh(["42"])
    names.failed()
    assert not names.wants_refresh(["42"])
    clock.advance(CAMPAIGN_NAMES_RETRY)
    assert names.wants_refresh(["42"])


def test_campaign_names_apply() -> None:
    names = CampaignNames(FakeClock())
    answer = _answer("42", "99")
    assert names.apply(answer) is answer  # nothing known yet
    names.update({"42": "Cobranza Q4"})
    applied = names.apply(answer)
    assert [c.campaign_name for c in applied.campaigns] == ["Cobranza Q4", ""]
    assert applied.total_records == answer.total_records


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - polling a plain attribute
            await asyncio.sleep(0.001)


# --- status, wiring -------------------------------------------------------------------------------


async def test_status_reports_tokens_without_secrets(rig: Rig) -> None:
    service = rig.service(tokens=(TOKEN_1, TOKEN_2))
    await service.lookup(SHOWCASE)
    status = await service.status()
    assert status.backend == "memory" and status.backend_ok
    assert status.breaker == "closed"
    assert len(status.tokens) == 2
    assert sum(t.used_today for t in status.tokens) == 2  # find_record + campaigns
    assert status.wolkvox_last_ok_at is not None
    for secret in (TOKEN_1, TOKEN_2):
        assert secret.reveal() not in repr(status)


async def test_build_service_wires_settings(rig: Rig) -> None:
    settings = load_settings(
        {
            "WOLKVOX_TOKENS": f"{TOKEN_1.reveal()},{TOKEN_2.reveal()}",
            "WOLKVOX_BASE_URL": rig.base_url,
            "WOLKVOX_MAX_CONCURRENCY": "2",
            "WOLKVOX_DAILY_QUOTA": "100",
        }
    )
    store = make_store(settings)
    assert isinstance(store, MemoryStore)
    service = build_service(settings, store)
    rig.services.append(service)
    rig.stores.append(store)
    assert service.pool.tokens == (TOKEN_1, TOKEN_2)
    result = await service.lookup(SHOWCASE)
    assert result.answer.total_records == 6
    assert all(t.quota == 100 for t in await service.pool.status())


REVOKED = Secret("revoked")  # the simulator answers 403 PLEASE VALIDATE TOKEN for this token


async def test_a_revoked_token_in_a_pool_rests_while_the_other_serves(rig: Rig) -> None:
    service = rig.service(tokens=(REVOKED, TOKEN_2))
    first = await service.lookup(other_phone(1))  # tried the revoked token, then the other
    assert first.answer.total_records == 0
    per_token = rig.stats.requests_per_token
    assert per_token[REVOKED.reveal()] == 1 and per_token[TOKEN_2.reveal()] == 1
    for i in range(2, 5):
        await service.lookup(other_phone(i))
    assert rig.stats.requests_per_token[REVOKED.reveal()] == 1  # resting: not asked again
    assert rig.stats.requests_per_token[TOKEN_2.reveal()] == 4


async def test_every_token_of_a_pool_rejected_says_so(rig: Rig) -> None:
    service = rig.service(tokens=(REVOKED, Secret("invalid")))
    with pytest.raises(TokenRejected):
        await service.lookup(other_phone(1))
    assert rig.stats.total_requests == 2  # each tried once, no loop


async def test_a_single_rejected_token_is_reported_not_rested(rig: Rig) -> None:
    service = rig.service(tokens=(REVOKED,))
    for _ in range(2):
        with pytest.raises(TokenRejected):
            await service.lookup(other_phone(1))
    assert rig.stats.total_requests == 2  # nothing else to try: Wolkvox's own answer each time

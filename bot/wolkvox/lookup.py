"""The one entry point the Slack side (and the terminal) uses to look a customer up.

Order of work for one query: breaker → cache → coalescing → token pool (guard + quota) →
client, with brief jittered retries of transient failures inside the caller's budget. Campaign
names come from `campaigns()` (cached an hour); a failure there never fails a lookup.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import msgspec

from bot import metrics
from bot.config import Operation, Secret, Settings
from bot.errors import LookupFailure, QueryError
from bot.query import Query
from bot.store.base import PositionCallback, Store, notify_position
from bot.store.codec import Codec, MsgpackCodec
from bot.wolkvox.breaker import CircuitBreaker
from bot.wolkvox.client import Agent, WolkvoxClient
from bot.wolkvox.errors import (
    FAILURES,
    QuotaExceeded,
    SimultaneousLimit,
    TokenRejected,
    WolkvoxError,
)
from bot.wolkvox.guard import TokenLease, TokenPool, TokenStatus
from bot.wolkvox.phones import stored_phone
from bot.wolkvox.records import Fetched, FindAnswer

log = logging.getLogger(__name__)

CAMPAIGN_NAMES_TTL = 3600.0
CAMPAIGN_NAMES_RETRY = 300.0  # after a failed campaigns() call, wait before asking again
CAMPAIGN_NAMES_TIMEOUT = 10.0
AGENTS_TTL = 3600.0  # the agents list (extension ↔ SSO user) is read at most hourly
MAX_ATTEMPTS = 3
# Told to `on_wait` (instead of a 1-based queue position) once the lookup is being served:
# it holds a token slot, or shares a call already under way. Lets an ack stop waiting.
SERVING = 0
# Told to `on_wait` when the lookup's own Wolkvox call has run `WOLKVOX_STUCK_AFTER` seconds:
# Wolkvox is slow for this query (the others are served through the relief slot meanwhile).
SLOW = -1
BACKOFF_BASE = 0.5

# How a fetched answer (or a producer's failure) travels through a store that keeps bytes.
FETCHED_CODEC: Codec[Fetched] = MsgpackCodec(Fetched, FAILURES)


class Gap(NamedTuple):
    """An operation that did not answer a search over several, and why (a failure kind, or
    "still_searching")."""

    key: str
    name: str
    kind: str


@dataclass(frozen=True, slots=True)
class LookupResult:
    query: Query
    answer: FindAnswer
    fetched_at: float  # unix time
    from_cache: bool
    shared: bool  # coalesced with an identical query already in flight
    upstream_ms: float  # how long Wolkvox took
    operations: tuple[str, ...] = ()  # the keys of the operations that answered
    gaps: tuple[Gap, ...] = ()  # those of a search over several that did not
    empty: tuple[str, ...] = ()  # the names of those that answered with no records
    # The whole answer, when some operation was still searching: resolves once all are done.
    late: asyncio.Future[LookupResult] | None = field(default=None, compare=False, repr=False)

    def age(self, now: float) -> float:
        return max(0.0, now - self.fetched_at)


@dataclass(slots=True)
class LookupStats:
    cache_hits: int = 0
    cache_misses: int = 0
    upstream_calls: int = 0
    shared: int = 0

    @property
    def cache_hit_rate(self) -> float:
        total = self.cache_hits + self.cache_misses
        return self.cache_hits / total if total else 0.0


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    backend: str
    backend_ok: bool
    queue_depth: int
    in_flight: int
    tokens: list[TokenStatus]
    stats: LookupStats
    breaker: str
    wolkvox_last_ok_at: float | None
    wolkvox_last_error: str | None  # a failure kind (e.g. "timeout"), never upstream text
    wolkvox_last_error_at: float | None
    store_health: dict[str, object] = field(default_factory=dict)
    operation: str = ""  # the operation's key ("" for the implicit one)
    operation_name: str = ""


class CampaignNames:
    """Campaign id → name, from `information.php?api=campaigns`, refreshed at most hourly."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.names: dict[str, str] = {}
        self.fetched_at: float | None = None
        self.failed_at: float | None = None
        self.clock = clock

    def wants_refresh(self, campaign_ids: list[str]) -> bool:
        """Hourly; sooner (but not more than every few minutes) when an id has no name yet."""
        now = self.clock()
        if self.failed_at is not None and now - self.failed_at < CAMPAIGN_NAMES_RETRY:
            return False
        if self.fetched_at is None or now - self.fetched_at >= CAMPAIGN_NAMES_TTL:
            return True
        unknown = any(cid not in self.names for cid in campaign_ids)
        return unknown and now - self.fetched_at >= CAMPAIGN_NAMES_RETRY

    def update(self, names: dict[str, str]) -> None:
        self.names = names
        self.fetched_at = self.clock()
        self.failed_at = None

    def failed(self) -> None:
        self.failed_at = self.clock()

    def apply(self, answer: FindAnswer) -> FindAnswer:
        if not self.names or not answer.campaigns:
            return answer
        campaigns = tuple(
            msgspec.structs.replace(c, campaign_name=self.names.get(c.campaign_id, c.campaign_name))
            for c in answer.campaigns
        )
        return msgspec.structs.replace(answer, campaigns=campaigns)


class LookupService:
    def __init__(
        self,
        settings: Settings,
        store: Store[Fetched],
        client: WolkvoxClient,
        pool: TokenPool,
        *,
        breaker: CircuitBreaker | None = None,
        clock: Callable[[], float] = time.time,
        operation: Operation | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.pool = pool
        # The Wolkvox operation served (its phones' format, its own cache and breaker keys).
        self.operation = operation or settings.operations[0]
        self.breaker = breaker or CircuitBreaker(store, clock=clock, namespace=self.operation.key)
        metrics.start_operation(self.operation.key)
        self.clock = clock
        self.stats = LookupStats()
        self.campaign_names = CampaignNames(clock)
        self._in_flight = 0
        self._producing: set[str] = set()
        self._campaign_list_tried_at: float | None = None
        self._campaign_list_busy = False
        self._agents: list[Agent] | None = None
        self._agents_tried_at: float | None = None
        self._agents_lock = asyncio.Lock()
        self._agents_ok = False

    def store_key(self, query: Query) -> str:
        """A query's name in the shared store: a keyed digest, so no phone or id shows in key
        names (Redis monitoring, key listings) and none can be recovered by hashing guesses
        without the bot's key; the values themselves expire with the cache TTL."""
        scope = f"{self.operation.key}\x00" if self.operation.key else ""
        return self.settings.digest("query", scope + query.key)

    # --- public API -----------------------------------------------------------------------
    async def lookup(
        self, query: Query, *, refresh: bool = False, on_wait: PositionCallback | None = None
    ) -> LookupResult:
        """Answer `query` from cache, a shared in-flight call, or one guarded upstream call.

        Raises a `LookupFailure` subclass the Slack side knows how to explain.
        """
        self._check_operation(query)
        async with self._tracked():
            use_cache = self.settings.cache_ttl > 0
            if use_cache and not refresh:
                cached = await self.store.cache_get(self.store_key(query))
                if cached is not None:
                    self.stats.cache_hits += 1
                    metrics.CACHE_HITS.labels(operation=self.operation.key).inc()
                    return self._result(query, cached, from_cache=True, shared=False)
            self.stats.cache_misses += 1
            metrics.CACHE_MISSES.labels(operation=self.operation.key).inc()

            async def produce() -> Fetched:
                self._producing.add(query.key)
                try:
                    return await self._fetch(query, on_wait)
                finally:
                    self._producing.discard(query.key)

            if self.settings.coalesce and query.key in self._producing:
                # Joining a call already under way: no queue to wait in.
                await notify_position(on_wait, SERVING)
            if self.settings.coalesce:
                # A refresh may share an identical call in flight (it is live) but not a cached one.
                budget = self.settings.queue_timeout + self.settings.timeout * MAX_ATTEMPTS + 5
                fetched, shared = await self.store.run_once(
                    "q:" + self.store_key(query), produce, timeout=budget
                )
            else:
                fetched, shared = await produce(), False
            if shared:
                self.stats.shared += 1
                metrics.COALESCED.labels(operation=self.operation.key).inc()
            return self._result(query, fetched, from_cache=False, shared=shared)

    async def status(self) -> ServiceStatus:
        health = await self.store.health()
        try:
            tokens = await self.pool.status()
            queue_depth = await self.pool.queue_depth()
            breaker = await self.breaker.state()
        except LookupFailure:
            tokens, queue_depth, breaker = [], 0, "unknown"
        return ServiceStatus(
            backend=self.store.backend,
            backend_ok=bool(health.get("ok")),
            queue_depth=queue_depth,
            in_flight=self._in_flight,
            tokens=tokens,
            stats=self.stats,
            breaker=breaker,
            wolkvox_last_ok_at=self.client.last_ok_at,
            wolkvox_last_error=self.client.last_error,
            wolkvox_last_error_at=self.client.last_error_at,
            store_health=health,
            operation=self.operation.key,
            operation_name=self.operation.name,
        )

    def _check_operation(self, query: Query) -> None:
        """A search narrowed to an operation this bot does not serve (`en ec` where there is
        only one) is a usage error, never silently searched elsewhere."""
        if query.operation and query.operation != self.operation.key:
            raise QueryError(
                f"only one operation; not {query.operation!r}",
                field="operation",
                reason="one_operation",
                params={"key": query.operation[:12]},
            )

    async def statuses(self) -> list[ServiceStatus]:
        """Each operation's status: here the one this service serves."""
        return [await self.status()]

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def export(
        self, query: Query, out: Any, *, mask: Callable[[str], str] | None = None
    ) -> int:
        """Every record for `query` written to `out` as CSV: one guarded call (a slot, the
        quota, the breaker) that bypasses the cache, which keeps only summaries. Rows written."""
        self._check_operation(query)
        async with self._tracked():
            await self.breaker.check()
            async with await self.pool.acquire() as lease:
                await lease.count_call()
                self.stats.upstream_calls += 1
                try:
                    rows = await self.client.find_record_csv(
                        lease.token,
                        out,
                        phone=stored_phone(self.operation, query.phone, self.settings.phone_region),
                        customer_id=query.customer_id,
                        campaign_id=query.campaign_id,
                        timeout=self.settings.timeout,
                        mask=mask,
                    )
                except WolkvoxError as error:
                    await self.breaker.record_failure(error, self.store_key(query))
                    raise
            await self.breaker.record_success()
            return rows

    async def close(self) -> None:
        await self.client.close()

    # --- the agent API: calling a customer back -------------------------------------------
    def searched(self, query: Query) -> list[str]:
        """The keys of the operations `query` goes to: this one's."""
        self._check_operation(query)
        return [self.operation.key]

    def service_for(self, key: str) -> LookupService | None:
        """This service when `key` names its operation ("" names the only one)."""
        return self if key in ("", self.operation.key) else None

    def wolkvox_phone(self, phone: str) -> str:
        """A phone as bot.query normalised it, as this operation stores (and dials) it."""
        return stored_phone(self.operation, phone, self.settings.phone_region)

    async def dial(
        self, extension: str, phone: str, *, customer_id: str = "", customer_name: str = ""
    ) -> str:
        """Make `extension`'s Wolkvox Agent dial `phone` (as Wolkvox stores it): through the
        guard ahead of queued lookups, never a third call in flight, not counted against the
        quota; once, never retried. Wolkvox's conn_id."""
        async with await self.pool.acquire(dial=True) as lease:
            return await self.client.dial(
                lease.token,
                agent_id=extension,
                phone=phone,
                customer_id=customer_id,
                customer_name=customer_name,
                timeout=self.settings.timeout,
            )

    def agents_at_hand(self) -> list[Agent]:
        """The agents list as last read (maybe none yet), without asking Wolkvox."""
        return list(self._agents or [])

    async def agent_list(self, *, wait: float | None = None) -> list[Agent]:
        """The operation's agents, read at most once an hour (one counted call through the
        guard); after a failure the last list (or none) for a few minutes. Never raises.
        `wait`: how long a caller waits for a read (its own deadline: a form's ack); past it,
        the last list, the read going on for the next caller."""
        read = asyncio.ensure_future(self._agent_list())
        if wait is None:
            return await read
        done, _ = await asyncio.wait({read}, timeout=wait)
        return read.result() if done else list(self._agents or [])

    async def _agent_list(self) -> list[Agent]:
        async with self._agents_lock:
            now = self.clock()
            tried = self._agents_tried_at
            fresh = AGENTS_TTL if self._agents_ok else CAMPAIGN_NAMES_RETRY
            if tried is not None and now - tried < fresh:
                return list(self._agents or [])
            self._agents_tried_at = now
            try:
                async with await self.pool.acquire() as lease:
                    await lease.count_call()
                    self.stats.upstream_calls += 1
                    agents = await self.client.agents(lease.token, timeout=CAMPAIGN_NAMES_TIMEOUT)
            except LookupFailure as error:
                log.info("agents list unavailable (%s)", error.kind)
                self._agents_ok = False
                return list(self._agents or [])
            self._agents, self._agents_ok = agents, True
            return list(agents)

    def campaign_list(self) -> dict[str, str]:
        """Campaign id → name as last fetched (an hour's cache; stale beats nothing), or {}."""
        return dict(self.campaign_names.names)

    async def refresh_campaign_list(self) -> bool:
        """Fetch the campaign list for the search modal's picker unless it is fresh, or this
        was tried within the hour: never more than one extra Wolkvox call an hour for it. Goes
        through the guard like any call (a slot, the quota). True when a fresh list is at hand."""
        names = self.campaign_names
        now = self.clock()
        if names.fetched_at is not None and now - names.fetched_at < CAMPAIGN_NAMES_TTL:
            return True
        tried = self._campaign_list_tried_at
        if self._campaign_list_busy or (tried is not None and now - tried < CAMPAIGN_NAMES_TTL):
            return False
        self._campaign_list_busy, self._campaign_list_tried_at = True, now
        try:
            async with await self.pool.acquire() as lease:
                return await self._load_campaign_names(lease)
        except LookupFailure as error:  # no slot came free, or the quota is spent
            log.info("campaign names unavailable (%s)", error.kind)
            names.failed()
            return False
        finally:
            self._campaign_list_busy = False

    # --- internals ------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1

    def _result(
        self, query: Query, fetched: Fetched, *, from_cache: bool, shared: bool
    ) -> LookupResult:
        return LookupResult(
            query=query,
            answer=fetched.answer,
            fetched_at=fetched.fetched_at,
            from_cache=from_cache,
            shared=shared,
            upstream_ms=fetched.upstream_ms,
            operations=(self.operation.key,),
        )

    async def _fetch(self, query: Query, on_wait: PositionCallback | None) -> Fetched:
        await self.breaker.check()
        started = time.monotonic()
        budget_end = started + self.settings.timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                fetched = await self._fetch_once(query, on_wait, budget_end)
            except WolkvoxError as error:
                delay = self._retry_delay(error, attempt)
                # The breaker counts this lookup once, when it gives up: not each attempt. It
                # gives up at once when the breaker is open (Wolkvox is down: retrying would only
                # hammer it) or half-open (this lookup was the probe, and it failed).
                if (
                    delay is None
                    or time.monotonic() + delay >= budget_end
                    or await self.breaker.state() != "closed"
                ):
                    await self.breaker.record_failure(error, self.store_key(query))
                    raise
                log.info(
                    "retrying lookup after %s (attempt %d) in %.2fs", error.kind, attempt, delay
                )
                await asyncio.sleep(delay)
                continue
            await self.breaker.record_success()
            if self.settings.cache_ttl > 0:
                await self.store.cache_set(self.store_key(query), fetched, self.settings.cache_ttl)
            return fetched

    def _retry_delay(self, error: WolkvoxError, attempt: int) -> float | None:
        if not error.retryable or attempt >= MAX_ATTEMPTS:
            return None
        base: float = BACKOFF_BASE * (2 ** (attempt - 1))
        if isinstance(error, SimultaneousLimit) and error.retry_after:
            base = max(base, error.retry_after)
        return float(base * random.uniform(0.5, 1.5))

    async def _fetch_once(
        self, query: Query, on_wait: PositionCallback | None, budget_end: float
    ) -> Fetched:
        rejected: set[Secret] = set()
        while True:
            lease = await self.pool.acquire(on_position=on_wait)
            await notify_position(on_wait, SERVING)
            try:
                return await self._call(lease, query, budget_end, on_wait)
            except QuotaExceeded:
                # Learned from Wolkvox: this token is spent for today; another may not be.
                await lease.mark_quota_spent()
                log.warning("token %s: daily quota spent (told by Wolkvox)", lease.token.masked())
                continue  # acquire() raises QuotaExceeded itself once every token is spent
            except TokenRejected:
                if len(self.pool.tokens) < 2 or lease.token in rejected:
                    raise
                # A revoked token in a pool: rest it and let another token answer.
                rejected.add(lease.token)
                await lease.mark_rejected()
                if len(rejected) >= len(self.pool.tokens):
                    raise
                continue
            finally:
                await lease.release()

    async def _call(
        self,
        lease: TokenLease,
        query: Query,
        budget_end: float,
        on_wait: PositionCallback | None = None,
    ) -> Fetched:
        remaining = max(1.0, budget_end - time.monotonic())
        await lease.count_call()
        self.stats.upstream_calls += 1
        started = time.monotonic()
        async with self._slow_notice(on_wait):
            answer = await self.client.find_record(
                lease.token,
                phone=stored_phone(self.operation, query.phone, self.settings.phone_region),
                customer_id=query.customer_id,
                campaign_id=query.campaign_id,
                timeout=remaining,
            )
        upstream_ms = (time.monotonic() - started) * 1000
        fetched_at = self.clock()
        if answer.campaigns:
            await self._refresh_campaign_names(lease, [c.campaign_id for c in answer.campaigns])
            answer = self.campaign_names.apply(answer)
        return Fetched(answer=answer, fetched_at=fetched_at, upstream_ms=upstream_ms)

    @contextlib.asynccontextmanager
    async def _slow_notice(self, on_wait: PositionCallback | None) -> AsyncIterator[None]:
        """Tell `on_wait` SLOW once (and count it) if the call inside runs `stuck_after` s."""
        after = self.settings.stuck_after
        if after <= 0:
            yield
            return

        async def tell() -> None:
            await asyncio.sleep(after)
            metrics.SLOW_CALLS.labels(operation=self.operation.key).inc()
            await notify_position(on_wait, SLOW)

        notice = asyncio.ensure_future(tell())
        try:
            yield
        finally:
            notice.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await notice

    async def _refresh_campaign_names(self, lease: TokenLease, ids: list[str]) -> None:
        """Still holding the token's slot: the next call starts only after the previous ended."""
        if self.campaign_names.wants_refresh(ids):
            await self._load_campaign_names(lease)

    async def _load_campaign_names(self, lease: TokenLease) -> bool:
        """One counted `campaigns()` call on a held slot; a failure keeps the old names (cards
        show ids, the picker falls back to a typed id) and is never a lookup's failure."""
        try:
            await lease.count_call()
            self.stats.upstream_calls += 1
            names = await self.client.campaigns(lease.token, timeout=CAMPAIGN_NAMES_TIMEOUT)
        except LookupFailure as error:
            log.info("campaign names unavailable (%s)", error.kind)
            self.campaign_names.failed()
            return False
        self.campaign_names.update(names)
        return True

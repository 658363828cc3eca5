"""`RedisStore`: the `Store` shared by several bot processes (`REDIS_URL`, Redis 6+).

Every read-modify-write runs as one Lua script, so it is atomic across processes. Times that
decide expiry (slot leases, waiter liveness, rate windows) come from the Redis server's own clock
(`TIME`), so instances whose clocks disagree still agree on who holds what.

Waiting (for a slot, for another instance's result) is woken by a pub/sub message on
`<prefix>wake` and backed by polling every `poll_interval` seconds (0.2 s by default): a lost
message or a crashed holder only costs that much. On loopback a release reaches the next waiter
in about a millisecond this way, against up to 20-50 ms for polling alone.

Keys (`<prefix>` is `wolkvox:` by default; `<key>` is the caller's key, e.g. `slot:<token
fingerprint>`; no key or value ever holds a token):

=====================================  ========  =============================================
key                                    type      what and how long
=====================================  ========  =============================================
`<prefix>sem:<key>:holders`            zset      slot holders → lease expiry (ms, server
                                                 clock); a live holder renews every lease/3
`<prefix>sem:<key>:queue`              zset      waiters → arrival ticket (FIFO order)
`<prefix>sem:<key>:alive`              zset      waiters → liveness expiry; a waiter that stops
                                                 polling for `waiter_ttl` (2 s) leaves the queue
`<prefix>sem:<key>:ticket`             string    ticket counter
`<prefix>sem:<key>:since`              zset      slot holders → when granted (ms, server
                                                 clock): the relief rule's holder ages
                                                 (all five vanish `max(lease, waiter_ttl)` +
                                                 60 s after the key's last use)
`<prefix>ctr:<key>`                    string    counter (quota, breaker); `ttl` from creation
                                                 (`ttl` <= 0: no expiry, as in MemoryStore)
`<prefix>val:<key>`                    string    small value (breaker, event dedupe); `ttl`
`<prefix>cache:<key>`                  string    the value as the codec encodes it (for the
                                                 lookup: personal data); cache TTL
`<prefix>once:<key>:lock`              string    producer's token while it runs; expires
                                                 `once_lease` (5 s) after its last renewal
`<prefix>once:<key>:result:<token>`    string    the produced answer or error for sharers
                                                 (personal data); `result_ttl` (10 s)
`<prefix>rate:<key>`                   zset      times of allowed hits; `window`
`<prefix>queue:<key>`                  list      items handed over by a stopping instance
                                                 (personal data); `ttl` after the last push
=====================================  ========  =============================================

Nothing personal outlives the cache TTL as long as that is at least `result_ttl` (10 s).
If Redis restarts empty, live holders put themselves back at their next renewal (lease/3), so
for that short moment a token may see more than its limit in flight.
Redis Cluster is not supported (the scripts touch several keys without hash tags).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import Busy, LookupFailure, StoreUnavailable, WaitTimedOut
from bot.store.base import PositionCallback, Relief
from bot.store.codec import Codec, Undecodable, pack_outcome, unpack_outcome
from bot.store.redis.scripts import load_script
from bot.store.sharing import SharedRuns

V = TypeVar("V")

log = logging.getLogger(__name__)

WARM_CONNECTIONS = 8


def _log_callback_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("position callback failed", exc_info=task.exception())


def _raw(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _text(value: bytes | str) -> str:
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class _RedisLease:
    """A held slot: renewed in the background until released (or the process dies)."""

    __slots__ = ("_key", "_lease", "_member", "_released", "_renewer", "_store")

    def __init__(self, store: RedisStore[Any], key: str, member: str, lease: float) -> None:
        self._store = store
        self._key = key
        self._member = member
        self._released = False
        self._lease = lease
        self._renewer = store._background(store._renew_slot(key, member, lease))

    async def release(self) -> None:
        """Free the slot; if Redis cannot be reached the lease runs out by itself instead."""
        if self._released:
            return
        self._released = True
        self._renewer.cancel()
        store = self._store
        # Shielded and kept referenced: a second cancellation must not leave the slot held.
        await asyncio.shield(
            store._background(store._release_slot(self._key, self._member, self._lease))
        )

    def __repr__(self) -> str:
        state = "released" if self._released else "held"
        return f"<redis slot lease {self._key} {state}>"


PROBE_CONNECTIONS = 2
MAX_CONNECTIONS = 64  # per instance; commands take milliseconds, so a burst queues briefly


class RedisStore(Generic[V]):
    """Shared state in Redis so several bot processes share one token's limits.

    Any Redis failure while running surfaces as `StoreUnavailable` (never as a granted slot);
    the connection pool reconnects by itself once Redis is back. `clock` only stamps
    `health()`: every expiry decision uses the Redis server's clock.
    """

    backend = "redis"

    def __init__(
        self,
        url: str,
        codec: Codec[V],
        *,
        prefix: str = "wolkvox:",
        clock: Callable[[], float] = time.time,
        poll_interval: float = 0.2,
        waiter_ttl: float = 2.0,
        once_lease: float = 5.0,
        result_ttl: float = 10.0,
        op_timeout: float = 5.0,
        tls_verify: bool = True,
    ) -> None:
        parts = urlsplit(url)
        self._password = unquote(parts.password) if parts.password else ""
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        self._where = f"{parts.scheme}://{host}{port}{parts.path}"  # never the password
        self._codec = codec
        self._op_timeout = op_timeout
        self._prefix = prefix
        self._clock = clock
        self._poll = poll_interval
        self._waiter_ttl = waiter_ttl
        self._once_lease = once_lease
        self._result_ttl = result_ttl
        self._channel = f"{prefix}wake"
        tls: dict[str, Any] = {}
        if not tls_verify and parts.scheme == "rediss":
            # Heroku Redis's TLS endpoint has a self-signed certificate (REDIS_TLS_VERIFY=false).
            tls["ssl_cert_reqs"] = "none"
        # A bounded pool that queues for a free connection (up to op_timeout) rather than
        # failing: redis-py's default pool refuses its 101st concurrent command ("Too many
        # connections"), which a burst over several operations reaches.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=op_timeout,
            socket_connect_timeout=min(op_timeout, 2.0),
            socket_timeout=op_timeout,
            # One quick retry: the first command on a connection Redis dropped fails once.
            retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
            **tls,
        )
        self._redis: aioredis.Redis = aioredis.Redis(connection_pool=pool)
        self._redis.auto_close_connection_pool = True  # closing the client closes its pool
        # Health probes (/healthz, /metrics, status) ping on a pool of their own, at most two
        # connections: a burst of probes can never take the connections lookups need.
        self._probe: aioredis.Redis = aioredis.Redis.from_url(
            url,
            max_connections=PROBE_CONNECTIONS,
            socket_connect_timeout=min(op_timeout, 2.0),
            socket_timeout=2.0,
            **tls,
        )
        self._semaphore = self._redis.register_script(load_script("semaphore"))
        self._once_claim = self._redis.register_script(load_script("once_claim"))
        self._once_finish = self._redis.register_script(load_script("once_finish"))
        self._once_renew = self._redis.register_script(load_script("once_renew"))
        self._counter_incr = self._redis.register_script(load_script("counter_incr"))
        self._rate = self._redis.register_script(load_script("rate"))
        self._wakers: dict[str, set[asyncio.Event]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._runs: SharedRuns[tuple[V, bool]] = SharedRuns()

    def __repr__(self) -> str:
        return f"<RedisStore {self._where} prefix={self._prefix!r}>"

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Check Redis answers, then listen for wake-ups; unreachable → `StoreUnavailable`."""
        if self._listener is not None and not self._listener.done():
            return
        try:
            # Open a few pooled connections now, not during the first burst of lookups (each
            # new connection is a round trip, in series with that lookup's ack).
            await asyncio.gather(*(self._redis.ping() for _ in range(WARM_CONNECTIONS)))
            pubsub = await self._subscribe()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(
                f"cannot reach Redis at {self._where}: {self._scrub(exc)}"
            ) from None
        self._listener = asyncio.create_task(self._listen(pubsub), name="redis-store-wake")

    async def close(self) -> None:
        """Stop background work (renewals, shared lookups, the listener) and disconnect."""
        tasks: list[asyncio.Future[Any]] = [*self._tasks, *self._runs.clear()]
        if self._listener is not None:
            tasks.append(self._listener)
            self._listener = None
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: a task that swallowed its cancellation must not hang shutdown.
            stopped, stuck = await asyncio.wait(tasks, timeout=5.0)
            for task in stopped:
                if not task.cancelled():
                    task.exception()  # retrieved: nobody else will look at it now
            if stuck:
                log.warning("%d store task(s) did not stop within 5 s", len(stuck))
        with contextlib.suppress(RedisError, OSError):
            await self._redis.aclose()
        with contextlib.suppress(RedisError, OSError):
            await self._probe.aclose()

    async def health(self) -> dict[str, Any]:
        """Ping with a short bound, on the probes' own small pool. It names no address: whoever
        can reach /healthz need not learn where the store lives (the logs say it)."""
        started = time.perf_counter()
        info: dict[str, Any] = {"backend": self.backend, "ok": False}
        try:
            async with asyncio.timeout(2.0):
                await self._probe.ping()
            info["ok"] = True
        except Exception as exc:  # a kind only: Redis's own text names its host and port
            info["error"] = type(exc).__name__
            log.warning("redis health check failed: %s", self._scrub(exc))
        info["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
        info["checked_at"] = self._clock()
        return info

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
    ) -> _RedisLease:
        """Join the key's FIFO queue in Redis and wait until within the first free slots.

        Grants happen only inside the atomic script, so the limit holds across processes. On
        timeout one last attempt either takes a slot that just came free or leaves the queue
        (→ `Busy`); on cancellation or a Redis failure the entry is withdrawn. Relief, when
        it comes due, has no release to announce it: a waiter's next poll finds it.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        member = uuid.uuid4().hex
        topic = f"sem:{key}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        told = 0
        wake = self._wake_on(topic)
        try:
            wake.clear()
            position = await self._sem(
                "join_first" if first else "join", key, member, limit, lease, relief
            )
            while position != 0:
                if position == -1:  # dropped as a silent waiter (this loop stalled): rejoin
                    wake.clear()
                    position = await self._sem(
                        "join_first" if first else "join", key, member, limit, lease, relief
                    )
                    continue
                if position == -2:
                    raise Busy(f"no slot free on {key} within {timeout:g} s")
                if position != told and on_position is not None:
                    told = position
                    self._call_back(on_position, position)
                remaining = deadline - loop.time()
                if remaining <= 0:
                    position = await self._sem("give_up", key, member, limit, lease, relief)
                    continue
                await self._sleep_until_woken(wake, min(self._poll, remaining))
                wake.clear()
                position = await self._sem("poll", key, member, limit, lease, relief)
        except BaseException as exc:
            if not isinstance(exc, Busy):
                await self._withdraw(key, member)
            raise
        finally:
            self._wake_off(topic, wake)
        return _RedisLease(self, key, member, lease)

    async def slot_usage(self, key: str) -> tuple[int, int]:
        result = await self._sem("usage", key, "", 0, 0)
        holders, waiters = result
        return int(holders), int(waiters)

    async def _sem(
        self,
        op: str,
        key: str,
        member: str,
        limit: int,
        lease: float,
        relief: Relief | None = None,
    ) -> Any:
        base = f"{self._prefix}sem:{key}"
        keep = max(lease, self._waiter_ttl) + 60.0
        with self._errors(f"slot {op}"):
            return await self._semaphore(
                keys=[
                    f"{base}:holders",
                    f"{base}:queue",
                    f"{base}:alive",
                    f"{base}:ticket",
                    f"{base}:since",
                ],
                args=[
                    op,
                    member,
                    limit,
                    _ms(lease),
                    _ms(self._waiter_ttl),
                    _ms(keep),
                    self._channel,
                    f"sem:{key}",
                    _ms(relief.after) if relief else 0,
                    relief.limit if relief else 0,
                ],
            )

    async def _withdraw(self, key: str, member: str) -> None:
        """Leave the queue (or give back a slot granted in a call we stopped waiting for)."""
        try:
            await asyncio.shield(self._background(self._sem("leave", key, member, 0, 0)))
        except (StoreUnavailable, asyncio.CancelledError):
            log.debug("could not withdraw from slot queue %s; it expires by itself", key)

    async def _renew_slot(self, key: str, member: str, lease: float) -> None:
        """Keep a live holder's lease fresh; if this process dies the lease simply runs out."""
        while True:
            await asyncio.sleep(max(lease / 3, 0.05))
            try:
                if not await self._sem("renew", key, member, 0, lease):
                    log.warning("slot lease on %s had expired; renewed it (still in flight)", key)
            except StoreUnavailable:
                log.debug("could not renew slot lease on %s", key, exc_info=True)

    async def _release_slot(self, key: str, member: str, lease: float) -> None:
        try:
            if not await self._sem("release", key, member, 0, lease):
                log.warning("released a slot on %s whose lease had already expired", key)
        except StoreUnavailable:
            log.warning("could not release a slot on %s; its lease will expire", key)

    def _call_back(self, callback: PositionCallback, position: int) -> None:
        """Run a sync callback now or schedule an async one; its failures never reach the queue."""
        try:
            result = callback(position)
        except Exception:
            log.warning("position callback failed", exc_info=True)
            return
        if inspect.isawaitable(result):
            self._background(result).add_done_callback(_log_callback_failure)

    def _background(self, work: Awaitable[Any]) -> asyncio.Future[Any]:
        """Run `work` as a task this store keeps a reference to (and cancels on close)."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- counters and values ----------------------------------------------------------------

    async def counter_incr(self, key: str, amount: int, ttl: float) -> int:
        """Add `amount`; a new counter expires `ttl` s after creation (never when `ttl` <= 0)."""
        with self._errors("counter"):
            value = await self._counter_incr(
                keys=[f"{self._prefix}ctr:{key}"], args=[amount, _ms(ttl) if ttl > 0 else 0]
            )
        return int(value)

    async def counter_get(self, key: str) -> int:
        with self._errors("counter"):
            raw = await self._redis.get(f"{self._prefix}ctr:{key}")
        try:
            return int(raw) if raw is not None else 0
        except ValueError:
            return 0

    async def counter_set(self, key: str, value: int, ttl: float) -> None:
        with self._errors("counter"):
            await self._redis.set(
                f"{self._prefix}ctr:{key}", value, px=_ms(ttl) if ttl > 0 else None
            )

    async def value_get(self, key: str) -> str | None:
        with self._errors("value"):
            raw = await self._redis.get(f"{self._prefix}val:{key}")
        return None if raw is None else _text(raw)

    async def value_set(self, key: str, value: str, ttl: float | None) -> None:
        px = _ms(ttl) if ttl is not None and ttl > 0 else None
        with self._errors("value"):
            await self._redis.set(f"{self._prefix}val:{key}", value, px=px)

    async def value_set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        """SET NX: exactly one caller across every process gets True."""
        with self._errors("value"):
            done = await self._redis.set(
                f"{self._prefix}val:{key}", value, px=_ms(ttl) if ttl > 0 else None, nx=True
            )
        return bool(done)

    async def value_delete(self, key: str) -> None:
        with self._errors("value"):
            await self._redis.delete(f"{self._prefix}val:{key}")

    # --- result cache -----------------------------------------------------------------------

    async def cache_get(self, key: str) -> V | None:
        """The cached answer, or None (also for an entry this version cannot decode)."""
        with self._errors("cache"):
            raw = await self._redis.get(f"{self._prefix}cache:{key}")
        if raw is None:
            return None
        try:
            return self._codec.decode(_raw(raw))
        except Undecodable:
            log.warning("undecodable cache entry for %s treated as a miss", key)
            return None

    async def cache_set(self, key: str, value: V, ttl: float) -> None:
        """Keep `value` for `ttl` s; `ttl` <= 0 means do not cache (and forget an older value)."""
        name = f"{self._prefix}cache:{key}"
        with self._errors("cache"):
            if ttl <= 0:
                await self._redis.delete(name)
            else:
                await self._redis.set(name, self._codec.encode(value), px=_ms(ttl))

    # --- coalescing ---------------------------------------------------------------------------

    async def run_once(
        self, key: str, produce: Callable[[], Awaitable[V]], *, timeout: float
    ) -> tuple[V, bool]:
        """Share one run of `produce` among every caller of `key`, here and in other processes.

        Callers in this process share one task (only it talks to Redis); across processes a
        lock decides who produces and the others read its published outcome. The work is
        shielded from each caller, and cancelled only when every local caller is gone; every
        caller's wait is bounded by `timeout` (→ `WaitTimedOut`).
        """
        (result, shared_there), shared_here = await self._runs.run(
            key, lambda: self._once(key, produce, timeout), timeout
        )
        return result, shared_here or shared_there

    async def _once(
        self, key: str, produce: Callable[[], Awaitable[V]], timeout: float
    ) -> tuple[V, bool]:
        """Take the lock and produce, or wait for the lock holder's outcome (or its demise)."""
        base = f"{self._prefix}once:{key}"
        lock = f"{base}:lock"
        token = uuid.uuid4().hex
        topic = f"once:{key}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        waiting_for = ""
        wake = self._wake_on(topic)
        try:
            while True:
                wake.clear()
                with self._errors("run_once"):
                    status, value = await self._once_claim(
                        keys=[lock, f"{base}:result:{waiting_for}"],
                        args=[token, _ms(self._once_lease)],
                    )
                if status == b"done":
                    return self._outcome(key, value), True
                if status == b"run":
                    break
                waiting_for = bytes(value).decode()
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise WaitTimedOut(f"no shared answer within {timeout:g} s")
                await self._sleep_until_woken(wake, min(self._poll, remaining))
        finally:
            self._wake_off(topic, wake)
        return await self._produce(key, base, token, produce), False

    async def _produce(
        self, key: str, base: str, token: str, produce: Callable[[], Awaitable[V]]
    ) -> V:
        renewer = asyncio.create_task(self._renew_once(base, token), name=f"once-renew:{key}")
        payload = b""
        try:
            result = await produce()
            payload = pack_outcome(self._codec, result, None)
            return result
        except asyncio.CancelledError:
            raise  # abandon: release the lock without a result so a waiter takes over
        except BaseException as exc:
            payload = pack_outcome(self._codec, None, exc)
            raise
        finally:
            renewer.cancel()
            await asyncio.shield(self._background(self._finish_once(key, base, token, payload)))

    async def _finish_once(self, key: str, base: str, token: str, payload: bytes) -> None:
        try:
            with self._errors("run_once"):
                await self._once_finish(
                    keys=[f"{base}:lock", f"{base}:result:{token}"],
                    args=[token, payload, _ms(self._result_ttl), self._channel, f"once:{key}"],
                )
        except StoreUnavailable:
            log.warning("could not publish the outcome for %s; sharers will take over", key)

    async def _renew_once(self, base: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._once_lease / 3)
            try:
                with self._errors("run_once"):
                    held = await self._once_renew(
                        keys=[f"{base}:lock"], args=[token, _ms(self._once_lease)]
                    )
                if not held:
                    log.warning("lost the producer lock (stalled past its lease)")
                    return
            except StoreUnavailable:
                log.debug("could not renew producer lock", exc_info=True)

    def _outcome(self, key: str, payload: bytes) -> V:
        """Another process's published outcome: its answer, or its failure raised here."""
        try:
            return unpack_outcome(self._codec, payload)
        except Undecodable:
            raise LookupFailure(f"undecodable shared answer for {key}") from None

    # --- hand-over queue -----------------------------------------------------------------------

    async def queue_push(self, key: str, item: bytes, ttl: float) -> None:
        name = f"{self._prefix}queue:{key}"
        with self._errors("queue"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(name, item)
                pipe.pexpire(name, _ms(ttl))
                await pipe.execute()

    async def queue_pop(self, key: str, timeout: float) -> bytes | None:
        """BLPOP, bounded below the connection's own socket timeout."""
        wait = max(0.01, min(timeout, self._op_timeout - 1.0))
        with self._errors("queue"):
            got = await self._redis.blpop([f"{self._prefix}queue:{key}"], timeout=wait)
        return None if got is None else _raw(got[1])

    # --- recent lists -------------------------------------------------------------------------

    async def recent_push(self, key: str, item: bytes, keep: int, ttl: float) -> None:
        """LPUSH + LTRIM + PEXPIRE in one transaction: concurrent pushes never lose an item."""
        name = f"{self._prefix}recent:{key}"
        with self._errors("recent"):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.lpush(name, item)
                pipe.ltrim(name, 0, max(keep, 1) - 1)
                pipe.pexpire(name, _ms(ttl))
                await pipe.execute()

    async def recent_list(self, key: str) -> list[bytes]:
        with self._errors("recent"):
            items = await self._redis.lrange(f"{self._prefix}recent:{key}", 0, -1)
        return [_raw(i) for i in items]

    # --- rate limit ---------------------------------------------------------------------------

    async def rate_hit(self, key: str, limit: int, window: float) -> float:
        """Sliding window: at most `limit` hits in any `window` s; refused hits do not count."""
        if limit <= 0:
            return max(window, 0.0)
        with self._errors("rate"):
            wait = await self._rate(
                keys=[f"{self._prefix}rate:{key}"],
                args=[limit, window * 1000, uuid.uuid4().hex],
            )
        return max(float(wait), 0.0)

    # --- plumbing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Every Redis failure becomes `StoreUnavailable`, its text free of the password."""
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(
                f"Redis unreachable at {self._where} ({what}): {self._scrub(exc)}"
            ) from None
        except RedisError as exc:
            log.error("Redis error during %s: %s", what, self._scrub(exc))
            raise StoreUnavailable(f"Redis error ({what}): {self._scrub(exc)}") from None

    def _scrub(self, exc: BaseException) -> str:
        text = str(exc)
        if self._password:
            text = text.replace(self._password, "***")
        return text

    def _wake_on(self, topic: str) -> asyncio.Event:
        event = asyncio.Event()
        self._wakers.setdefault(topic, set()).add(event)
        return event

    def _wake_off(self, topic: str, event: asyncio.Event) -> None:
        events = self._wakers.get(topic)
        if events is not None:
            events.discard(event)
            if not events:
                del self._wakers[topic]

    async def _sleep_until_woken(self, event: asyncio.Event, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await event.wait()

    def _wake_all(self) -> None:
        for events in self._wakers.values():
            for event in events:
                event.set()

    async def _subscribe(self) -> Any:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(self._channel)
        except BaseException:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            raise
        return pubsub

    async def _listen(self, pubsub: Any) -> None:
        """Relay wake-up messages to local waiters; resubscribe with backoff when Redis drops.

        redis-py can swallow a cancellation that lands while it (re)connects, so the loop also
        checks `cancelling()` itself and reads in short slices: `close()` never hangs.
        """
        task = asyncio.current_task()
        backoff = 0.05
        while True:
            try:
                if pubsub is None:
                    pubsub = await self._subscribe()
                    self._wake_all()  # anything may have changed while we were not listening
                    backoff = 0.05
                while task is None or not task.cancelling():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        topic = _text(message["data"])
                        for event in self._wakers.get(topic, ()):
                            event.set()
                raise asyncio.CancelledError
            except (RedisError, OSError):
                log.debug("wake-up listener lost Redis; retrying", exc_info=True)
                self._wake_all()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()
                    pubsub = None

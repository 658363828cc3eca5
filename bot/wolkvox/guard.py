"""The per-token guard and daily quota: how the bot stays inside Wolkvox's limits.

Wolkvox refuses a token used by too many simultaneous requests and caps each token's calls per
day. `TokenPool` hands out one `TokenLease` per call: a slot of that token's fair semaphore (held
in the `Store`, so several processes share it with Redis) on the token that will serve soonest and
still has quota today. The day rolls over at midnight in the operation's time zone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from types import TracebackType
from typing import Any

from bot.config import MAX_CONCURRENCY_HARD_LIMIT, Secret
from bot.errors import Busy
from bot.store.base import PositionCallback, Relief, SlotLease, Store, notify_position
from bot.wolkvox.errors import QuotaExceeded, TokenMissing

log = logging.getLogger(__name__)

QUOTA_TTL = 2 * 86_400.0  # a day's counter outlives the day, whatever the time zone
# A token of a pool that Wolkvox rejected rests this long while the others serve: long enough not
# to spend every lookup on a revoked token first, short enough that a wrongly-rejected one returns.
REJECTED_REST = 300.0
LATENCY_WEIGHT = 0.2  # of the newest call in the recent-latency average
FLOOD_MARGIN = 1.15  # refuse a wait expected within 15 % of the time left


@dataclass(frozen=True)
class TokenStatus:
    """One token as `/wolkvox status` shows it: never the token itself."""

    masked: str
    fingerprint: str
    in_flight: int
    waiting: int
    used_today: int
    quota: int | None
    spent: bool


class TokenLease:
    """One call's right to use `token`: count the call, report a spent quota, then release."""

    def __init__(
        self, pool: TokenPool, token: Secret, slot: SlotLease, *, counted: bool = False
    ) -> None:
        self.token = token
        self._pool = pool
        self._slot = slot
        self._released = False
        self._granted = time.monotonic()
        self._called = False
        self._claimed = counted  # the pool claimed the first call's unit of quota already

    async def count_call(self) -> None:
        """Count one call toward the token's daily use; at the quota it rests till midnight."""
        self._called = True
        if self._claimed:  # counted when the slot was granted
            self._claimed = False
            return
        await self._pool._count_call(self.token)

    async def mark_quota_spent(self) -> None:
        """Wolkvox said TOKEN LIMIT EXCEEDED: rest this token until the day rolls over."""
        await self._pool._mark_spent(self.token)

    async def mark_rejected(self) -> None:
        """Wolkvox said PLEASE VALIDATE TOKEN: in a pool, let the other tokens serve a while."""
        await self._pool._mark_rejected(self.token)

    async def release(self) -> None:
        """Free the slot for the next waiter; later calls do nothing."""
        if self._released:
            return
        self._released = True
        if self._called:  # how long a slot is taken per lookup: the flood bound's estimate
            self._pool.observe_latency(time.monotonic() - self._granted)
        await self._slot.release()

    async def __aenter__(self) -> TokenLease:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()

    def __repr__(self) -> str:
        return f"<TokenLease {self.token.fingerprint}>"


class TokenPool:
    """Every configured token, each with its own guard and daily quota."""

    def __init__(
        self,
        tokens: Sequence[Secret],
        store: Store[Any],
        *,
        max_concurrency: int,
        queue_timeout: float,
        lease_seconds: float,
        daily_quota: int | None,
        tz: tzinfo,
        stuck_after: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        # The relief rule: with fewer slots than Wolkvox's ceiling, a token whose calls in flight
        # have all run `stuck_after` seconds lets waiters use the spare slot, one at a time.
        self.relief = (
            Relief(after=stuck_after, limit=MAX_CONCURRENCY_HARD_LIMIT)
            if stuck_after > 0 and max_concurrency < MAX_CONCURRENCY_HARD_LIMIT
            else None
        )
        self.tokens = tuple(tokens)
        self._store = store
        self._limit = max_concurrency
        self._queue_timeout = queue_timeout
        self._lease_seconds = lease_seconds
        self._quota = daily_quota
        self._tz = tz
        self._clock = clock
        self._latency: float | None = None  # recent seconds per upstream call (EWMA)

    # --- how fast the tokens serve ---------------------------------------------------------------

    def observe_latency(self, seconds: float) -> None:
        """A slot was held `seconds` for a call (the call itself, and what its lookup did
        holding the slot): feeds the flood bound's estimate of a wait."""
        seconds = max(0.0, seconds)
        previous = self._latency
        self._latency = (
            seconds if previous is None else previous + LATENCY_WEIGHT * (seconds - previous)
        )

    def expected_wait(self, ahead: int) -> float | None:
        """Seconds until a newcomer behind `ahead` waiters gets a slot: its place in line x the
        recent time a slot is held per call / slots. None before any call was measured."""
        if self._latency is None:
            return None
        return (ahead + 1) * self._latency / self._limit

    # --- the day -------------------------------------------------------------------------------

    def today(self) -> date:
        """The operation's date now: quota counts belong to it."""
        return datetime.fromtimestamp(self._clock(), self._tz).date()

    def next_rollover(self) -> datetime:
        """The coming midnight in the operation's time zone, when spent tokens come back."""
        tomorrow = self.today() + timedelta(days=1)
        return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=self._tz)

    def seconds_to_rollover(self) -> float:
        return max(self.next_rollover().timestamp() - self._clock(), 0.0)

    def _quota_key(self, token: Secret, day: date) -> str:
        return f"quota:{token.fingerprint}:{day.isoformat()}"

    def _spent_key(self, token: Secret, day: date) -> str:
        return f"quota-spent:{token.fingerprint}:{day.isoformat()}"

    @staticmethod
    def _slot_key(token: Secret) -> str:
        return f"slot:{token.fingerprint}"

    @staticmethod
    def _rejected_key(token: Secret) -> str:
        return f"token-rejected:{token.fingerprint}"

    async def _mark_rejected(self, token: Secret) -> None:
        await self._store.value_set(self._rejected_key(token), "1", REJECTED_REST)
        log.error(
            "Wolkvox rejected token %s (revoked or invalid?); the pool's other tokens serve for "
            "the next %.0f s",
            token.fingerprint,
            REJECTED_REST,
        )

    # --- quota ---------------------------------------------------------------------------------

    async def _used_and_spent(self, token: Secret, day: date) -> tuple[int, bool]:
        used = await self._store.counter_get(self._quota_key(token, day))
        if self._quota is not None and used >= self._quota:
            return used, True
        return used, await self._store.value_get(self._spent_key(token, day)) is not None

    async def _spent(self, token: Secret, day: date) -> bool:
        """`_used_and_spent` for the hot path: the count is read only when there is a quota."""
        if self._quota is not None:
            return (await self._used_and_spent(token, day))[1]
        return await self._store.value_get(self._spent_key(token, day)) is not None

    async def _count_call(self, token: Secret) -> int:
        """Count one call on `token` today; the count after it."""
        day = self.today()
        used = await self._store.counter_incr(self._quota_key(token, day), 1, QUOTA_TTL)
        if self._quota is not None and used == self._quota:
            log.warning(
                "token %s reached its daily quota (%d); resting until %s",
                token.fingerprint,
                self._quota,
                self.next_rollover().isoformat(),
            )
        return used

    async def _mark_spent(self, token: Secret) -> None:
        day = self.today()
        await self._store.value_set(self._spent_key(token, day), "1", QUOTA_TTL)
        log.warning(
            "Wolkvox says token %s spent its daily quota; resting until %s",
            token.fingerprint,
            self.next_rollover().isoformat(),
        )

    def _quota_exceeded(self) -> QuotaExceeded:
        when = self.next_rollover()
        return QuotaExceeded(
            f"the daily quota is spent on every token; it renews at "
            f"{when.strftime('%Y-%m-%d %H:%M')} ({when.tzname()})",
            retry_after=self.seconds_to_rollover(),
        )

    # --- the guard -----------------------------------------------------------------------------

    async def _pick(self, *, quota: bool = True) -> Secret | None:
        """The usable token that will serve soonest (least busy for its limit; ties by order).

        None when every token is spent today (`quota` False: a call that does not count, a
        dial, may use a spent token). Tokens Wolkvox recently rejected are used only
        when no other token is left, so a lookup still gets Wolkvox's own answer."""
        day = self.today()
        best: tuple[int, float, int, Secret] | None = None
        for index, token in enumerate(self.tokens):
            if quota and await self._spent(token, day):
                continue
            if len(self.tokens) == 1:
                return token  # nothing to choose between: spare the store two reads per lookup
            resting = await self._store.value_get(self._rejected_key(token)) is not None
            in_flight, waiting = await self._store.slot_usage(self._slot_key(token))
            candidate = (int(resting), (in_flight + waiting) / self._limit, index, token)
            if best is None or candidate[:3] < best[:3]:
                best = candidate
        return None if best is None else best[3]

    async def acquire(
        self, *, on_position: PositionCallback | None = None, dial: bool = False
    ) -> TokenLease:
        """Wait for a slot on the token that will serve soonest.

        Raises `QuotaExceeded` at once when every token is spent today, `Busy` when no slot came
        free within the queue timeout, `TokenMissing` when no token is configured.

        `dial`: an agent's call to a customer (agentbox.php), which Wolkvox does not count
        against the day's quota: it queues ahead of every lookup for the next free slot (never
        a third in flight), takes a spent token too, and claims no quota.
        """
        if not self.tokens:
            raise TokenMissing("no Wolkvox token is configured")
        deadline = time.monotonic() + self._queue_timeout
        while True:
            token = await self._pick(quota=not dial)
            if token is None:
                raise self._quota_exceeded()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Busy(f"no token slot came free within {self._queue_timeout:g} s")
            if not dial:  # a dial goes first: the queue's length is not its wait
                await self._refuse_a_hopeless_wait(token, remaining)
            waited = False

            async def queued(position: int) -> None:
                nonlocal waited
                waited = True
                await notify_position(on_position, position)

            slot = await self._store.acquire_slot(
                self._slot_key(token),
                self._limit,
                timeout=remaining,
                lease=self._lease_seconds,
                on_position=queued,
                relief=self.relief,
                first=dial,
            )
            if dial:
                return TokenLease(self, token, slot, counted=True)  # nothing to count
            try:
                lease = await self._claimed(token, slot, waited=waited)
            except BaseException:
                await slot.release()
                raise
            if lease is not None:
                return lease
            # The quota ran out (or the day's answer said so) meanwhile: try another token.
            await slot.release()

    async def _claimed(self, token: Secret, slot: SlotLease, *, waited: bool) -> TokenLease | None:
        """The lease on a granted slot, or None when the token has no quota left for it. With
        a quota the call's unit is claimed here, atomically in the store: holders of the
        token's other slot, on any instance, read the count at the same moment as this one,
        so a check alone would let them all through at the last unit."""
        if self._quota is not None:
            if await self._count_call(token) > self._quota:
                return None
            if waited and await self._store.value_get(self._spent_key(token, self.today())):
                return None  # Wolkvox said the day is spent while we waited
            return TokenLease(self, token, slot, counted=True)
        if waited and await self._spent(token, self.today()):
            return None
        return TokenLease(self, token, slot)

    async def _refuse_a_hopeless_wait(self, token: Secret, remaining: float) -> None:
        """The flood bound: when this lookup's expected wait cannot fit in the time it may wait,
        say "busy, try again in N min" now, not after the whole queue timeout; so the line never
        grows past what the tokens can serve."""
        if self._latency is None:
            return
        in_flight, waiting = await self._store.slot_usage(self._slot_key(token))
        if in_flight < self._limit:
            return  # a slot is free (or about to be): no wait to speak of
        expected = self.expected_wait(waiting)
        # With a margin: the average is an estimate, and one told "busy" late waited for nothing.
        if expected is not None and expected * FLOOD_MARGIN > remaining:
            raise Busy(
                f"{waiting} lookups ahead at ~{self._latency:.1f} s each: about {expected:.0f} s"
                f" of wait, more than the {remaining:.0f} s left",
                retry_after=expected,
            )

    # --- status --------------------------------------------------------------------------------

    async def status(self) -> list[TokenStatus]:
        day = self.today()
        out: list[TokenStatus] = []
        for token in self.tokens:
            in_flight, waiting = await self._store.slot_usage(self._slot_key(token))
            used, spent = await self._used_and_spent(token, day)
            out.append(
                TokenStatus(
                    masked=token.masked(),
                    fingerprint=token.fingerprint,
                    in_flight=in_flight,
                    waiting=waiting,
                    used_today=used,
                    quota=self._quota,
                    spent=spent,
                )
            )
        return out

    async def queue_depth(self) -> int:
        """Callers waiting for a slot over every token (the Slack side shows it)."""
        total = 0
        for token in self.tokens:
            _, waiting = await self._store.slot_usage(self._slot_key(token))
            total += waiting
        return total

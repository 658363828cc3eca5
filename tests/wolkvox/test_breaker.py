"""CircuitBreaker on a MemoryStore with an injected clock: opening, failing fast, the single
half-open probe, closing, reopening, the failure window, and which errors count."""

from __future__ import annotations

import pytest

from bot.errors import Busy, LookupFailure, QueryError
from bot.store.memory import MemoryStore
from bot.wolkvox.breaker import CircuitBreaker
from bot.wolkvox.errors import (
    BrokenAnswer,
    CircuitOpen,
    QuotaExceeded,
    SimultaneousLimit,
    TokenRejected,
    Unavailable,
    UpstreamError,
    UpstreamTimeout,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    # The store shares the clock so that its TTLs (failure window, probe) move with it.
    return CircuitBreaker(
        MemoryStore(clock=clock), threshold=3, window=60, cooldown=30, clock=clock
    )


async def fail(breaker: CircuitBreaker, times: int, error: LookupFailure | None = None) -> None:
    for _ in range(times):
        await breaker.record_failure(error or Unavailable("down"))


async def test_closed_lets_everyone_through(breaker: CircuitBreaker) -> None:
    assert await breaker.state() == "closed"
    for _ in range(5):
        await breaker.check()


async def test_opens_at_the_threshold_and_fails_fast(breaker: CircuitBreaker, clock: Clock) -> None:
    await fail(breaker, 2)
    assert await breaker.state() == "closed"
    await breaker.check()
    await fail(breaker, 1)
    assert await breaker.state() == "open"
    with pytest.raises(CircuitOpen) as info:
        await breaker.check()
    assert info.value.retry_after == pytest.approx(30)
    assert not info.value.retryable
    assert isinstance(info.value, Unavailable)  # explained like Wolkvox being unavailable
    clock.advance(20)
    with pytest.raises(CircuitOpen) as info:
        await breaker.check()
    assert info.value.retry_after == pytest.approx(10)
    clock.advance(9.5)
    with pytest.raises(CircuitOpen) as info:
        await breaker.check()
    assert info.value.retry_after == 1.0  # never "retrying in 0 s"


@pytest.mark.parametrize("error", [Unavailable("x"), UpstreamTimeout("x")], ids=lambda e: e.kind)
async def test_upstream_down_errors_trip_it(breaker: CircuitBreaker, error: LookupFailure) -> None:
    await fail(breaker, 3, error)
    assert await breaker.state() == "open"


@pytest.mark.parametrize(
    "error",
    [
        TokenRejected("x"),
        QuotaExceeded("x"),
        SimultaneousLimit("x"),
        UpstreamError("x"),
        BrokenAnswer("x"),  # about one answer (truncated, oversized), not Wolkvox being down
        QueryError("x"),
        Busy("x"),
        CircuitOpen("x"),
    ],
    ids=lambda e: e.kind,
)
async def test_other_errors_do_not_count(breaker: CircuitBreaker, error: LookupFailure) -> None:
    await fail(breaker, 10, error)
    assert await breaker.state() == "closed"
    await breaker.check()


async def test_failures_outside_the_window_are_forgotten(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    await fail(breaker, 2)
    clock.advance(61)
    await fail(breaker, 2)
    assert await breaker.state() == "closed"


async def test_a_success_resets_the_count(breaker: CircuitBreaker) -> None:
    await fail(breaker, 2)
    await breaker.record_success()
    await fail(breaker, 2)
    assert await breaker.state() == "closed"
    await fail(breaker, 1)
    assert await breaker.state() == "open"


async def test_half_open_lets_one_probe_through(breaker: CircuitBreaker, clock: Clock) -> None:
    await fail(breaker, 3)
    clock.advance(30)
    assert await breaker.state() == "half-open"
    await breaker.check()  # the probe
    for _ in range(3):
        with pytest.raises(CircuitOpen):
            await breaker.check()  # everyone else keeps failing fast meanwhile


async def test_a_successful_probe_closes_it(breaker: CircuitBreaker, clock: Clock) -> None:
    await fail(breaker, 3)
    clock.advance(31)
    await breaker.check()
    await breaker.record_success()
    assert await breaker.state() == "closed"
    for _ in range(3):
        await breaker.check()
    await fail(breaker, 2)  # the count started again from zero
    assert await breaker.state() == "closed"


async def test_a_failed_probe_reopens_at_once(breaker: CircuitBreaker, clock: Clock) -> None:
    await fail(breaker, 3)
    clock.advance(31)
    await breaker.check()
    await fail(breaker, 1)  # one failure is enough while half-open
    assert await breaker.state() == "open"
    with pytest.raises(CircuitOpen) as info:
        await breaker.check()
    assert info.value.retry_after == pytest.approx(30)
    clock.advance(31)
    await breaker.check()  # a new probe after the new cool-down
    await breaker.record_success()
    assert await breaker.state() == "closed"


async def test_a_lost_probe_is_replaced_after_a_cooldown(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    """A probe that never reports (its caller was cancelled) must not wedge the breaker."""
    await fail(breaker, 3)
    clock.advance(31)
    await breaker.check()
    with pytest.raises(CircuitOpen):
        await breaker.check()
    clock.advance(31)
    await breaker.check()


async def test_state_is_shared_through_the_store(clock: Clock) -> None:
    """Two instances (two processes with Redis) see the same breaker."""
    store = MemoryStore(clock=clock)
    one = CircuitBreaker(store, threshold=2, cooldown=30, clock=clock)
    two = CircuitBreaker(store, threshold=2, cooldown=30, clock=clock)
    await one.record_failure(Unavailable("x"))
    await two.record_failure(Unavailable("x"))
    with pytest.raises(CircuitOpen):
        await one.check()
    clock.advance(31)
    await two.check()  # the probe
    with pytest.raises(CircuitOpen):
        await one.check()  # only one probe between them


async def test_garbage_in_the_store_reads_as_closed(clock: Clock) -> None:
    store = MemoryStore(clock=clock)
    await store.value_set("breaker:open_until", "not-a-number", ttl=None)
    breaker = CircuitBreaker(store, clock=clock)
    assert await breaker.state() == "closed"
    await breaker.check()


async def test_the_same_query_failing_counts_once_until_a_success(
    breaker: CircuitBreaker,
) -> None:
    for _ in range(10):
        await breaker.record_failure(Unavailable("502"), "digest-of-one-query")
    assert await breaker.state() == "closed"
    await breaker.record_failure(Unavailable("502"), "digest-two")
    assert await breaker.state() == "closed"
    await breaker.record_success()  # someone was answered: a new count begins
    await breaker.record_failure(Unavailable("502"), "digest-three")
    await breaker.record_failure(Unavailable("502"), "digest-of-one-query")  # counts again now
    assert await breaker.state() == "closed"
    await breaker.record_failure(Unavailable("502"), "digest-four")
    assert await breaker.state() == "open"  # three distinct queries since the last success

"""Wolkvox faults, end to end: a signed `/wolkvox` request in, the card the agent gets out.

Every fault of issue 4 is injected at a misbehaving loopback Wolkvox (tests/faulty_upstream.py):
refused and reset connections, an unresolvable host, slow answers up to and past
WOLKVOX_TIMEOUT, HTML error pages, truncated and huge bodies, the four 403s. Each test checks
what the agent reads (the right trouble in plain words, no traceback, no token) and that the
next lookup still gets its card. Then the circuit breaker: fail fast while open, close on a probe.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.devtools.stack import AGENT, Stack, local_stack
from bot.wolkvox import lookup
from bot.wolkvox.breaker import CircuitBreaker
from bot.wolkvox.client import WolkvoxClient
from tests.faulty_upstream import (
    Fault,
    FaultKind,
    FaultyWolkvox,
    card_text,
    closed_port,
    customer_name,
    is_searching,
    leaks,
)

TOKEN = "demo-token-1"
ENV = {
    "WOLKVOX_TOKEN": TOKEN,
    "WOLKVOX_TIMEOUT": "1.5",
    "WOLKVOX_MAX_RESPONSE_MB": "1",
    "WOLKVOX_LANG": "en",
}
BAD = "3001110001"  # the number each test makes Wolkvox fail on
GOOD = "3002220002"  # the next lookup, which must still work
OTHER = "3003330003"

UNAVAILABLE = "Wolkvox is unavailable"
BROKEN = "Wolkvox gave a broken answer"
TIMEOUT = "Wolkvox did not answer in time"
SIMULTANEOUS = "Wolkvox is handling another search"
REJECTED = "Wolkvox rejected the bot's token"
QUOTA = "Today's Wolkvox quota is spent"


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff short enough that every retry fits the 1.5 s budget: attempt counts are exact."""
    monkeypatch.setattr(lookup, "BACKOFF_BASE", 0.05)


@pytest.fixture
async def up() -> AsyncIterator[FaultyWolkvox]:
    async with FaultyWolkvox() as server:
        yield server


@pytest.fixture
async def s(up: FaultyWolkvox) -> AsyncIterator[Stack]:
    async with stack_for(up.url) as st:
        yield st


def stack_for(url: str, **env: str) -> Any:
    return local_stack({**ENV, **env}, simulator_url=url)


def english(st: Stack) -> None:
    st.slack.add_user(AGENT, name="ana.agente", locale="en-US")


async def ask(st: Stack, text: str, timeout: float = 10.0) -> dict[str, Any]:
    """`/wolkvox <text>` and the answer the agent ends up with (the ack, when it was the card)."""
    english(st)
    status, ack, _, url = await st.command(text)
    assert status == 200, ack
    first = json.loads(ack) if ack else {}
    if first and not is_searching(first):
        return dict(first)
    [post] = await st.slack.wait_for_response(url, timeout=timeout)
    assert post.body.get("response_type") == "ephemeral"
    return dict(post.body)


def assert_clear(card: dict[str, Any], title: str, st: Stack) -> None:
    text = card_text(card)
    assert title in text, text
    assert customer_name(BAD) not in text
    assert leaks(text, [*st.settings.secrets(), TOKEN]) == []


async def assert_next_lookup_works(st: Stack, phone: str = GOOD) -> None:
    card = await ask(st, phone)
    assert customer_name(phone) in card_text(card)


# --------------------------------------------------------------------------- persistent faults

PERSISTENT: list[tuple[FaultKind | Fault, str, int]] = [
    # fault, what the agent reads, requests Wolkvox sees (retryable: lookup.MAX_ATTEMPTS)
    ("reset", UNAVAILABLE, 6),  # aiohttp itself resends an idempotent GET once after a reset
    ("reset_mid_body", BROKEN, 3),
    ("truncated", BROKEN, 3),
    ("truncated_json", BROKEN, 3),
    ("html_200", BROKEN, 3),
    ("html_502", UNAVAILABLE, 3),
    ("html_403", UNAVAILABLE, 3),
    ("huge", BROKEN, 3),
    ("huge_chunked", BROKEN, 3),
    ("simultaneous", SIMULTANEOUS, 3),
    ("maintenance", UNAVAILABLE, 3),
    ("token_rejected", REJECTED, 1),  # retrying a rejected token cannot help
    (Fault("slow", seconds=4.0), TIMEOUT, 1),  # past WOLKVOX_TIMEOUT: the budget is spent
]


@pytest.mark.parametrize(
    ("fault", "title", "attempts"),
    PERSISTENT,
    ids=[f if isinstance(f, str) else f.kind for f, _, _ in PERSISTENT],
)
async def test_persistent_fault_gives_a_clear_card_and_the_next_lookup_works(
    s: Stack, up: FaultyWolkvox, fault: FaultKind | Fault, title: str, attempts: int
) -> None:
    up.plan(BAD, then=fault)
    card = await ask(s, BAD)
    assert_clear(card, title, s)
    assert len(up.calls(BAD)) == attempts
    await assert_next_lookup_works(s)


@pytest.mark.parametrize(
    "fault", ["reset", "reset_mid_body", "truncated", "html_502", "simultaneous", "maintenance"]
)
async def test_one_off_transient_fault_is_retried_and_the_agent_gets_the_record(
    s: Stack, up: FaultyWolkvox, fault: FaultKind
) -> None:
    up.plan(BAD, fault)
    card = await ask(s, BAD)
    assert customer_name(BAD) in card_text(card)
    assert len(up.calls(BAD)) == 2  # for "reset", aiohttp's own resend; else the bot's retry


async def test_slow_answer_within_the_timeout_is_waited_for(s: Stack, up: FaultyWolkvox) -> None:
    up.plan(GOOD, Fault("slow", seconds=0.6))  # WOLKVOX_TIMEOUT is 1.5 s
    await assert_next_lookup_works(s)
    assert len(up.calls(GOOD)) == 1


async def test_slow_answers_past_the_timeout_do_not_hold_up_others(
    s: Stack, up: FaultyWolkvox
) -> None:
    """The slow call holds the token's only slot until the timeout; the next gets its card."""
    up.plan(BAD, then=Fault("slow", seconds=30.0))
    started = time.monotonic()
    card = await ask(s, BAD)
    assert_clear(card, TIMEOUT, s)
    assert time.monotonic() - started < 15  # the 30 s answer was not waited for
    await assert_next_lookup_works(s)


# --------------------------------------------------------------------------- connection level


async def test_connection_refused_then_wolkvox_comes_back() -> None:
    port = closed_port()
    async with stack_for(f"http://127.0.0.1:{port}") as st:
        card = await ask(st, BAD)
        assert_clear(card, UNAVAILABLE, st)
        async with FaultyWolkvox(port=port):
            await assert_next_lookup_works(st)


async def test_unresolvable_host_answers_unavailable_quickly_and_keeps_serving() -> None:
    async with stack_for("https://wv-nonexistent.invalid") as st:
        started = time.monotonic()
        card = await ask(st, BAD)
        assert_clear(card, UNAVAILABLE, st)
        assert time.monotonic() - started < 10  # generous: it must not hang on DNS
        status = card_text(await ask(st, "status"))  # still serving, and says what went wrong
        assert "unavailable" in status, status


class FlakyResolver(AbstractResolver):
    """DNS that fails (like a resolver outage) until `healthy`, then answers loopback."""

    def __init__(self) -> None:
        self.healthy = False
        self.asked = 0

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[ResolveResult]:
        self.asked += 1
        if not self.healthy:
            raise OSError(socket.EAI_NONAME, f"Name or service not known: {host}")
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        return None


async def test_dns_failure_then_the_name_resolves_again(s: Stack, up: FaultyWolkvox) -> None:
    resolver = FlakyResolver()
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver))
    try:
        s.bot.service.client = WolkvoxClient(
            f"http://wv-flaky.invalid:{up.port}", timeout=1.5, session=session
        )
        card = await ask(s, BAD)
        assert_clear(card, UNAVAILABLE, s)
        assert resolver.asked >= 1 and up.seen == []
        resolver.healthy = True
        await assert_next_lookup_works(s)
    finally:
        await session.close()


# --------------------------------------------------------------------------- tokens


async def test_revoked_token_then_restored(s: Stack, up: FaultyWolkvox) -> None:
    up.revoked.add(TOKEN)
    card = await ask(s, BAD)
    assert_clear(card, REJECTED, s)
    assert len(up.calls(BAD)) == 1
    up.revoked.clear()  # the admin re-enabled it in Wolkvox
    await assert_next_lookup_works(s)


async def test_spent_quota_on_one_token_fails_over_to_the_next(up: FaultyWolkvox) -> None:
    up.spent.add("demo-token-1")
    async with stack_for(
        up.url, WOLKVOX_TOKENS="demo-token-1,demo-token-2", WOLKVOX_TOKEN=""
    ) as st:
        await assert_next_lookup_works(st)
        assert [c.token for c in up.calls(GOOD)] == ["demo-token-1", "demo-token-2"]
        await assert_next_lookup_works(st, OTHER)  # the spent token rests: no second 403
        assert [c.token for c in up.calls(OTHER)] == ["demo-token-2"]


async def test_spent_quota_on_every_token_answers_at_once_until_midnight(
    s: Stack, up: FaultyWolkvox
) -> None:
    up.spent.add(TOKEN)
    card = await ask(s, BAD)
    assert_clear(card, QUOTA, s)
    assert "after midnight" in card_text(card)
    calls = len(up.seen)
    again = await ask(s, GOOD)  # the bot knows the token is spent: no call to Wolkvox
    assert QUOTA in card_text(again)
    assert len(up.seen) == calls
    assert "Wolkvox" in card_text(await ask(s, "help"))  # still serving


# --------------------------------------------------------------------------- circuit breaker


class Clock:
    """The breaker's clock, moved by hand: the cool-down passes without sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def test_breaker_fails_fast_while_open_and_a_probe_closes_it(
    s: Stack, up: FaultyWolkvox
) -> None:
    service = s.bot.service
    clock = Clock()
    service.breaker = CircuitBreaker(s.bot.store, threshold=2, cooldown=30, clock=clock)
    up.down = Fault("html_502")  # Wolkvox down: every query fails
    assert_clear(await ask(s, BAD), UNAVAILABLE, s)
    assert await service.breaker.state() == "closed"  # one failed lookup is no outage
    assert_clear(await ask(s, GOOD), UNAVAILABLE, s)  # a second, distinct query: an outage
    assert await service.breaker.state() == "open"

    calls = len(up.seen)
    card = await ask(s, OTHER)
    text = card_text(card)
    assert UNAVAILABLE in text and re.search(r"Retrying in \d+ s", text), text
    assert len(up.seen) == calls  # answered without queueing behind the dead upstream

    up.down = None  # Wolkvox is back: after the cool-down one probe goes through
    clock.now += 31  # the cool-down is over
    assert await service.breaker.state() == "half-open"
    await assert_next_lookup_works(s)
    assert await service.breaker.state() == "closed"
    await assert_next_lookup_works(s, OTHER)


async def test_breaker_probe_that_fails_reopens(s: Stack, up: FaultyWolkvox) -> None:
    service = s.bot.service
    clock = Clock()
    service.breaker = CircuitBreaker(s.bot.store, threshold=2, cooldown=30, clock=clock)
    up.down = Fault("html_502")
    await ask(s, BAD)
    await ask(s, GOOD)
    assert await service.breaker.state() == "open"  # two distinct queries failed
    clock.now += 31  # the cool-down is over
    assert await service.breaker.state() == "half-open"
    calls = len(up.seen)
    assert_clear(await ask(s, OTHER), UNAVAILABLE, s)  # the probe: one call, failed
    assert len(up.seen) == calls + 1  # and not retried against a dead upstream
    assert await service.breaker.state() == "open"


async def test_one_customers_broken_answers_never_open_the_breaker(
    s: Stack, up: FaultyWolkvox
) -> None:
    """A 502 page and a timeout for one customer, again and again: their own lookups fail,
    the breaker stays closed, and the next agent is served (today's bug: two bad lookups were
    six attempts, over the threshold, and locked everyone out for 30 s)."""
    service = s.bot.service
    service.breaker = CircuitBreaker(s.bot.store, threshold=3, cooldown=30)
    up.plan(BAD, then="html_502")
    for _ in range(3):
        assert_clear(await ask(s, BAD), UNAVAILABLE, s)
    assert await service.breaker.state() == "closed"
    await assert_next_lookup_works(s)


async def test_an_upstream_text_that_echoes_the_token_is_never_shown(
    s: Stack, up: FaultyWolkvox
) -> None:
    """A proxy repeats the token (and markup, and the phone) in its error text: /healthz, the
    status card and the agent's card show only the error's kind."""
    up.plan(BAD, then="echo_token")
    card = await ask(s, BAD)
    assert leaks(card_text(card), [TOKEN]) == []
    async with s.session.get(s.health_url) as response:
        health = await response.text()
    assert leaks(health, [TOKEN]) == [] and BAD not in health and "<b>" not in health
    assert json.loads(health)["wolkvox"]["last_error"] == "unavailable"
    assert json.loads(health)["wolkvox"]["last_error_at"]
    status = await ask(s, "status")
    assert leaks(card_text(status), [TOKEN]) == [] and BAD not in card_text(status)

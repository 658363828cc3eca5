"""One stuck Wolkvox call must not freeze the team (WOLKVOX_STUCK_AFTER): the agent whose query
hangs is told Wolkvox is slow for it, everyone else is answered through the token's second
slot, and Wolkvox never sees more than its 2 simultaneous requests per token."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from bot.devtools.stack import Stack
from bot.devtools.wolkvox_sim.server import SLOW_PHONE, Refusal
from tests.e2e.conftest import SHOWCASE_PHONE, ack_json, command_answer, is_searching, text_of

SLOW_NOTE = "Wolkvox está tardando en responder esta búsqueda"


@pytest.mark.simulator(latency=0.05, slow_seconds=8)
@pytest.mark.stack_env(
    WOLKVOX_STUCK_AFTER="1", WOLKVOX_TIMEOUT="9", WOLKVOX_CACHE_TTL="0", WOLKVOX_USER_RATE="100"
)
async def test_the_team_is_answered_behind_a_stuck_call(stack: Stack) -> None:
    await command_answer(stack, f"find {SHOWCASE_PHONE}", timeout=10)  # campaign names fetched
    stack.slack.add_user("U0STUCK", name="stuck", locale="es-LA")
    status, body, _, stuck_url = await stack.command(f"find {SLOW_PHONE}", user="U0STUCK")
    assert status == 200 and is_searching(ack_json(body))
    await asyncio.sleep(0.2)  # the stuck call holds the token's only regular slot now

    started = time.monotonic()
    users = [f"U0TEAM{n:02d}" for n in range(6)]
    for user in users:
        stack.slack.add_user(user, name=user.lower(), locale="es-LA")
    sent = await asyncio.gather(
        *(stack.command(f"find 30055501{n:02d}", user=u) for n, u in enumerate(users))
    )
    for status, body, _, url in sent:
        assert status == 200
        if is_searching(ack_json(body)):
            [post] = await stack.slack.wait_for_response(url, timeout=6)
            assert isinstance(post.body, dict) and not is_searching(post.body)
    took = time.monotonic() - started
    assert took < 5, f"the team waited {took:.1f} s behind the stuck call"

    # The stuck agent was told, privately, that Wolkvox is slow for their query...
    notes = await stack.slack.wait_for_response(stuck_url, timeout=5)
    assert SLOW_NOTE in text_of(notes[0].body)
    # ...and in time gets its answer (here: Wolkvox gave up with a 504).
    posts = await stack.slack.wait_for_response(stuck_url, count=2, timeout=20)
    assert SLOW_NOTE not in text_of(posts[-1].body)

    stats = stack.simulator_stats
    assert stats is not None
    assert stats.max_concurrent_overall <= 2
    assert stats.refusals[Refusal.SIMULTANEOUS] == 0
    url = stack.events_url.rsplit("/slack/events", 1)[0] + "/metrics"
    async with stack.session.get(url) as resp:
        page = await resp.text()
    assert re.search(
        r"^wolkvox_slow_calls_total\{[^}]*\} [1-9]", page, re.M
    )  # the operator sees it too


@pytest.mark.simulator(latency=0.05, slow_seconds=8)
@pytest.mark.stack_env(
    WOLKVOX_STUCK_AFTER="0", WOLKVOX_TIMEOUT="9", WOLKVOX_QUEUE_TIMEOUT="2", WOLKVOX_CACHE_TTL="0"
)
async def test_without_relief_the_line_waits_for_the_stuck_call(stack: Stack) -> None:
    """The control: WOLKVOX_STUCK_AFTER=0 turns relief off, and the one slot stays taken."""
    await command_answer(stack, f"find {SHOWCASE_PHONE}", timeout=10)
    stack.slack.add_user("U0STUCK", name="stuck", locale="es-LA")
    await stack.command(f"find {SLOW_PHONE}", user="U0STUCK")
    await asyncio.sleep(0.2)
    stack.slack.add_user("U0LATE", name="late", locale="es-LA")
    status, body, _, url = await stack.command("find 3005550200", user="U0LATE")
    assert status == 200 and is_searching(ack_json(body))
    [post] = await stack.slack.wait_for_response(url, timeout=6)
    assert "ocupado" in text_of(post.body)  # busy after the 2 s queue timeout
    stats = stack.simulator_stats
    assert stats is not None and stats.max_concurrent_overall == 1

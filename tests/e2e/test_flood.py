"""The flood bound end to end: when a lookup's expected wait (place in line x recent upstream
latency / slots) cannot fit WOLKVOX_QUEUE_TIMEOUT, the agent is told "busy, try again in …" in
the ack itself, not after the whole timeout; everyone else is answered."""

from __future__ import annotations

import asyncio

import pytest

from bot.devtools.stack import Stack
from tests.e2e.conftest import SHOWCASE_PHONE, ack_json, command_answer, is_searching, text_of


@pytest.mark.simulator(latency=0.6)
@pytest.mark.stack_env(WOLKVOX_QUEUE_TIMEOUT="2", WOLKVOX_USER_RATE="100", WOLKVOX_CACHE_TTL="0")
async def test_a_flood_is_told_busy_at_once_and_the_rest_answered(stack: Stack) -> None:
    await command_answer(stack, f"find {SHOWCASE_PHONE}", timeout=10)  # measures the latency
    phones = [f"30055500{n:02d}" for n in range(8)]
    users = [f"U0FLOOD{n:02d}" for n in range(8)]
    for user in users:
        stack.slack.add_user(user, name=user.lower(), locale="es-LA")
    results = []
    for phone, user in zip(phones, users, strict=True):
        results.append(asyncio.create_task(stack.command(f"find {phone}", user=user)))
        await asyncio.sleep(0.02)  # in order: each sees the line the earlier ones formed
    acks = await asyncio.gather(*results)
    told_busy = []
    waiting_urls = []
    for status, body, elapsed, url in acks:
        assert status == 200 and elapsed < 3
        card = ack_json(body)
        if is_searching(card):
            waiting_urls.append(url)
        else:
            told_busy.append(text_of(card["blocks"]))
    assert told_busy, "nobody was told busy at once"
    assert all("Inténtalo de nuevo en" in text for text in told_busy)
    for url in waiting_urls:  # everyone who was let in line is answered
        [post] = await stack.slack.wait_for_response(url, timeout=15)
        assert isinstance(post.body, dict)

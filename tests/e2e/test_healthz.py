"""GET /healthz end to end: what a load balancer or an admin sees."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot import __version__
from bot.devtools.stack import Stack, local_stack
from tests.e2e.conftest import (
    SHOWCASE_PHONE,
    TOKEN,
    ack_json,
    assert_acked,
    command_answer,
    is_searching,
    text_of,
)


async def healthz(stack: Stack) -> tuple[int, dict[str, Any], str]:
    async with stack.session.get(stack.health_url) as response:
        text = await response.text()
        body: dict[str, Any] = await response.json()
        return response.status, body, text


async def test_healthz_reports_status_version_wolkvox_queue_and_store(stack: Stack) -> None:
    status, body, text = await healthz(stack)
    assert status == 200
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["wolkvox"]["last_ok_at"] is None  # not asked yet
    assert body["queue_depth"] == 0
    assert body["store"]["backend"] == "memory" and body["store"]["ok"] is True

    before = time.time()
    await command_answer(stack, f"find {SHOWCASE_PHONE}")
    status, body, text = await healthz(stack)
    assert status == 200
    assert before - 1 <= body["wolkvox"]["last_ok_at"] <= time.time() + 1
    assert body["wolkvox"]["last_error"] is None
    assert TOKEN not in text and TOKEN[-8:] not in text


async def test_healthz_tells_the_last_upstream_error_without_secrets(stack: Stack) -> None:
    await command_answer(stack, "find 3000000403")
    status, body, text = await healthz(stack)
    assert status == 200
    assert body["wolkvox"]["last_error"]
    assert TOKEN not in text and TOKEN[-8:] not in text
    assert "3000000403" not in text  # no customer data in a health check either


@pytest.mark.simulator(latency=0.3)
async def test_lookups_queue_behind_the_token_and_healthz_shows_it(stack: Stack) -> None:
    # One request at a time per token (WOLKVOX_MAX_CONCURRENCY=1): the others wait in line.
    phones = ["3001234567", "3104567890", "3009999999", "3000000200"]
    acks = await asyncio.gather(*(stack.command(f"find {p}") for p in phones))
    depths = []
    for _ in range(20):
        _, body, _ = await healthz(stack)
        depths.append(body["queue_depth"])
        if body["queue_depth"] >= 2:
            break
        await asyncio.sleep(0.05)
    assert max(depths) >= 2, depths

    for status, _ack, elapsed, _ in acks:
        assert_acked(status, elapsed)  # waiting in line never delays the ack
    # Those that had to wait were told their place in line in the ack.
    assert any("en la fila" in text_of(ack_json(ack)) for _, ack, _, _ in acks)
    for _, _, _, url in acks:
        [post] = await stack.slack.wait_for_response(url, timeout=10)
        assert isinstance(post.body, dict) and not is_searching(post.body)
    assert stack.simulator_stats is not None
    assert stack.simulator_stats.max_concurrent_overall == 1


async def test_healthz_says_draining_with_503(stack: Stack) -> None:
    stack.bot.draining = True
    status, body, _ = await healthz(stack)
    assert status == 503 and body["status"] == "draining"
    stack.bot.draining = False


async def test_healthz_with_the_redis_store(redis_url: str) -> None:
    async with local_stack(env={"WOLKVOX_TOKEN": TOKEN, "REDIS_URL": redis_url}) as stack:
        await command_answer(stack, f"find {SHOWCASE_PHONE}")
        status, body, _ = await healthz(stack)
        assert status == 200 and body["status"] == "ok"
        assert body["store"]["backend"] == "redis" and body["store"]["ok"] is True
        assert body["wolkvox"]["last_ok_at"] is not None

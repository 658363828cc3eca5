"""GET /healthz end to end: what a load balancer or an admin sees."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot import __version__
from bot.devtools.stack import Stack, local_stack
from bot.slack.server import PROBE_TTL
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
    await asyncio.sleep(PROBE_TTL)  # probes share one reading of the state a second
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


async def test_healthz_names_no_address_and_a_probe_burst_leaves_lookups_their_redis(
    redis_url: str,
) -> None:
    """~80 unauthenticated GETs once took every Redis connection: probes read the state once a
    second, on a pool of their own, and /healthz never says where Redis lives."""
    import redis.asyncio as aioredis

    raw = aioredis.Redis.from_url(redis_url)
    try:
        async with local_stack(env={"WOLKVOX_TOKEN": TOKEN, "REDIS_URL": redis_url}) as stack:
            status, _, text = await healthz(stack)
            assert status == 200
            port = redis_url.rsplit(":", 1)[1].split("/")[0]
            assert "redis://" not in text and "127.0.0.1" not in text and port not in text
            before = len(await raw.client_list())
            metrics_url = stack.events_url.rsplit("/slack/events", 1)[0] + "/metrics"

            async def probe(i: int) -> int:
                url = stack.health_url if i % 2 else metrics_url
                async with stack.session.get(url) as resp:
                    await resp.read()
                    return resp.status

            burst = asyncio.gather(*(probe(i) for i in range(80)))
            _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
            statuses = await burst
            assert set(statuses) == {200}
            assert "María" in text_of(card.get("blocks", []))
            # The probes added at most their own small pool's connections.
            assert len(await raw.client_list()) - before <= 2
    finally:
        await raw.aclose()

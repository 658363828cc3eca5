"""The composition root: each command's pieces come from settings, and only from there."""

from __future__ import annotations

import logging

import pytest

from bot.config import ConfigError, load_settings
from bot.devtools.wolkvox_sim.server import SHOWCASE_PHONE, SimulatorConfig, serve_simulator
from bot.query import Query
from bot.store.memory import MemoryStore
from bot.wiring import build_service, create_bot, lookup_service, make_store


def test_build_service_needs_a_token() -> None:
    settings = load_settings({"WOLKVOX_SERVER": "0042"}, dotenv=False)
    with pytest.raises(ConfigError):
        build_service(settings, MemoryStore())


def test_make_store_picks_redis_when_configured() -> None:
    assert make_store(load_settings({}, dotenv=False)).backend == "memory"
    settings = load_settings({"REDIS_URL": "redis://127.0.0.1:1/0"}, dotenv=False)
    assert make_store(settings).backend == "redis"


async def test_lookup_service_answers_and_closes_its_store() -> None:
    async with serve_simulator(SimulatorConfig(latency=0)) as (url, _):
        settings = load_settings(
            {"WOLKVOX_TOKEN": "demo-token-1", "WOLKVOX_BASE_URL": url}, dotenv=False
        )
        async with lookup_service(settings) as service:
            result = await service.lookup(Query(phone=SHOWCASE_PHONE))
            assert result.answer.total_records == 6
        assert service.client._closed


async def test_create_bot_logs_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    """bolt warns "token will be unused" when SLACK_BOT_TOKEN is in the environment and a
    client is given: the start-up log must stay clean all the same."""
    settings = load_settings(
        {
            "WOLKVOX_TOKEN": "demo-token-1",
            "WOLKVOX_SERVER": "0042",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "s" * 32,
        },
        dotenv=False,
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        with caplog.at_level(logging.DEBUG):
            bot = await create_bot(settings)
        await bot.close()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []

"""How the bot wires Redis in: which store `make_store` builds, how long shared answers live, and
that the Slack side's own store calls (rate limit) turn a lost Redis into the lookup's clear
failure rather than a bug. The end-to-end side is tests/e2e/test_redis_scaleout.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings, load_settings
from bot.devtools.process import free_port
from bot.devtools.stack import local_stack
from bot.devtools.wolkvox_sim.server import SHOWCASE_PHONE, SimulatorConfig
from bot.errors import StoreUnavailable
from bot.query import Query
from bot.slack.access import AccessControl
from bot.store.memory import MemoryStore
from bot.store.redis import RedisStore
from bot.wiring import build_service, make_store
from bot.wolkvox.lookup import FETCHED_CODEC
from tests.redis_server import RedisServer

BASE = {
    "WOLKVOX_BASE_URL": "http://127.0.0.1:9",
    "WOLKVOX_TOKEN": "WVTOKEN-wiring-2Hq8Zp4",
    "SLACK_BOT_TOKEN": "xoxb-wiring",
    "SLACK_SIGNING_SECRET": "wiring-secret",
}


def settings(**env: str) -> Settings:
    return load_settings({**BASE, **env}, dotenv=False)


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisStore]:
    store = make_store(settings(REDIS_URL=redis_url))
    assert isinstance(store, RedisStore)
    await store.start()
    yield store
    await store.close()


def test_make_store_picks_the_backend_from_redis_url() -> None:
    assert isinstance(make_store(settings()), MemoryStore)
    store = make_store(settings(REDIS_URL="redis://127.0.0.1:1/0"))
    assert isinstance(store, RedisStore) and store.backend == "redis"


@pytest.mark.parametrize(
    ("cache_ttl", "result_ttl"),
    [("300", 10.0), ("10", 10.0), ("4", 4.0), ("1", 1.0), ("0.5", 1.0), ("0", 2.0)],
)
def test_shared_answers_live_no_longer_than_the_cache(cache_ttl: str, result_ttl: float) -> None:
    """min(10 s, WOLKVOX_CACHE_TTL), floored at 1 s; 2 s when the cache is off."""
    store = make_store(settings(REDIS_URL="redis://127.0.0.1:1/0", WOLKVOX_CACHE_TTL=cache_ttl))
    assert isinstance(store, RedisStore)
    assert store._result_ttl == result_ttl


async def test_unreachable_redis_stops_create_bot_without_the_password() -> None:
    from bot.wiring import create_bot

    url = f"redis://:pw-Zk29xQ@127.0.0.1:{free_port()}/0"
    with pytest.raises(StoreUnavailable) as caught:
        await create_bot(settings(REDIS_URL=url))
    assert "pw-Zk29xQ" not in str(caught.value)
    assert "127.0.0.1" in caught.value.detail


HOME = ("T0WOLKVOX",)  # the user's organisation, as a payload would name it


async def test_rate_check_with_redis_lost_lets_the_lookup_say_so(
    redis_store: RedisStore, redis_server: RedisServer
) -> None:
    """The rate check must not raise (a bug card); the lookup then fails with StoreUnavailable
    before any upstream call, which the card explains."""
    cfg = settings(REDIS_URL=redis_server.url, WOLKVOX_ALLOWED_TEAMS=HOME[0])
    access = AccessControl(cfg, None, redis_store)  # no Slack here: the team is listed
    assert await access.check("U1", "C1", visible=False, orgs=HOME) is None  # Redis up: counted
    redis_server.stop()
    assert (
        await access.check("U1", "C1", visible=False, orgs=HOME) is None
    )  # Redis down: not a denial
    service = build_service(cfg, redis_store)
    try:
        with pytest.raises(StoreUnavailable):
            await service.lookup(Query(phone=SHOWCASE_PHONE))
        assert service.stats.upstream_calls == 0
    finally:
        await service.client.close()


async def test_rate_limit_is_shared_by_two_instances(redis_url: str) -> None:
    env = {"REDIS_URL": redis_url, "WOLKVOX_USER_RATE": "3"}
    async with (
        local_stack(env=env, simulator=SimulatorConfig(latency=0.01)) as first,
        local_stack(env=env, simulator_url=first.simulator_url, slack=first.slack) as second,
    ):
        checks = [first, second, first, second]
        denials = [
            await s.bot.runtime.access.check("U9", "C1", visible=False, orgs=HOME) for s in checks
        ]
        assert denials[:3] == [None, None, None]
        assert denials[3] is not None and denials[3].reason == "rate"


async def test_no_phone_or_id_appears_in_redis_key_names(redis_url: str) -> None:
    """Keys are named by a digest of the query; only the values (with their TTL) hold data."""
    import redis.asyncio as aioredis

    from bot.devtools.stack import local_stack

    async with local_stack({"REDIS_URL": redis_url}) as s:
        status, _, _, url = await s.command("find 3001234567")
        assert status == 200
        await s.slack.wait_for_response(url)
        status, _, _, url = await s.command("find id 1020304050")
        await s.slack.wait_for_response(url)
        client = aioredis.Redis.from_url(redis_url)
        try:
            keys = [k.decode() for k in await client.keys("*")]
        finally:
            await client.aclose()
    assert any(":cache:" in k for k in keys), keys
    assert not [k for k in keys if "3001234567" in k or "1020304050" in k]


def test_tls_verification_can_be_turned_off_for_heroku_redis() -> None:
    from bot.store.redis import RedisStore

    verified = RedisStore("rediss://:pw@example.invalid:6380/0", FETCHED_CODEC)
    relaxed = RedisStore("rediss://:pw@example.invalid:6380/0", FETCHED_CODEC, tls_verify=False)
    kwargs = relaxed._redis.connection_pool.connection_kwargs
    assert kwargs.get("ssl_cert_reqs") == "none"
    assert verified._redis.connection_pool.connection_kwargs.get("ssl_cert_reqs") != "none"

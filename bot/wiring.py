"""The composition root: the one place that builds the bot from its settings.

settings → store → lookup service → Slack runtime → bolt app. `serve`, `find`, the demo, the
tests and the benchmarks all build through here, so what runs in production is what they test.
Nothing below this module wires anything: the Slack side, the lookup side and the store are
handed what they need.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.audit import AuditLog
from bot.config import DEFAULT_SLACK_API_URL, ConfigError, Operation, Settings
from bot.slack.access import AccessControl
from bot.slack.app import build_app
from bot.slack.delivery import HookClient, trust_response_host
from bot.slack.flow import LookupFlow
from bot.slack.runtime import SlackRuntime
from bot.slack.sealed import Sealer
from bot.slack.server import Bot, serve_bot, stop_signal
from bot.store.base import Store
from bot.wolkvox.client import WolkvoxClient
from bot.wolkvox.guard import TokenPool
from bot.wolkvox.lookup import FETCHED_CODEC, LookupService
from bot.wolkvox.operations import Lookups, Operations
from bot.wolkvox.records import Fetched

WEB_API_TIMEOUT = 10


def make_store(settings: Settings) -> Store[Fetched]:
    """In-process state unless `REDIS_URL` is set."""
    if settings.redis_url is not None:
        from bot.store.redis import RedisStore

        # A coalesced result waits in Redis only for the sharers to read it, and never longer
        # than the cache may keep it: nothing personal outlives WOLKVOX_CACHE_TTL.
        ttl = settings.cache_ttl
        result_ttl = min(10.0, ttl) if ttl > 0 else 2.0
        return RedisStore(
            settings.redis_url.reveal(),
            FETCHED_CODEC,
            result_ttl=max(1.0, result_ttl),
            tls_verify=settings.redis_tls_verify,
            prefix=settings.store_prefix,
        )
    from bot.store.memory import MemoryStore

    return MemoryStore[Fetched]()


def build_service(
    settings: Settings,
    store: Store[Fetched],
    client: WolkvoxClient | None = None,
    operation: Operation | None = None,
) -> LookupService:
    """The Wolkvox side of one operation (the only one, unless named): client, token pool and
    breaker on `store`. `client` replaces the HTTP client (a test's in-process Wolkvox)."""
    settings.require_wolkvox()
    op = operation or served_operation(settings)
    client = client or WolkvoxClient(
        op.base_url,
        server=op.server,
        operation=op.key,
        timeout=settings.timeout,
        max_response_bytes=settings.max_response_bytes,
    )
    pool = TokenPool(
        op.tokens,
        store,
        max_concurrency=op.max_concurrency,
        queue_timeout=settings.queue_timeout,
        lease_seconds=settings.timeout + 5,
        daily_quota=op.daily_quota,
        tz=op.tz,
        stuck_after=settings.stuck_after,
    )
    return LookupService(settings, store, client, pool, operation=op)


def served_operation(settings: Settings) -> Operation:
    """The operation a single-operation caller serves (the terminal `find`): the only one."""
    if len(settings.operations) > 1:
        raise ConfigError(
            "WOLKVOX_OPERATIONS",
            "lists several operations: name the one to search with WOLKVOX_OPERATIONS=<key>",
        )
    return settings.operations[0]


def build_lookups(
    settings: Settings,
    store: Store[Fetched],
    clients: Mapping[str, WolkvoxClient] | None = None,
) -> Lookups:
    """The lookup side the Slack side uses: one operation's service, or every operation of
    WOLKVOX_OPERATIONS searched as one. `clients` replace HTTP clients by operation key."""
    given = clients or {}
    services = [
        build_service(settings, store, given.get(op.key), operation=op)
        for op in settings.operations
    ]
    return services[0] if len(services) == 1 else Operations(services)


def build_web_client(settings: Settings) -> AsyncWebClient:
    """Slack's Web API (or SLACK_API_URL), retrying 429s by Retry-After and dropped connections.

    One shared session: without it every call opens a new connection (a TLS handshake each).
    Call inside the running loop; `Bot.close()` closes the session."""
    assert settings.slack_bot_token is not None
    base_url = settings.slack_api_url
    if base_url != DEFAULT_SLACK_API_URL:  # the stand-ins' (or a proxy's) host, when set
        trust_response_host(base_url)
    if not base_url.endswith("/"):
        base_url += "/"
    return AsyncWebClient(
        token=settings.slack_bot_token.reveal(),
        base_url=base_url,
        timeout=WEB_API_TIMEOUT,
        session=aiohttp.ClientSession(),
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_runtime(
    settings: Settings,
    service: Lookups,
    store: Store[Fetched],
    web: AsyncWebClient,
    hooks: HookClient | None = None,
) -> SlackRuntime:
    """What every listener shares. Buttons are sealed with the signing secret (or, in Socket
    Mode, the app token): both are secrets Slack and the bot alone know."""
    secret = settings.slack_signing_secret or settings.slack_app_token
    assert secret is not None
    return SlackRuntime(
        settings=settings,
        service=service,
        store=store,
        web=web,
        hooks=hooks or HookClient(),
        access=AccessControl(settings, web, store),
        audit=AuditLog(path=settings.audit_file, pii=settings.audit_pii),
        sealer=Sealer(secret.reveal()),
    )


async def create_bot(settings: Settings) -> Bot:
    """Start the store (fails clearly when Redis is unreachable) and wire both sides."""
    settings.require_wolkvox()
    settings.require_slack()
    store = make_store(settings)
    await store.start()
    service = build_lookups(settings, store)
    runtime = build_runtime(settings, service, store, build_web_client(settings))
    flow = LookupFlow(runtime)
    return Bot(settings, store, service, runtime, flow, build_app(flow))


@contextlib.asynccontextmanager
async def lookup_service(settings: Settings) -> AsyncIterator[LookupService]:
    """The lookup side alone (for `find`): a started store and a service, closed afterwards."""
    store = make_store(settings)
    await store.start()
    try:
        service = build_service(settings, store)
        try:
            yield service
        finally:
            await service.client.close()
    finally:
        await store.close()


async def serve(settings: Settings) -> None:
    """`serve`: build the bot and serve Slack until SIGTERM/SIGINT, then drain and stop."""
    stop = stop_signal()
    bot = await create_bot(settings)
    if stop.is_set():
        await bot.close()
        return
    await serve_bot(bot, stop)


def run_serve(settings: Settings) -> None:
    asyncio.run(serve(settings))

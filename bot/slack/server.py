"""Serving: HTTP mode (aiohttp on PORT: POST /slack/events, GET /healthz) or Socket Mode.

SIGTERM (a Heroku restart, a deploy) stops new work, lets answers in flight finish for up to
WOLKVOX_SHUTDOWN_GRACE seconds, then exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import __version__, metrics
from bot.config import ConfigError, Settings
from bot.errors import StoreUnavailable
from bot.slack.flow import LookupFlow
from bot.slack.runtime import SlackRuntime, new_error_id
from bot.slack.single_flight import SingleFlightCache
from bot.slack.verify import (
    WINDOW,
    Rejection,
    RejectionLog,
    body_rejection,
    encoding_rejection,
    signature_rejection,
)
from bot.store.base import Store
from bot.wolkvox.lookup import ServiceStatus
from bot.wolkvox.operations import Lookups, combined

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY = 1024 * 1024  # Slack payloads are small; refuse anything absurd before reading it
PROBE_TTL = 1.0  # /healthz and /metrics share one reading of the bot's state a second


@dataclass
class Bot:
    """Everything one running bot owns, so it can be started and stopped as one."""

    settings: Settings
    store: Store[Any]
    service: Lookups
    runtime: SlackRuntime
    flow: LookupFlow
    app: AsyncApp
    draining: bool = False
    # However many probes arrive, at most one reading of the state (store, tokens) a second.
    _probes: SingleFlightCache[str, list[ServiceStatus]] = field(
        default_factory=lambda: SingleFlightCache(ttl=PROBE_TTL, maxsize=1)
    )

    async def statuses(self) -> list[ServiceStatus]:
        """Each operation's state for probes: read once a second at most, shared."""
        return await self._probes.get("status", self.service.statuses)

    def forget_status(self) -> None:
        """The next probe reads the state afresh (draining began: what is in flight matters)."""
        self._probes = SingleFlightCache(ttl=PROBE_TTL, maxsize=1)

    async def close(self) -> None:
        await self.service.close()
        await self.store.close()
        session = getattr(self.runtime.web, "session", None)
        if session is not None and not session.closed:
            await session.close()


def _wolkvox_health(status: ServiceStatus) -> dict[str, Any]:
    return {
        "last_ok_at": status.wolkvox_last_ok_at,
        "last_error": status.wolkvox_last_error,  # a kind, never upstream text
        "last_error_at": status.wolkvox_last_error_at,
        "breaker": status.breaker,
    }


async def health(bot: Bot) -> dict[str, Any]:
    """`/healthz`: the bot as a whole (the first keys), then each operation by its key. One
    operation's Wolkvox being down degrades its entry, not the bot: the others still answer."""
    statuses = await bot.statuses()
    status = combined(statuses)
    ok = status.backend_ok and not bot.draining
    return {
        "status": "draining" if bot.draining else ("ok" if ok else "degraded"),
        "version": __version__,
        "wolkvox": _wolkvox_health(status),
        "queue_depth": status.queue_depth,
        "in_flight": status.in_flight,
        "store": status.store_health,
        "operations": {
            s.operation: {
                "name": s.operation_name,
                "wolkvox": _wolkvox_health(s),
                "queue_depth": s.queue_depth,
                "in_flight": s.in_flight,
            }
            for s in statuses
        },
    }


def create_web_app(bot: Bot) -> web.Application:
    """POST /slack/events (verified before anything reads or acts on it) and GET /healthz."""
    secret = bot.settings.slack_signing_secret
    rejections = RejectionLog()

    def refuse(rejection: Rejection) -> web.Response:
        rejections.note(rejection)
        return web.Response(status=rejection.status)

    async def events(request: web.Request) -> web.Response:
        refused = encoding_rejection(request.headers)
        if refused is not None:
            return refuse(refused)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return refuse(Rejection(413, "body too large"))
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return refuse(Rejection(413, "body too large"))
        if secret is None:  # HTTP mode always has one (settings require it); never guess
            return refuse(Rejection(401, "no signing secret configured"))
        refused = signature_rejection(
            request.headers, body, secret.reveal(), time.time()
        ) or body_rejection(request.content_type, body)
        if refused is not None:
            return refuse(refused)
        if not await first_time(bot, request.headers.getone("X-Slack-Signature")):
            rejections.note(Rejection(200, "replayed request answered with nothing"))
            return web.Response(status=200)
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8"),
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]  # a multidict of str is fine
        )
        try:
            response = await bot.app.async_dispatch(bolt_request)
        except Exception as error:  # bolt itself choked on a signed but odd payload
            error_id = new_error_id()
            log.error("dispatch failed (error id %s): %s", error_id, type(error).__name__)
            return web.Response(status=500)
        return await to_aiohttp_response(response)

    webapp = web.Application(client_max_size=MAX_BODY)
    webapp.router.add_post(EVENTS_PATH, events)
    add_operator_routes(webapp, bot)
    return webapp


def add_operator_routes(webapp: web.Application, bot: Bot) -> None:
    """GET /healthz and GET /metrics: in HTTP mode beside /slack/events, in Socket Mode alone."""

    async def healthz(request: web.Request) -> web.Response:
        body = await health(bot)
        return web.json_response(body, status=200 if body["status"] == "ok" else 503)

    expected = bot.settings.metrics_token

    async def metrics_page(request: web.Request) -> web.Response:
        if expected is not None and not bearer_matches(request, expected.reveal()):
            return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        page = metrics.exposition(await live_state(bot))
        return web.Response(body=page, headers={"Content-Type": metrics.CONTENT_TYPE})

    webapp.router.add_get(HEALTH_PATH, healthz)
    webapp.router.add_get(METRICS_PATH, metrics_page)


def bearer_matches(request: web.Request, token: str) -> bool:
    """`Authorization: Bearer <METRICS_TOKEN>`, compared in constant time."""
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


async def live_state(bot: Bot) -> metrics.LiveState:
    """The gauges' values now (the store may be down: then what is known, never an error)."""
    statuses = await bot.statuses()
    return metrics.LiveState(
        operations=[
            metrics.OperationState(s.operation, s.queue_depth, s.in_flight, s.breaker)
            for s in statuses
        ],
        tokens=[
            metrics.TokenGauge(
                s.operation, t.fingerprint, t.in_flight, t.waiting, t.used_today, t.quota
            )
            for s in statuses
            for t in s.tokens
        ],
    )


async def drain(bot: Bot) -> bool:
    """Stop taking work; let lookups and their answers finish within the grace period."""
    bot.draining = True
    bot.forget_status()
    grace = bot.settings.shutdown_grace
    log.info("shutting down: finishing %d answer(s) in flight", bot.runtime.jobs_in_flight)
    finished = await bot.runtime.drain(grace)
    if not finished:
        log.warning("shutdown grace of %.0f s ran out with answers still in flight", grace)
    return finished


async def first_time(bot: Bot, signature: str) -> bool:
    """Has this signed request been seen before? A captured request replays within Slack's
    window; its signature is remembered (by digest, in the shared store, so every instance
    knows) for twice the window. With the store down the request is served: its lookup will
    say the store is down anyway."""
    digest = hashlib.sha256(signature.encode()).hexdigest()[:32]
    try:
        return await bot.store.value_set_if_absent(f"sig:{digest}", "1", 2 * WINDOW)
    except StoreUnavailable:
        return True


def make_runner(bot: Bot, **options: Any) -> web.AppRunner:
    """The HTTP server for `bot`: no access log, and no request decompression at all (a
    compressed body is refused unread; Slack never sends one)."""
    return web.AppRunner(create_web_app(bot), access_log=None, auto_decompress=False, **options)


async def serve_http(bot: Bot, stop: asyncio.Event) -> None:
    runner = make_runner(bot)
    await runner.setup()
    host = bot.settings.host
    site = web.TCPSite(runner, host, bot.settings.port)
    await site.start()
    log.info("serving Slack on %s:%d%s (HTTP mode)", host, bot.settings.port, EVENTS_PATH)
    try:
        await stop.wait()
        await drain(bot)
    finally:
        await runner.cleanup()
        await bot.close()


async def check_app_token(bot: Bot) -> None:
    """Ask Slack once for a Socket Mode URL: a wrong app token is a clear start-up error, not a
    reconnect loop that logs every few seconds and never serves."""
    from slack_sdk.errors import SlackApiError

    assert bot.settings.slack_app_token is not None
    try:
        await bot.runtime.web.apps_connections_open(app_token=bot.settings.slack_app_token.reveal())
    except SlackApiError as error:
        code = str(error.response.get("error") or "refused")
        raise ConfigError("SLACK_APP_TOKEN", f"Slack refused it ({code})") from None


async def serve_socket_mode(bot: Bot, stop: asyncio.Event) -> None:
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    assert bot.settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(bot.app, bot.settings.slack_app_token.reveal())
    operator = await serve_operator_routes(bot)
    try:
        await check_app_token(bot)
        await handler.connect_async()  # type: ignore[no-untyped-call]  # bolt's adapter is untyped
        log.info("connected to Slack (Socket Mode)")
        await stop.wait()
        bot.draining = True
        # No new envelopes (and no reconnecting while draining); answers in flight still post.
        handler.client.auto_reconnect_enabled = False
        handler.client.default_auto_reconnect_enabled = False
        await handler.disconnect_async()  # type: ignore[no-untyped-call]
        await drain(bot)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]
        if operator is not None:
            await operator.cleanup()
        await bot.close()


async def serve_operator_routes(bot: Bot) -> web.AppRunner | None:
    """Socket Mode needs no public URL, but operators still scrape /metrics and probe /healthz:
    on HOST:PORT. A port already taken is logged, not fatal: Slack is served either way."""
    webapp = web.Application()
    add_operator_routes(webapp, bot)
    runner = web.AppRunner(webapp, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, bot.settings.host, bot.settings.port).start()
    except OSError as error:
        log.warning(
            "/healthz and /metrics not served: %s:%d unavailable (%s)",
            bot.settings.host,
            bot.settings.port,
            type(error).__name__,
        )
        await runner.cleanup()
        return None
    log.info("serving /healthz and /metrics on %s:%d", bot.settings.host, bot.settings.port)
    return runner


def stop_signal() -> asyncio.Event:
    """Set on SIGTERM/SIGINT; installed first, so a signal during start-up still ends cleanly."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve_bot(bot: Bot, stop: asyncio.Event) -> None:
    """Socket Mode when SLACK_APP_TOKEN is set, else HTTP; until `stop`, then drain. With a
    shared store (Redis) it also answers lookups that stopping instances hand over."""
    taker = asyncio.create_task(bot.flow.take_over()) if bot.runtime.can_hand_over else None
    try:
        if bot.settings.slack_app_token is not None:
            await serve_socket_mode(bot, stop)
        else:
            await serve_http(bot, stop)
    finally:
        if taker is not None:
            taker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await taker
                except Exception as error:  # never turn a clean stop into a crash
                    log.warning("hand-over worker ended with %s", type(error).__name__)

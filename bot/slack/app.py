"""Build the bolt AsyncApp: Web API client, listeners, and the last-resort error handler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.audit import AuditLog
from bot.config import Settings
from bot.slack.access import AccessControl
from bot.slack.listeners import actions, commands, mentions, shortcuts, views
from bot.slack.runtime import SlackRuntime, new_error_id
from bot.slack.sealed import Sealer
from bot.store.base import Store
from bot.wolkvox.lookup import LookupService

log = logging.getLogger(__name__)

WEB_API_TIMEOUT = 10


def build_web_client(settings: Settings) -> AsyncWebClient:
    """Slack's Web API (or SLACK_API_URL), retrying 429s by Retry-After and dropped connections."""
    assert settings.slack_bot_token is not None
    base_url = settings.slack_api_url
    if not base_url.endswith("/"):
        base_url += "/"
    return AsyncWebClient(
        token=settings.slack_bot_token.reveal(),
        base_url=base_url,
        timeout=WEB_API_TIMEOUT,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_runtime(
    settings: Settings, service: LookupService, store: Store, web: AsyncWebClient
) -> SlackRuntime:
    secret = settings.slack_signing_secret or settings.slack_app_token
    assert secret is not None
    return SlackRuntime(
        settings=settings,
        service=service,
        store=store,
        web=web,
        access=AccessControl(settings, web, store),
        audit=AuditLog(path=settings.audit_file, pii=settings.audit_pii),
        sealer=Sealer(secret.reveal()),
    )


def build_app(rt: SlackRuntime) -> AsyncApp:
    settings = rt.settings
    app = AsyncApp(
        signing_secret=(
            settings.slack_signing_secret.reveal() if settings.slack_signing_secret else None
        ),
        client=rt.web,  # carries the bot token
        name="wolkvox",
        process_before_response=False,
    )
    for module in (commands, mentions, shortcuts, views, actions):
        module.register(app, rt)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        """A bug in one listener is logged with an id; the process keeps serving."""
        error_id = new_error_id()
        log.error(
            "listener failed (error id %s): %s",
            error_id,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__),
        )

    return app


REGISTERED = {
    "commands": {commands.COMMAND},
    "shortcuts": {shortcuts.MESSAGE_SHORTCUT, shortcuts.GLOBAL_SHORTCUT},
    "events": {"app_mention"},
    "views": {views.SEARCH_SUBMIT},
    "actions": {actions.SHARE, actions.REFRESH, actions.SHOW_ALL},
}

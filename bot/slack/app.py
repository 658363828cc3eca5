"""Build the bolt AsyncApp: Web API client, listeners, and the last-resort error handler."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.logger import get_bolt_logger
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.response import BoltResponse

from bot.slack import cards, ids
from bot.slack.delivery import call_web_safely, message, respond_safely
from bot.slack.flow import LookupFlow
from bot.slack.listeners import (
    actions,
    commands,
    home,
    mentions,
    messages,
    shortcuts,
    views,
    workflow,
)
from bot.slack.replies import apology_card
from bot.slack.runtime import SlackRuntime, new_error_id

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _token_warning_silenced() -> Iterator[None]:
    """bolt reads SLACK_BOT_TOKEN from the environment even when handed a client, then warns
    that the token it read "will be unused": the client carries that very token. Drop that one
    line while the app is built, so the start-up log stays clean; every other line passes."""
    noise = warning_client_prioritized_and_token_skipped()

    def keep(record: logging.LogRecord) -> bool:
        return record.getMessage() != noise

    logger = get_bolt_logger(AsyncApp)
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def build_app(flow: LookupFlow) -> AsyncApp:
    rt = flow.rt
    settings = rt.settings
    with _token_warning_silenced():
        app = AsyncApp(
            signing_secret=(
                settings.slack_signing_secret.reveal() if settings.slack_signing_secret else None
            ),
            client=rt.web,  # carries the bot token
            name="wolkvox",
            process_before_response=False,
        )
    for module in (commands, mentions, messages, shortcuts, views, actions, home, workflow):
        module.register(app, flow)

    @app.error
    async def on_error(
        error: Exception,
        body: dict[str, Any],
        response: BoltResponse | None,
        respond: AsyncRespond | None,
    ) -> BoltResponse | None:
        """A bug in one listener is logged with an id, the agent gets an apology quoting it,
        and the process keeps serving."""
        error_id = new_error_id()
        log.error(
            "listener failed (error id %s): %s",
            error_id,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__),
        )
        return apologize(rt, body if isinstance(body, dict) else {}, response, respond, error_id)

    return app


def apologize(
    rt: SlackRuntime,
    body: dict[str, Any],
    response: BoltResponse | None,
    respond: AsyncRespond | None,
    error_id: str,
) -> BoltResponse | None:
    """Tell the agent, wherever they are waiting: in the ack when it has not been sent (a slash
    command, a modal submission), else through the response_url or as an ephemeral message."""
    lang = rt.settings.lang  # nothing slow here: the ack may still be pending
    card = apology_card(lang, error_id)
    if response is not None:  # not acknowledged yet: the apology can be the ack itself
        if body.get("type") == "view_submission":
            view = cards.result_modal(card, lang)
            return _json_response({"response_action": "update", "view": view})
        if body.get("command"):
            return _json_response(message(card, response_type="ephemeral"))
    if respond is not None and (body.get("response_url") or body.get("response_urls")):
        rt.spawn(
            respond_safely(
                rt.response_url(respond),
                **message(card, response_type="ephemeral", replace_original=False),
            ),
            name=f"apology:{error_id}",
        )
    elif (
        isinstance(event := body.get("event"), dict) and event.get("channel") and event.get("user")
    ):
        rt.spawn(
            call_web_safely(
                rt.web,
                "chat_postEphemeral",
                channel=str(event["channel"]),
                user=str(event["user"]),
                **message(card),
            ),
            name=f"apology:{error_id}",
        )
    # An empty 200 for the rest: Slack would show its own vaguer error for a 500.
    return BoltResponse(status=200, body="") if response is not None else None


def _json_response(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps(payload),
        headers={"content-type": "application/json;charset=utf-8"},
    )


# What the app listens for, by the ids the manifest declares (checked by tests/test_manifest.py).
REGISTERED = {
    "commands": {ids.COMMAND},
    "shortcuts": {ids.MESSAGE_SHORTCUT, ids.GLOBAL_SHORTCUT},
    "events": {ids.APP_MENTION, ids.MESSAGE_IM, ids.APP_HOME_OPENED},
    "views": {ids.SEARCH_CALLBACK_ID},
    "functions": {ids.FUNCTION_FIND_CUSTOMER},
    "actions": {
        ids.ACTION_SHARE,
        ids.ACTION_REFRESH,
        ids.ACTION_SHOW_ALL,
        ids.ACTION_EXPORT_CSV,
        ids.ACTION_HOME_SEARCH,
        ids.ACTION_SEARCH_AGAIN,
    },
}

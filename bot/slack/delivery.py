"""Getting a card to Slack: response_url posts and Web API calls that log instead of raising.

An answer that cannot be delivered is logged (without its content) and dropped: the agent's
conversation keeps working, and no exception reaches bolt after the ack.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import RESPONSE_URL_FAILURES, SLACK_API_ERRORS
from bot.slack.cards import Card

log = logging.getLogger(__name__)

RESPOND_ATTEMPTS = 3
RESPOND_TIMEOUT = 5.0


def message(card: Card, **extra: Any) -> dict[str, Any]:
    """A card as the arguments of chat.postMessage, chat.update, an ack or a response_url."""
    return {"blocks": card.blocks, "text": card.text, **extra}


async def respond_safely(respond: AsyncRespond, **kwargs: Any) -> bool:
    """POST to a response_url, retried briefly; an expired or dead URL is logged, not raised."""
    delay = 0.5
    for attempt in range(1, RESPOND_ATTEMPTS + 1):
        try:
            resp = await asyncio.wait_for(respond(**kwargs), timeout=RESPOND_TIMEOUT)
            status = getattr(resp, "status_code", 200)
            if status < 400:
                return True
            if status in (400, 404, 410):  # refused, expired, used up: retrying cannot help
                log.warning("response_url refused the answer (HTTP %s)", status)
                return False
            log.info("response_url answered HTTP %s (attempt %d)", status, attempt)
        except Exception as error:
            log.info("response_url post failed (%s, attempt %d)", type(error).__name__, attempt)
        if attempt < RESPOND_ATTEMPTS:
            await asyncio.sleep(delay)
            delay *= 2
    log.warning("response_url: answer could not be delivered")
    RESPONSE_URL_FAILURES.inc()
    return False


async def call_web_safely(web: AsyncWebClient, method: str, **kwargs: Any) -> dict[str, Any] | None:
    """A Web API call that logs instead of raising (slack_sdk retries 429s by Retry-After)."""
    try:
        resp = await getattr(web, method)(**kwargs)
        return dict(resp.data) if hasattr(resp, "data") else dict(resp)
    except Exception as error:
        detail = getattr(getattr(error, "response", None), "data", None)
        code = detail.get("error") if isinstance(detail, dict) else type(error).__name__
        log.warning("Slack %s failed: %s", method, code)
        SLACK_API_ERRORS.labels(method=method.replace("_", ".", 1)).inc()
        return None

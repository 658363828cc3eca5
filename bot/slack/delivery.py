"""Getting a card to Slack: response_url posts and Web API calls that log instead of raising.

An answer that cannot be delivered is logged (without its content) and dropped: the agent's
conversation keeps working, and no exception reaches bolt after the ack.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.metrics import RESPONSE_URL_FAILURES, SLACK_API_ERRORS
from bot.slack.cards import Card

log = logging.getLogger(__name__)

RESPOND_ATTEMPTS = 3
RESPOND_TIMEOUT = 5.0


def message(card: Card, **extra: Any) -> dict[str, Any]:
    """A card as the arguments of chat.postMessage, chat.update, an ack or a response_url."""
    return {"blocks": card.blocks, "text": card.text, **extra}


# Where a response_url may point: Slack's hooks hosts (GovSlack's too), plus the host of
# SLACK_API_URL when an operator points the bot elsewhere (the stand-ins, tests). Anything else,
# from a payload or a hand-over, is never posted to: it would carry a customer's card away.
SLACK_HOOK_HOSTS = frozenset(
    {("https", "hooks.slack.com", 443), ("https", "hooks.slack-gov.com", 443)}
)
_trusted_hosts: set[tuple[str, str, int]] = set(SLACK_HOOK_HOSTS)


def trust_response_host(api_url: str) -> None:
    """Also accept response_urls on `api_url`'s host (SLACK_API_URL); called by the wiring."""
    _trusted_hosts.add(_origin(api_url))


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def trusted_response_url(url: str) -> bool:
    """Is `url` a response_url the bot may POST a card to?"""
    return bool(url) and _origin(url) in _trusted_hosts and "@" not in urlsplit(url).netloc


class HookClient:
    """Posts answers to response_urls (Slack's hooks) as Slack documents it: JSON, with no
    redirect followed. The runtime holds one, as it holds the Web API client; tests give a
    recording one, so a listener test needs no socket."""

    async def post(self, url: str, body: dict[str, Any]) -> int:
        """POST `body` to `url`; the HTTP status."""
        timeout = aiohttp.ClientTimeout(total=RESPOND_TIMEOUT)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, json=body, allow_redirects=False) as resp,
        ):
            await resp.read()
            return resp.status


@dataclass(frozen=True, slots=True)
class ResponseUrl:
    """A payload's response_url and the client that posts to it: where a private answer goes."""

    url: str
    client: HookClient

    async def post(self, body: dict[str, Any]) -> int:
        return await self.client.post(self.url, body)


async def respond_safely(target: ResponseUrl, **kwargs: Any) -> bool:
    """POST to a response_url, retried briefly; an expired or dead URL is logged, not raised.
    Only to Slack's hosts (`trusted_response_url`), and no redirect is followed."""
    if not trusted_response_url(target.url):
        log.warning("response_url refused: not one of Slack's hosts")
        RESPONSE_URL_FAILURES.inc()
        return False
    body = {k: v for k, v in kwargs.items() if v is not None}
    delay = 0.5
    for attempt in range(1, RESPOND_ATTEMPTS + 1):
        try:
            status = await asyncio.wait_for(target.post(body), timeout=RESPOND_TIMEOUT)
            if status < 300:
                return True
            if status in (400, 404, 410) or 300 <= status < 400:  # refused, expired, used up,
                log.warning("response_url refused the answer (HTTP %s)", status)  # or moved
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

"""Pieces every listener shares: actors from payloads, card → message, answers that never raise."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.errors import LookupFailure, ShuttingDown
from bot.slack import cards
from bot.slack.access import Denial
from bot.slack.runtime import Actor, Outcome, SlackRuntime, new_error_id

log = logging.getLogger(__name__)

RESPOND_ATTEMPTS = 3
RESPOND_TIMEOUT = 5.0
POSITION_UPDATE_EVERY = 2.0  # seconds between "you're Nth in line" updates


def message(card: cards.Card, **extra: Any) -> dict[str, Any]:
    return {"blocks": card.blocks, "text": card.text, **extra}


async def respond_safely(respond: Callable[..., Awaitable[Any]], **kwargs: Any) -> bool:
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
    return False


async def call_web_safely(rt: SlackRuntime, method: str, **kwargs: Any) -> dict[str, Any] | None:
    """A Web API call that logs instead of raising (slack_sdk retries 429s by Retry-After)."""
    try:
        resp = await getattr(rt.web, method)(**kwargs)
        return dict(resp.data) if hasattr(resp, "data") else dict(resp)
    except Exception as error:
        detail = getattr(getattr(error, "response", None), "data", None)
        code = detail.get("error") if isinstance(detail, dict) else type(error).__name__
        log.warning("Slack %s failed: %s", method, code)
        return None


def denial_card(denial: Denial, lang: str) -> cards.Card:
    if denial.reason == "rate":
        return cards.render_rate_limited(lang, denial.retry_after)
    return cards.render_refusal(lang)


def outcome_card(
    rt: SlackRuntime,
    outcome: Outcome,
    lang: str,
    *,
    mask_phones: bool,
    shared_by: str | None = None,
    actions: bool = True,
    max_blocks: int = 50,
) -> cards.Card:
    """The card for one lookup's outcome; a bug in rendering becomes an apology with an error
    id (logged), never an exception that would leave the agent with "searching…" forever."""
    try:
        if outcome.result is not None:
            return cards.render_result(
                outcome.result,
                lang=lang,
                tz=rt.settings.tz,
                now=rt.clock(),
                mask_phones=mask_phones,
                max_blocks=max_blocks,
                shared_by=shared_by,
                actions=actions,
                # Buttons carry the query sealed: a channel can read a button's value.
                button_value=rt.sealer.seal(outcome.result.query),
            )
        error = outcome.error or LookupFailure("no result")
        return cards.render_error(error, lang=lang, error_id=outcome.error_id)
    except Exception:
        error_id = new_error_id()
        log.exception("rendering the card failed (error id %s)", error_id)
        return apology_card(lang, error_id)


def apology_card(lang: str, error_id: str) -> cards.Card:
    """Sorry, something went wrong on our side: with the id an admin finds in the logs."""
    return cards.render_error(LookupFailure("unexpected error"), lang=lang, error_id=error_id)


def apology_by_respond(
    respond: Callable[..., Awaitable[Any]], lang: str
) -> Callable[[str], Awaitable[bool]]:
    """For `rt.tracked(apologize=…)`: the apology goes to the agent's response_url."""

    async def send(error_id: str) -> bool:
        card = apology_card(lang, error_id)
        return await respond_safely(
            respond, **message(card, response_type="ephemeral", replace_original=False)
        )

    return send


def mask_for(rt: SlackRuntime, *, visible: bool) -> bool:
    mode = rt.settings.mask_phones
    return mode == "always" or (mode == "shared" and visible)


class PositionReporter:
    """Turns the guard's queue positions into at most one update every few seconds.

    `first` resolves with the first report: a queue position, or SERVING (0) when the lookup
    went straight to Wolkvox. Only positions are sent on."""

    def __init__(self, send: Callable[[int], Awaitable[None]] | None) -> None:
        self.send = send
        self.last: int | None = None
        self.last_at = 0.0
        self.first = asyncio.get_running_loop().create_future()

    async def __call__(self, position: int) -> None:
        if not self.first.done():
            self.first.set_result(position)
        if self.send is None or position <= 0:
            return
        now = time.monotonic()
        if self.last is not None and now - self.last_at < POSITION_UPDATE_EVERY:
            return
        if position == self.last:
            return
        self.last, self.last_at = position, now
        try:
            await self.send(position)
        except Exception as error:
            log.debug("position update failed: %s", type(error).__name__)


def _id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def actor_from_body(body: dict[str, Any], surface: str) -> Actor:
    """Slash commands use flat keys (user_id, team_id…); interactive payloads nest objects."""
    user = body.get("user")
    return Actor(
        team_id=str(body.get("team_id") or _id(body.get("team"))),
        user_id=str(body.get("user_id") or _id(user)),
        channel_id=str(body.get("channel_id") or _id(body.get("channel"))),
        surface=surface,
        locale=(user.get("locale") if isinstance(user, dict) else None) or body.get("locale"),
    )


def shutting_down_card(lang: str) -> cards.Card:
    return cards.render_error(ShuttingDown("restarting"), lang=lang)

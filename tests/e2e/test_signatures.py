"""Only Slack may talk to the bot: forged, stale or unsigned requests get 401 and cause nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.devtools.fakeslack import requests as sr
from bot.devtools.stack import AGENT, CHANNEL, TEAM, Stack
from tests.e2e.conftest import SHOWCASE_PHONE, settle, upstream_requests

STALE = 6 * 60  # Slack's rule: refuse timestamps more than 5 minutes away


def surfaces(s: Stack) -> dict[str, tuple[str, str]]:
    """One well-formed request body per surface (what an attacker would replay or forge)."""
    trigger = s.slack.new_trigger_id(user_id=AGENT)
    url = s.slack.new_response_url(channel_id=CHANNEL, user_id=AGENT)
    return {
        "command": (
            sr.slash_command_body(
                f"find {SHOWCASE_PHONE}",
                user_id=AGENT,
                channel_id=CHANNEL,
                team_id=TEAM,
                response_url=url,
                trigger_id=trigger,
            ),
            sr.FORM,
        ),
        "mention": (
            sr.app_mention_event_body(
                f"find {SHOWCASE_PHONE}",
                event_id="Ev0FORGED01",
                channel=CHANNEL,
                user=AGENT,
                ts=s.next_ts(),
                team_id=TEAM,
            ),
            sr.JSON,
        ),
        "message_shortcut": (
            sr.message_shortcut_body(
                message_text=f"llamó el {SHOWCASE_PHONE}",
                message_ts=s.next_ts(),
                message_user="U0CUSTOMR",
                user_id=AGENT,
                channel_id=CHANNEL,
                team_id=TEAM,
                response_url=url,
                trigger_id=trigger,
            ),
            sr.FORM,
        ),
        "global_shortcut": (
            sr.global_shortcut_body(user_id=AGENT, team_id=TEAM, trigger_id=trigger),
            sr.FORM,
        ),
    }


async def post_raw(
    s: Stack, body: str, content_type: str, headers: dict[str, str]
) -> tuple[int, float]:
    started = time.perf_counter()
    async with s.session.post(
        s.events_url, data=body.encode(), headers={"Content-Type": content_type, **headers}
    ) as response:
        await response.read()
        return response.status, time.perf_counter() - started


def forged(body: str, secret: str) -> dict[str, str]:
    headers = sr.sign(body, secret)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    return headers


def wrong_secret(body: str, secret: str) -> dict[str, str]:
    return sr.sign(body, "not-the-signing-secret")


def stale(body: str, secret: str) -> dict[str, str]:
    return sr.sign(body, secret, int(time.time()) - STALE)


def from_the_future(body: str, secret: str) -> dict[str, str]:
    return sr.sign(body, secret, int(time.time()) + STALE)


def no_headers(body: str, secret: str) -> dict[str, str]:
    return {}


def no_signature(body: str, secret: str) -> dict[str, str]:
    headers = sr.sign(body, secret)
    del headers["X-Slack-Signature"]
    return headers


def no_timestamp(body: str, secret: str) -> dict[str, str]:
    headers = sr.sign(body, secret)
    del headers["X-Slack-Request-Timestamp"]
    return headers


def other_body(body: str, secret: str) -> dict[str, str]:
    """A valid signature for a different body (the request was altered on the way)."""
    original = body.replace(SHOWCASE_PHONE, "3104567890").replace("U0AGENT01", "U0AGENT02")
    assert original != body
    return sr.sign(original, secret)


ATTACKS: list[Callable[[str, str], dict[str, str]]] = [
    forged,
    wrong_secret,
    stale,
    from_the_future,
    no_headers,
    no_signature,
    no_timestamp,
    other_body,
]


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.__name__)
async def test_unverifiable_requests_get_401_and_cause_nothing(
    stack: Stack, attack: Callable[[str, str], dict[str, str]]
) -> None:
    for name, (body, content_type) in surfaces(stack).items():
        status, elapsed = await post_raw(
            stack, body, content_type, attack(body, stack.signing_secret)
        )
        assert status == 401, f"{name}: HTTP {status}"
        assert elapsed < 3
    await settle(stack)
    assert upstream_requests(stack) == 0
    assert stack.slack.calls() == []  # no message, no modal, not even a locale look-up
    assert stack.slack.responses() == []


async def test_the_same_requests_properly_signed_are_served(stack: Stack) -> None:
    """The control: the bodies above are fine; only their signatures were wrong."""
    for name, (body, content_type) in surfaces(stack).items():
        status, _, elapsed = await stack.post(body, content_type)
        assert status == 200 and elapsed < 3, name
    await stack.slack.wait_for("views.open", ok=True)
    await stack.slack.wait_for("chat.update", ok=True)
    await settle(stack)
    assert upstream_requests(stack) > 0
    assert len(stack.slack.responses()) >= 2


async def test_oversized_body_is_refused_before_reading(stack: Stack) -> None:
    body = "x" * (2 * 1024 * 1024)
    headers = {"Content-Type": sr.FORM, **sr.sign(body, stack.signing_secret)}
    async with stack.session.post(stack.events_url, data=body, headers=headers) as response:
        assert response.status == 413
    assert upstream_requests(stack) == 0

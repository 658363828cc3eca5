"""Shared fixtures for the end-to-end tests: the whole product on loopback, driven as Slack does.

`stack` starts the Wolkvox simulator, FakeSlack and the real bot (bot.devtools.stack). A test
changes settings with `@pytest.mark.stack_env(NAME="value", ...)` and the simulator with
`@pytest.mark.simulator(latency=0.3, ...)`. On teardown every message, response_url post and
view the bot sent is validated as Block Kit (tests/blockkit.py), so no test can let an invalid
card slip by unnoticed.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest

from bot.devtools.fakeslack import requests as sr
from bot.devtools.fakeslack.reading import text_of, texts
from bot.devtools.stack import AGENT, TEAM, Stack, local_stack
from bot.devtools.wolkvox_sim.server import SimulatorConfig
from bot.slack import handover
from bot.slack.replies import Route
from bot.slack.runtime import Surface
from tests.blockkit import assert_valid_home, assert_valid_message, assert_valid_modal

ACK_LIMIT = 3.0  # Slack's rule: anything not acknowledged within 3 s counts as failed
FAST_LATENCY = 0.02
# A token long and odd enough that any piece of it showing up in a posted message is a leak.
TOKEN = "WVTOKEN-Zq7Hq2LmZ9xR4sPq81"

SHOWCASE_PHONE = "3001234567"
SHOWCASE_ID = "1020304050"
SHOWCASE_NAME = "María Fernanda Gómez Restrepo"
SHARED_PHONE = "3104567890"
NO_RECORDS_PHONE = "3009999999"
MARKUP_PHONE = "3000000666"

# A full Colombian mobile number (10 digits starting with 3) standing on its own.
FULL_PHONE_RE = re.compile(r"(?<![\w-])3\d{9}(?![\w-])")  # not inside a sealed value
# Slack's control sequences in mrkdwn: <!channel>, <https://…|…>, <@U…>, <!date^…>, …
ANGLE_RE = re.compile(r"<[^<>]*>")
OWN_ANGLE_RE = re.compile(r"<!date\^\d+\^[^|>]*\|[^>]*>|<@U[A-Z0-9]+>")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stack_env(**env): settings for the e2e stack fixture")
    config.addinivalue_line(
        "markers", "simulator(**config): SimulatorConfig fields for the e2e stack fixture"
    )


@pytest.fixture
async def stack(request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    """Simulator + FakeSlack + bot over HTTP on 127.0.0.1; validates every card on teardown."""
    env_marker = request.node.get_closest_marker("stack_env")
    sim_marker = request.node.get_closest_marker("simulator")
    env = {"WOLKVOX_TOKEN": TOKEN, **(env_marker.kwargs if env_marker else {})}
    sim = {"latency": FAST_LATENCY, **(sim_marker.kwargs if sim_marker else {})}
    async with local_stack(env=env, simulator=SimulatorConfig(**sim)) as s:
        yield s
        await settle(s, pause=0.05)
        assert_everything_valid(s)


# ---------------------------------------------------------------- counting and waiting


def upstream_requests(s: Stack) -> int:
    """Every request the simulator received (find_record, campaigns, token_info, refused ones)."""
    assert s.simulator_stats is not None
    return s.simulator_stats.total_requests


def find_calls(s: Stack) -> int:
    """find_record calls the simulator accepted."""
    assert s.simulator_stats is not None
    return s.simulator_stats.find_record_calls()


async def settle(s: Stack, pause: float = 0.25, timeout: float = 10.0) -> None:
    """Give background work a moment to start, then wait until none is left.

    Used before asserting that something did NOT happen (no second lookup, no message)."""
    await asyncio.sleep(pause)
    for _ in range(int(timeout / 0.02)):  # the runtime offers no event for "idle"
        if not s.bot.runtime.jobs_in_flight:
            break
        await asyncio.sleep(0.02)
    assert s.bot.runtime.jobs_in_flight == 0, "background work did not finish"


# ---------------------------------------------------------------- what the bot sent


def assert_acked(status: int, elapsed: float) -> None:
    assert status == 200, f"HTTP {status}"
    assert elapsed < ACK_LIMIT, f"acked in {elapsed:.2f} s (Slack allows {ACK_LIMIT} s)"


def ack_json(body: str) -> dict[str, Any]:
    """The ack's body as JSON ({} for an empty ack)."""
    return json.loads(body) if body.strip() else {}


def button_values(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "button" and "value" in node:
            found.append(str(node["value"]))
        for value in node.values():
            found.extend(button_values(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(button_values(item))
    return found


def sent_payloads(s: Stack) -> list[Any]:
    """Everything the bot sent to Slack: Web API arguments and response_url bodies."""
    return [c.args for c in s.slack.calls()] + [p.body or p.raw for p in s.slack.responses()]


def sent_json(s: Stack, extra: Iterable[str] = ()) -> str:
    """All the bot sent to Slack (plus `extra`, e.g. ack bodies) as one JSON text."""
    parts = [json.dumps(p, ensure_ascii=False) for p in sent_payloads(s)]
    parts.extend(extra)
    return "\n".join(parts)


def assert_no_full_phone(haystack: str, *phones: str) -> None:
    for phone in phones:
        assert phone not in haystack, f"full phone {phone} was sent"
    leaked = FULL_PHONE_RE.findall(haystack)
    assert not leaked, f"full phone numbers were sent: {sorted(set(leaked))}"


def assert_no_injected_markup(node: Any) -> None:
    """Only the bot's own control sequences (dates, the sharer's mention) may appear in text."""
    for text in texts(node):
        for token in ANGLE_RE.findall(text):
            assert OWN_ANGLE_RE.fullmatch(token), f"markup from the record got through: {token!r}"
        assert "<!channel" not in text and "<!here" not in text and "<!everyone" not in text
        assert "<https://evil" not in text and "<http" not in text


def assert_no_traceback(node: Any) -> None:
    text = text_of(node) if not isinstance(node, str) else node
    for marker in ("Traceback", 'File "', "Exception", "Error:", "bot/"):
        assert marker not in text, f"internal detail {marker!r} shown to the agent: {text[:300]}"


def assert_everything_valid(s: Stack) -> None:
    """Every message, response_url post and view the bot sent is Block Kit Slack accepts."""
    for call in s.slack.calls():
        if call.method.startswith("chat.") and call.args.get("blocks"):
            assert_valid_message(call.args["blocks"])
        if call.method == "views.publish" and isinstance(call.args.get("view"), dict):
            assert_valid_home(call.args["view"])
        elif call.method.startswith("views.") and isinstance(call.args.get("view"), dict):
            assert_valid_modal(call.args["view"])
    for post in s.slack.responses():
        if isinstance(post.body, dict) and post.body.get("blocks"):
            assert_valid_message(post.body["blocks"])


def assert_valid_ack_card(body: dict[str, Any]) -> None:
    assert body.get("text"), "an ack card needs a notification text"
    assert_valid_message(body["blocks"])


# ---------------------------------------------------------------- driving one surface


def is_searching(card: dict[str, Any]) -> bool:
    """The interim "searching…" message (es or en), not an answer."""
    return str(card.get("text", "")).startswith(("🔎 Buscando", "🔎 Searching"))


async def command_answer(
    s: Stack, text: str, *, user: str = AGENT, channel: str = "C0SOPORTE", timeout: float = 10.0
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Run `/wolkvox <text>` and return (ack body, the answer card, response_url).

    The answer is the ack itself when the bot had it at hand, else the response_url post that
    followed the "searching…" ack."""
    status, ack, elapsed, url = await s.command(text, user=user, channel=channel)
    assert_acked(status, elapsed)
    body = ack_json(ack)
    assert_valid_ack_card(body)
    if not is_searching(body):
        return body, body, url
    [post] = await s.slack.wait_for_response(url, timeout=timeout)
    assert isinstance(post.body, dict)
    return body, post.body, url


def section_texts_with(card: dict[str, Any], needle: str) -> list[str]:
    return [t for t in texts(card.get("blocks", [])) if needle in t]


def find_action_value(card: dict[str, Any], action_id: str) -> str:
    for block in card.get("blocks", []):
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button on the card")


def with_button_value(card: dict[str, Any], action_id: str, value: str) -> dict[str, Any]:
    """A copy of `card` whose `action_id` button carries `value` (a forged or tampered one)."""
    copy: dict[str, Any] = json.loads(json.dumps(card))
    for block in copy.get("blocks", []):
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id") == action_id:
                element["value"] = value
    return copy


async def press_custom(
    s: Stack,
    action_id: str,
    message: dict[str, Any],
    *,
    response_url: str | None = None,
    trigger_id: str | None = None,
    user: str = AGENT,
    channel: str = "C0SOPORTE",
    is_ephemeral: bool = True,
) -> tuple[int, float, str, str]:
    """Like Stack.press, with a response_url / trigger_id prepared beforehand (e.g. one set to
    fail or expire), so a fault is in place before the bot can use it.
    Returns (status, seconds, response_url, trigger_id)."""
    url = response_url or s.slack.new_response_url(channel_id=channel, user_id=user)
    trigger = trigger_id or s.slack.new_trigger_id(user_id=user)
    body = sr.block_actions_body(
        action_id=action_id,
        user_id=user,
        team_id=TEAM,
        trigger_id=trigger,
        message={"ts": s.next_ts(), **message},
        channel_id=channel,
        response_url=url,
        is_ephemeral=is_ephemeral,
    )
    status, _, elapsed = await s.post(body, sr.FORM)
    return status, elapsed, url, trigger


# ---------------------------------------------------------------- restarts' hand-overs


def handover_item(
    url: str, *, user: str = AGENT, orgs: tuple[str, ...] = (TEAM,), concealed: bool = False
) -> bytes:
    """A lookup another instance hands over: the showcase phone, answered at `url` (unsealed:
    what anyone who can write to Redis could push)."""
    return handover.encode(
        handover.Handover(
            team_id=TEAM,
            user_id=user,
            channel_id="C0SOPORTE",
            surface=Surface.COMMAND,
            lang="es",
            phone=SHOWCASE_PHONE,
            customer_id="",
            campaign_id="",
            refresh=False,
            route=Route("response_url", url=url),
            visible=concealed,
            conceal=concealed,
            handed_at=time.time(),
            orgs=orgs,
        )
    )


async def take_over_for(s: Stack, seconds: float) -> None:
    """This instance takes hand-overs from the queue for `seconds`, then everything settles."""
    task = asyncio.ensure_future(s.bot.flow.take_over(poll=0.05))
    try:
        await asyncio.sleep(seconds)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await settle(s)

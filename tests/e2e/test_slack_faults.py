"""Slack-side faults, end to end: what Slack's side can do wrong, and what the agent still gets.

response_url posts that fail or hang are retried and delivered; an expired response_url or
trigger_id is logged, not crashed on; rate-limited Web API calls are retried after Retry-After
(slack_sdk's handler); a bug in a listener becomes an apologetic card quoting an error id that
is in the logs, wherever the agent is waiting; and the bot keeps serving after each.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from bot.devtools.fakeslack import requests as sr
from bot.devtools.stack import AGENT, CHANNEL, TEAM, Stack
from bot.slack import cards, delivery, payloads
from bot.slack import flow as flow_module
from tests.e2e.conftest import (
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    ack_json,
    assert_no_traceback,
    command_answer,
    is_searching,
    settle,
    text_of,
)

pytestmark = pytest.mark.simulator(latency=0.3)  # the card follows the "searching…" ack

ERROR_ID = re.compile(r"E-[0-9A-F]{8}")
APOLOGY = "Algo salió mal"  # the stack's agent reads Spanish (es-LA)


async def command_to(s: Stack, text: str, response_url: str) -> dict[str, Any]:
    """`/wolkvox <text>` carrying a response_url the test prepared (faults set beforehand)."""
    status, ack, _, _ = await s.command(text, response_url=response_url)
    assert status == 200, ack
    return ack_json(ack)


async def still_serving(s: Stack) -> None:
    _, card, _ = await command_answer(s, "3104567890")
    assert "3104567890"[-4:] in text_of(card)


def assert_apology(node: Any, caplog: pytest.LogCaptureFixture) -> str:
    """An apology quoting an error id that the logs carry too; returns the id."""
    text = text_of(node)
    assert APOLOGY in text, text
    assert_no_traceback(text)
    match = ERROR_ID.search(text)
    assert match, text
    assert match.group(0) in caplog.text
    return match.group(0)


# --------------------------------------------------------------------------- response_url


async def test_response_url_failing_is_retried_until_delivered(stack: Stack) -> None:
    url = stack.slack.new_response_url(channel_id=CHANNEL, user_id=AGENT)
    stack.slack.hook_fail(url, times=2, status=500)
    assert is_searching(await command_to(stack, SHOWCASE_PHONE, url))
    [post] = await stack.slack.wait_for_response(url, timeout=10)
    assert SHOWCASE_NAME in text_of(post.body)
    assert [p.status for p in stack.slack.responses(url)] == [500, 500, 200]


async def test_response_url_hanging_is_given_up_on_and_retried(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "RESPOND_TIMEOUT", 0.5)  # Slack's own hang would be 30 s
    url = stack.slack.new_response_url(channel_id=CHANNEL, user_id=AGENT)
    stack.slack.hook_hang(url, times=1, seconds=30)
    assert is_searching(await command_to(stack, SHOWCASE_PHONE, url))
    [post] = await stack.slack.wait_for_response(url, timeout=10)
    assert SHOWCASE_NAME in text_of(post.body)
    assert [p.error for p in stack.slack.responses(url)] == ["hang", None]


async def test_expired_response_url_is_logged_not_retried_and_serving_goes_on(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    url = stack.slack.new_response_url(channel_id=CHANNEL, user_id=AGENT)
    stack.slack.expire_hook(url)
    assert is_searching(await command_to(stack, SHOWCASE_PHONE, url))
    await stack.slack.wait_for_response(url, accepted=False)
    await settle(stack)
    assert [p.status for p in stack.slack.responses(url)] == [404]  # retrying cannot help
    assert "response_url refused the answer (HTTP 404)" in caplog.text
    assert "Traceback" not in caplog.text
    await still_serving(stack)


# --------------------------------------------------------------------------- Web API


async def test_rate_limited_chat_post_message_is_retried_after_retry_after(stack: Stack) -> None:
    stack.slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    stack.slack.rate_limit("chat.update", times=1, retry_after=1)
    await stack.mention(SHOWCASE_PHONE)
    await stack.slack.wait_for("chat.update", ok=True, timeout=10)
    posts = stack.slack.calls("chat.postMessage")
    assert [c.status for c in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 0.9  # it waited as Retry-After said
    assert [c.status for c in stack.slack.calls("chat.update")] == [429, 200]
    [message] = stack.slack.messages(CHANNEL)
    assert SHOWCASE_NAME in text_of(message)


async def test_rate_limited_views_update_is_retried(stack: Stack) -> None:
    status, _, _ = await stack.global_shortcut()
    assert status == 200
    [opened] = await stack.slack.wait_for("views.open", ok=True)
    stack.slack.rate_limit("views.update", times=1, retry_after=1)
    view = opened.response["view"]
    status, ack, _ = await stack.submit(view, {"phone": SHOWCASE_PHONE})
    assert status == 200 and ack_json(ack)["response_action"] == "update"
    updates = await stack.slack.wait_for("views.update", ok=True, timeout=10)
    assert [c.status for c in stack.slack.calls("views.update")] == [429, 200]
    assert SHOWCASE_NAME in text_of(updates[-1].args["view"])
    assert SHOWCASE_NAME in text_of(stack.slack.view(view["id"]))


async def test_expired_trigger_id_is_logged_and_serving_goes_on(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    trigger = stack.slack.new_trigger_id(user_id=AGENT)
    stack.slack.expire_trigger(trigger)
    body = sr.global_shortcut_body(user_id=AGENT, team_id=TEAM, trigger_id=trigger)
    status, _, _ = await stack.post(body, sr.FORM)
    assert status == 200
    [call] = await stack.slack.wait_for("views.open")
    assert call.response["error"] == "expired_trigger_id"
    await settle(stack)
    assert "views_open failed: expired_trigger_id" in caplog.text
    assert "Traceback" not in caplog.text
    await still_serving(stack)


# --------------------------------------------------------------------------- listener bugs


def broken(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("a bug in a card renderer")


async def test_renderer_bug_after_the_ack_gives_the_agent_an_apology_with_an_error_id(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(cards, "render_result", broken)
    _, card, _ = await command_answer(stack, SHOWCASE_PHONE)
    error_id = assert_apology(card, caplog)
    assert "a bug in a card renderer" not in text_of(card)
    assert "RuntimeError" in caplog.text and error_id in caplog.text
    monkeypatch.undo()
    await still_serving(stack)


async def test_renderer_bug_in_a_mention_answer_is_an_apology_in_the_thread(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(cards, "render_result", broken)
    await stack.mention(SHOWCASE_PHONE)
    [update] = await stack.slack.wait_for("chat.update", ok=True, timeout=10)
    assert_apology(update.args, caplog)
    monkeypatch.undo()
    await still_serving(stack)


async def test_renderer_bug_in_the_modal_answer_is_an_apology_in_the_modal(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await stack.global_shortcut()
    [opened] = await stack.slack.wait_for("views.open", ok=True)
    monkeypatch.setattr(cards, "render_result", broken)
    await stack.submit(opened.response["view"], {"phone": SHOWCASE_PHONE})
    [update] = await stack.slack.wait_for("views.update", ok=True, timeout=10)
    assert_apology(update.args["view"], caplog)
    monkeypatch.undo()
    await still_serving(stack)


async def test_bug_before_the_ack_of_a_command_is_answered_by_an_apology_ack(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(cards, "render_help", broken)
    url = stack.slack.new_response_url(channel_id=CHANNEL, user_id=AGENT)
    ack = await command_to(stack, "help", url)  # HTTP 200, not Slack's "dispatch_failed"
    assert ack.get("response_type") == "ephemeral"
    assert_apology(ack, caplog)
    monkeypatch.undo()
    await still_serving(stack)


async def test_bug_before_the_ack_of_a_modal_submission_updates_the_modal(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await stack.global_shortcut()
    [opened] = await stack.slack.wait_for("views.open", ok=True)
    monkeypatch.setattr(cards, "loading_modal", broken)
    status, ack, _ = await stack.submit(opened.response["view"], {"phone": SHOWCASE_PHONE})
    assert status == 200
    body = ack_json(ack)
    assert body["response_action"] == "update"
    assert_apology(body["view"], caplog)


async def test_bug_in_a_message_shortcut_is_apologised_for_via_response_url(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(flow_module, "extract_queries", broken)
    status, _, _, url = await stack.message_shortcut(f"please look up {SHOWCASE_PHONE}")
    assert status == 200
    [post] = await stack.slack.wait_for_response(url, timeout=10)
    assert_apology(post.body, caplog)
    monkeypatch.undo()
    await still_serving(stack)


async def test_bug_in_a_mention_listener_is_apologised_for_privately(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(payloads, "parse_mention", broken)
    status, _, _, _ = await stack.mention(SHOWCASE_PHONE)
    assert status == 200
    [call] = await stack.slack.wait_for("chat.postEphemeral", ok=True, timeout=10)
    assert call.args["user"] == AGENT
    assert_apology(call.args, caplog)
    monkeypatch.undo()
    await still_serving(stack)

"""Shortcuts: a message's phones looked up privately; the global one opens the search modal."""

from __future__ import annotations

from typing import Any

import pytest

from bot.devtools.fakeslack.reading import text_of
from bot.slack import ids
from bot.slack.flow import LookupFlow
from bot.slack.listeners.shortcuts import ShortcutListener
from tests.doubles import RecordingAck, RecordingHooks, StubWebClient, respond_for
from tests.slack.listeners.conftest import CHANNEL, PHONE, TEAM, USER


def message_shortcut(text: str) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": ids.MESSAGE_SHORTCUT,
        "trigger_id": "1.2.3",
        "team": {"id": TEAM, "domain": "soporte"},
        "user": {"id": USER, "name": "ana"},
        "channel": {"id": CHANNEL, "name": "soporte"},
        "message": {"type": "message", "user": "U0OTHER", "ts": "1700000000.000200", "text": text},
        "response_url": "https://hooks.slack.com/app/T0/1/x",
    }


async def test_a_phone_in_a_message_is_answered_privately(
    flow: LookupFlow, hooks: RecordingHooks
) -> None:
    ack, respond = RecordingAck(), respond_for()
    await ShortcutListener(flow).on_message_shortcut(
        ack, message_shortcut(f"llamó el {PHONE}, urgente"), respond
    )
    assert ack.calls == [{}]
    [answer] = hooks.bodies
    assert answer["response_type"] == "ephemeral" and "María Fernanda" in text_of(answer)


async def test_a_message_without_a_phone_says_so(flow: LookupFlow, hooks: RecordingHooks) -> None:
    ack, respond = RecordingAck(), respond_for()
    await ShortcutListener(flow).on_message_shortcut(
        ack, message_shortcut("gracias por todo"), respond
    )
    [answer] = hooks.bodies
    assert "🤷" in text_of(answer)
    assert flow.rt.service.stats.upstream_calls == 0


async def test_global_shortcut_opens_the_search_modal(flow: LookupFlow, web: StubWebClient) -> None:
    body = {"type": "shortcut", "callback_id": ids.GLOBAL_SHORTCUT, "trigger_id": "9.9.9",
            "team": {"id": TEAM}, "user": {"id": USER}}  # fmt: skip
    await ShortcutListener(flow).on_global_shortcut(RecordingAck(), body)
    [opened] = web.named("views.open")
    assert opened["trigger_id"] == "9.9.9"
    assert opened["view"]["callback_id"] == ids.SEARCH_CALLBACK_ID


@pytest.mark.parametrize("env", [{"WOLKVOX_ALLOWED_USERS": "U0BOSS"}])
async def test_global_shortcut_refuses_in_the_modal(flow: LookupFlow, web: StubWebClient) -> None:
    body = {"type": "shortcut", "trigger_id": "9.9.9", "user": {"id": USER}, "team": {"id": TEAM}}
    await ShortcutListener(flow).on_global_shortcut(RecordingAck(), body)
    [opened] = web.named("views.open")
    assert "callback_id" not in opened["view"] and "🚫" in text_of(opened["view"])

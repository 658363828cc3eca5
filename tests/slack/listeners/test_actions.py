"""Buttons: Share into the channel (masked), Refresh in place, Show all in a modal, stale
values answered politely."""

from __future__ import annotations

from typing import Any

from bot.devtools.fakeslack.reading import text_of
from bot.query import Query
from bot.slack import ids
from bot.slack.flow import LookupFlow
from bot.slack.listeners.actions import ActionListener
from tests.doubles import RecordingAck, RecordingHooks, StubWebClient, respond_for
from tests.slack.listeners.conftest import CHANNEL, PHONE, TEAM, USER


def press(
    flow: LookupFlow, action_id: str, value: str | None = None, **extra: Any
) -> dict[str, Any]:
    if value is None:
        value = flow.rt.sealer.seal(Query(phone=PHONE))
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": USER},
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "is_ephemeral": True},
        "trigger_id": "4.5.6",
        "response_url": "https://hooks.slack.com/actions/T0/1/x",
        "actions": [{"action_id": action_id, "type": "button", "value": value}],
        **extra,
    }


async def test_share_posts_a_masked_card_in_the_channel(
    flow: LookupFlow, hooks: RecordingHooks
) -> None:
    respond = respond_for()
    await ActionListener(flow).on_share(RecordingAck(), press(flow, ids.ACTION_SHARE), respond)
    [shared] = hooks.bodies
    assert shared["response_type"] == "in_channel"
    text = text_of(shared["blocks"])
    assert PHONE not in text and "4567" in text and f"<@{USER}>" in text


async def test_refresh_replaces_the_card(flow: LookupFlow, hooks: RecordingHooks) -> None:
    respond = respond_for()
    await ActionListener(flow).on_refresh(RecordingAck(), press(flow, ids.ACTION_REFRESH), respond)
    [refreshed] = hooks.bodies
    assert refreshed["replace_original"] is True and "María Fernanda" in text_of(refreshed)


async def test_show_all_opens_a_modal(flow: LookupFlow, web: StubWebClient) -> None:
    await ActionListener(flow).on_show_all(
        RecordingAck(), press(flow, ids.ACTION_SHOW_ALL), respond_for()
    )
    [opened] = web.named("views.open")
    assert opened["trigger_id"] == "4.5.6" and "María Fernanda" in text_of(opened["view"])


async def test_show_all_falls_back_to_a_message_when_the_trigger_expired(
    flow: LookupFlow, hooks: RecordingHooks, web: StubWebClient
) -> None:
    web.fail.add("views.open")
    respond = respond_for()
    await ActionListener(flow).on_show_all(
        RecordingAck(), press(flow, ids.ACTION_SHOW_ALL), respond
    )
    [fallback] = hooks.bodies
    assert fallback["response_type"] == "ephemeral" and len(fallback["blocks"]) <= 50


async def test_a_tampered_value_is_a_stale_button_and_no_lookup(
    flow: LookupFlow, hooks: RecordingHooks
) -> None:
    respond = respond_for()
    body = press(flow, ids.ACTION_REFRESH, value="gAAAAA-not-sealed-by-us")
    await ActionListener(flow).on_refresh(RecordingAck(), body, respond)
    [note] = hooks.bodies
    assert "⌛" in text_of(note) and note["replace_original"] is False
    assert flow.rt.service.stats.upstream_calls == 0

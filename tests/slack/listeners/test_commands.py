"""`/wolkvox`: help, usage, status and find, each answered in the ack or via response_url."""

from __future__ import annotations

import pytest

from bot.devtools.fakeslack.reading import text_of
from bot.slack.flow import LookupFlow
from bot.slack.listeners.commands import CommandListener
from tests.doubles import RecordingAck, RecordingHooks, respond_for
from tests.slack.listeners.conftest import CHANNEL, PHONE, TEAM, USER


def body(text: str, user: str = USER) -> dict[str, str]:
    return {
        "command": "/wolkvox",
        "text": text,
        "team_id": TEAM,
        "user_id": user,
        "channel_id": CHANNEL,
        "response_url": "https://hooks.slack.com/commands/T0/1/x",
        "trigger_id": "1.2.3",
    }


async def test_help_is_the_ack(flow: LookupFlow, hooks: RecordingHooks) -> None:
    ack, respond = RecordingAck(), respond_for()
    await CommandListener(flow).on_wolkvox(ack, body("help"), respond)
    [acked] = ack.calls
    assert "/wolkvox find" in text_of(acked["blocks"])
    assert hooks.bodies == []


async def test_bad_input_is_a_usage_ack_and_costs_no_lookup(flow: LookupFlow) -> None:
    ack, respond = RecordingAck(), respond_for()
    await CommandListener(flow).on_wolkvox(ack, body("find abc"), respond)
    [acked] = ack.calls
    assert "abc" in text_of(acked["blocks"]) and "isn't a phone number" in text_of(acked)
    assert flow.rt.service.stats.upstream_calls == 0


async def test_find_acks_then_the_card_follows_privately(
    flow: LookupFlow, hooks: RecordingHooks
) -> None:
    ack, respond = RecordingAck(), respond_for()
    await CommandListener(flow).on_wolkvox(ack, body(f"find {PHONE}"), respond)
    assert len(ack.calls) == 1
    cards = [*ack.calls, *hooks.bodies]
    answer = text_of(cards[-1]["blocks"])
    assert "María Fernanda Gómez Restrepo" in answer and PHONE in answer  # private: unmasked
    for follow_up in hooks.bodies:
        assert follow_up["response_type"] == "ephemeral" and not follow_up["replace_original"]


async def test_a_cached_answer_is_the_ack_itself(flow: LookupFlow, hooks: RecordingHooks) -> None:
    listener = CommandListener(flow)
    await listener.on_wolkvox(RecordingAck(), body(f"find {PHONE}"), respond_for())
    posted = len(hooks.bodies)
    ack = RecordingAck()
    await listener.on_wolkvox(ack, body(f"find {PHONE}"), respond_for())
    [acked] = ack.calls
    assert "María Fernanda" in text_of(acked["blocks"])
    assert hooks.bodies[posted:] == []


@pytest.mark.parametrize("env", [{"WOLKVOX_ALLOWED_USERS": "U0BOSS"}])
async def test_status_and_find_are_refused_to_users_not_allowed(flow: LookupFlow) -> None:
    for text in ("status", f"find {PHONE}"):
        ack = RecordingAck()
        await CommandListener(flow).on_wolkvox(ack, body(text), respond_for())
        assert "🚫" in text_of(ack.calls[0]["blocks"])
    assert flow.rt.service.stats.upstream_calls == 0


@pytest.mark.parametrize("env", [{"WOLKVOX_ALLOWED_USERS": USER}])
async def test_status_for_allowed_users(flow: LookupFlow) -> None:
    ack = RecordingAck()
    await CommandListener(flow).on_wolkvox(ack, body("status"), respond_for())
    assert "demo" not in text_of(ack.calls[0])  # the token shows masked only
    assert "Wolkvox" in text_of(ack.calls[0])

"""Direct messages: a person's new message in their DM is answered there; nothing else is."""

from __future__ import annotations

from typing import Any

import pytest

from bot.devtools.fakeslack.reading import text_of
from bot.slack.flow import LookupFlow
from bot.slack.listeners.messages import MessageListener, is_a_person_writing_to_the_bot
from tests.doubles import StubWebClient
from tests.slack.listeners.conftest import PHONE, TEAM, USER

DM = "D0AGENTDM1"


def dm(text: str, **extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    event = {"type": "message", "channel": DM, "channel_type": "im", "user": USER,
             "text": text, "ts": "1700000000.000300", **extra}  # fmt: skip
    return {"team_id": TEAM, "event_id": "Ev0DM0001", "event": event}, event


async def test_a_phone_in_a_dm_is_answered_in_the_dm(flow: LookupFlow, web: StubWebClient) -> None:
    body, event = dm(f"hola, el {PHONE} por favor")
    await MessageListener(flow).on_message(body, event)
    [placeholder] = web.named("chat.postMessage")
    assert placeholder["channel"] == DM
    [card] = web.named("chat.update")
    assert PHONE in text_of(card["blocks"])  # a DM is private


@pytest.mark.parametrize(
    "extra",
    [
        {"bot_id": "B0BOT"},
        {"subtype": "message_changed"},
        {"channel_type": "channel"},
        {"user": ""},
        {"text": ""},
    ],
)
def test_only_a_person_writing_to_the_bot_counts(extra: dict[str, Any]) -> None:
    event = dm(PHONE)[1]
    assert is_a_person_writing_to_the_bot(event)
    assert not is_a_person_writing_to_the_bot({**event, **extra})

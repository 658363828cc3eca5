"""`app_mention`: a placeholder in the thread, replaced by the card; retries answered once."""

from __future__ import annotations

from typing import Any

from bot.devtools.fakeslack.reading import text_of
from bot.slack.flow import LookupFlow
from bot.slack.listeners.mentions import MentionListener
from tests.doubles import StubWebClient
from tests.slack.listeners.conftest import CHANNEL, PHONE, TEAM, USER


def event_body(text: str, event_id: str = "Ev0001") -> tuple[dict[str, Any], dict[str, Any]]:
    event = {
        "type": "app_mention",
        "user": USER,
        "text": text,
        "ts": "1700000000.000100",
        "channel": CHANNEL,
        "event_ts": "1700000000.000100",
    }
    return {"team_id": TEAM, "event_id": event_id, "event": event, "type": "event_callback"}, event


async def test_the_card_replaces_the_placeholder_in_the_thread(
    flow: LookupFlow, web: StubWebClient
) -> None:
    body, event = event_body(f"<@U0BOT> find {PHONE}")
    await MentionListener(flow).on_mention(body, event)
    [placeholder] = web.named("chat.postMessage")
    assert placeholder["thread_ts"] == event["ts"]
    [update] = web.named("chat.update")
    card = text_of(update["blocks"])
    assert "María Fernanda" in card
    assert PHONE not in card and "4567" in card  # the channel reads it: masked


async def test_a_retried_event_is_answered_once(flow: LookupFlow, web: StubWebClient) -> None:
    listener = MentionListener(flow)
    body, event = event_body(f"<@U0BOT> {PHONE}")
    await listener.on_mention(body, event)
    calls = len(web.calls)
    await listener.on_mention(body, event)
    assert len(web.calls) == calls


async def test_a_phone_inside_a_sentence_is_found(flow: LookupFlow, web: StubWebClient) -> None:
    body, event = event_body("hola <@U0BOT> ¿me ayudas con el 300 123 4567?")
    await MentionListener(flow).on_mention(body, event)
    assert "María Fernanda" in text_of(web.named("chat.update")[-1]["blocks"])


async def test_help_and_bad_input_are_private(flow: LookupFlow, web: StubWebClient) -> None:
    listener = MentionListener(flow)
    for n, text in enumerate(("<@U0BOT> help", "<@U0BOT> find id")):
        body, event = event_body(text, event_id=f"Ev{n}")
        await listener.on_mention(body, event)
    assert web.named("chat.postMessage") == []
    ephemerals = web.named("chat.postEphemeral")
    assert [e["user"] for e in ephemerals] == [USER, USER]
    assert all(e["thread_ts"] == "1700000000.000100" for e in ephemerals)

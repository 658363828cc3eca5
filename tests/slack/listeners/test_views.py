"""The search modal's submission: field errors inline, else loading, then the card."""

from __future__ import annotations

from typing import Any

from bot.devtools.fakeslack.reading import text_of
from bot.slack import ids
from bot.slack.flow import LookupFlow
from bot.slack.listeners.views import ViewListener, field_values
from tests.doubles import RecordingAck, StubWebClient
from tests.slack.listeners.conftest import PHONE, TEAM, USER


def submission(**values: str) -> tuple[dict[str, Any], dict[str, Any]]:
    state = {
        block: {block: {"type": "plain_text_input", "value": values.get(block)}}
        for block in ids.SEARCH_INPUTS
    }
    view = {"id": "V0MODAL", "callback_id": ids.SEARCH_CALLBACK_ID, "state": {"values": state}}
    body = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": USER}, "view": view}
    return body, view


def test_field_values_read_every_input_whatever_its_action_id() -> None:
    view = {"state": {"values": {"phone": {"any_id": {"value": " 300 "}}, "other": {}}}}
    assert field_values(view) == {"phone": " 300 "}


async def test_bad_input_is_shown_on_its_field(flow: LookupFlow) -> None:
    ack = RecordingAck()
    body, view = submission(phone="abc")
    await ViewListener(flow).on_search_submit(ack, body, view)
    [acked] = ack.calls
    assert acked["response_action"] == "errors" and set(acked["errors"]) == {"phone"}


async def test_loading_then_the_card_in_the_modal(flow: LookupFlow, web: StubWebClient) -> None:
    ack = RecordingAck()
    body, view = submission(phone=PHONE)
    await ViewListener(flow).on_search_submit(ack, body, view)
    [acked] = ack.calls
    assert acked["response_action"] == "update"
    [update] = web.named("views.update")
    assert update["view_id"] == "V0MODAL"
    shown = text_of(update["view"])
    assert "María Fernanda" in shown and PHONE in shown  # a modal is private
    assert not any(b["type"] == "actions" for b in update["view"]["blocks"])

"""Global shortcut `wolkvox_search` end to end: the modal opens inside the trigger's 3 s, bad
input is shown on its field, a good submit turns the modal into the card."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.devtools.stack import Stack
from tests.blockkit import assert_valid_modal
from tests.e2e.conftest import (
    SHOWCASE_ID,
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    ack_json,
    assert_acked,
    find_calls,
    settle,
    text_of,
    upstream_requests,
)

TRIGGER_MARGIN = 2.0  # the trigger dies at 3 s; the modal must open well before


async def open_search_modal(stack: Stack) -> dict[str, Any]:
    started = time.monotonic()
    status, _, elapsed = await stack.global_shortcut()
    assert_acked(status, elapsed)
    [call] = await stack.slack.wait_for("views.open")
    assert call.ok, call.response  # FakeSlack refuses a trigger older than 3 s
    assert call.at - started < TRIGGER_MARGIN
    view: dict[str, Any] = call.response["view"]
    return view


async def test_global_shortcut_opens_the_search_modal_at_once(stack: Stack) -> None:
    view = await open_search_modal(stack)
    assert_valid_modal(stack.slack.calls("views.open")[0].args["view"])
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert inputs == ["phone", "customer_id", "campaign_id"]
    assert view["callback_id"] == "wolkvox_search_submit"
    assert upstream_requests(stack) == 0


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"phone": "abc"}, "phone", "teléfono"),
        ({}, "phone", "teléfono"),  # nothing to search by: shown on the first field
        ({"phone": SHOWCASE_PHONE, "campaign_id": "x"}, "campaign_id", "campaña"),
    ],
)
async def test_bad_input_is_shown_inline_on_its_field(
    stack: Stack, values: dict[str, str], field: str, says: str
) -> None:
    view = await open_search_modal(stack)
    status, body, elapsed = await stack.submit(view, values)
    assert_acked(status, elapsed)
    answer = ack_json(body)
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [field]
    assert says in answer["errors"][field].lower()
    await settle(stack)
    assert upstream_requests(stack) == 0
    assert stack.slack.calls("views.update") == []


@pytest.mark.parametrize(
    "values", [{"phone": "300 123 4567"}, {"customer_id": SHOWCASE_ID, "campaign_id": "42"}]
)
async def test_good_submit_turns_the_modal_into_the_card(
    stack: Stack, values: dict[str, str]
) -> None:
    view = await open_search_modal(stack)
    status, body, elapsed = await stack.submit(view, values)
    assert_acked(status, elapsed)
    answer = ack_json(body)
    assert answer["response_action"] == "update"
    assert_valid_modal(answer["view"])
    assert "Buscando" in text_of(answer["view"]["blocks"])

    [update] = await stack.slack.wait_for("views.update", ok=True)
    assert update.args["view_id"] == view["id"]
    card = stack.slack.view(view["id"])
    text = text_of(card["blocks"])
    assert SHOWCASE_NAME in text and "Cobranza Q4" in text
    if "campaign_id" in values:
        assert "Ventas Hogar" not in text  # narrowed to campaign 42
    else:
        assert SHOWCASE_PHONE in text  # the modal is private: full number
    # A modal has no conversation to share into: no buttons.
    assert not [b for b in card["blocks"] if b["type"] == "actions"]
    assert find_calls(stack) == 1

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
    await settle(stack)
    assert find_calls(stack) == 0  # only the campaign list, for the picker
    assert upstream_requests(stack) <= 1


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"phone": "abc"}, "phone", "teléfono"),
        ({}, "phone", "teléfono"),  # nothing to search by: shown on the first field
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
    assert find_calls(stack) == 0
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


# --- the campaign picker ---------------------------------------------------------------------


def campaign_element(view: dict[str, Any]) -> dict[str, Any]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == "campaign_id"]
    element: dict[str, Any] = block["element"]
    return element


async def test_the_campaign_field_is_a_picker_of_names_with_all_by_default(stack: Stack) -> None:
    view = await open_search_modal(stack)
    element = campaign_element(view)
    assert element["type"] == "static_select"
    assert element["initial_option"]["value"] == "all"
    labels = [o["text"]["text"] for o in element["options"]]
    assert labels[0] == "Todas las campañas"
    assert any("Cobranza Q4" in label and "42" in label for label in labels)
    calls = upstream_requests(stack)
    await open_search_modal_again(stack)
    assert upstream_requests(stack) == calls  # the list is cached: no second call


async def open_search_modal_again(stack: Stack) -> dict[str, Any]:
    before = len(stack.slack.calls("views.open"))
    await stack.global_shortcut()
    calls = await stack.slack.wait_for("views.open", before + 1)
    view: dict[str, Any] = calls[-1].response["view"]
    return view


async def test_a_picked_campaign_narrows_the_search(stack: Stack) -> None:
    view = await open_search_modal(stack)
    status, _, _ = await stack.submit(view, {"phone": SHOWCASE_PHONE, "campaign_id": "42"})
    assert status == 200
    await stack.slack.wait_for("views.update", ok=True)
    await settle(stack)
    [key] = [k for k in stack.simulator_stats.queries if k.api == "find_record"]  # type: ignore[union-attr]
    assert "42" in str(key)


async def test_all_campaigns_searches_every_campaign(stack: Stack) -> None:
    view = await open_search_modal(stack)
    await stack.submit(view, {"phone": SHOWCASE_PHONE})  # the picker left on "all campaigns"
    updates = await stack.slack.wait_for("views.update", ok=True)
    assert "Cobranza Q4" in text_of(updates[-1].args["view"]["blocks"])


async def test_typing_in_the_picker_filters_by_name_or_id(stack: Stack) -> None:
    from bot.devtools.fakeslack import requests as sr
    from bot.devtools.stack import AGENT, TEAM

    view = await open_search_modal(stack)
    calls = upstream_requests(stack)
    for typed, expect in (("cobr", "Cobranza Q4"), ("42", "Cobranza Q4")):
        body = sr.block_suggestion_body(
            view=view, action_id="campaign_id", value=typed, user_id=AGENT, team_id=TEAM
        )
        status, text, elapsed = await stack.post(body, sr.FORM)
        assert_acked(status, elapsed)
        options = ack_json(text)["options"]
        assert options and all(typed.casefold() in o["text"]["text"].casefold() for o in options)
        assert any(expect in o["text"]["text"] for o in options)
    assert upstream_requests(stack) == calls  # suggestions never call Wolkvox


@pytest.mark.simulator(maintenance=True)
async def test_without_the_campaign_list_the_field_takes_an_id_with_a_hint(stack: Stack) -> None:
    view = await open_search_modal(stack)
    element = campaign_element(view)
    assert element["type"] == "plain_text_input"
    [block] = [b for b in view["blocks"] if b.get("block_id") == "campaign_id"]
    assert "escribe el id" in block["hint"]["text"]
    await settle(stack)
    calls = upstream_requests(stack)
    await open_search_modal_again(stack)
    await settle(stack)
    assert upstream_requests(stack) == calls  # at most one extra call an hour for the list
    _, body, _ = await stack.submit(view, {"phone": SHOWCASE_PHONE, "campaign_id": "x"})
    answer = ack_json(body)
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["campaign_id"]

"""Buttons on a card end to end: Share in channel, Refresh, Show all, and forged values."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot.devtools.stack import AGENT, CHANNEL, Stack, local_stack
from tests.blockkit import assert_valid_modal
from tests.e2e.conftest import (
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    TOKEN,
    assert_everything_valid,
    assert_no_full_phone,
    button_values,
    command_answer,
    find_action_value,
    find_calls,
    press_custom,
    settle,
    text_of,
    upstream_requests,
    with_button_value,
)

OTHER = "U0COLLEAG1"


async def share(stack: Stack, card: dict[str, Any]) -> dict[str, Any]:
    """Press Share on a private card; return what the channel got via response_url."""
    return await share_as(stack, "share_card", card)


async def share_as(stack: Stack, action_id: str, card: dict[str, Any]) -> dict[str, Any]:
    status, _, elapsed, url = await stack.press(action_id, card)
    assert status == 200 and elapsed < 3
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    return post.body


async def test_share_posts_in_channel_masked_and_says_who_shared(stack: Stack) -> None:
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    assert SHOWCASE_PHONE in text_of(card["blocks"])  # private: full number

    shared = await share(stack, card)
    assert shared["response_type"] == "in_channel"
    assert shared.get("replace_original") is not True  # the private card stays for the sharer
    text = text_of(shared["blocks"])
    assert SHOWCASE_NAME in text and "Cobranza Q4" in text
    assert "••••••4567" in text
    assert f"<@{AGENT}>" in text and "Compartido por" in text
    assert "share_card" not in json.dumps(shared)  # no re-sharing a shared card
    # Not in the text, not in a button value (sealed), not anywhere in what went to the channel.
    assert_no_full_phone(json.dumps(shared, ensure_ascii=False), SHOWCASE_PHONE)
    values = button_values(shared)
    assert values, "a shared card keeps its Refresh button"
    for value in values:  # sealed: only the bot can read the query back
        opened = stack.bot.runtime.sealer.open(value)
        assert opened is not None and opened.query.phone == SHOWCASE_PHONE
        assert opened.concealed  # what the shared card hides, its buttons keep hidden


async def test_share_falls_back_to_chat_post_message_when_response_url_fails(
    stack: Stack,
) -> None:
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    url = stack.slack.new_response_url(channel_id=CHANNEL, user_id=AGENT)
    stack.slack.hook_fail(url, times=5)  # Slack's side of the response_url is down
    status, elapsed, _, _ = await press_custom(stack, "share_card", card, response_url=url)
    assert status == 200 and elapsed < 3
    [posted] = await stack.slack.wait_for("chat.postMessage", ok=True, timeout=10)
    assert posted.args["channel"] == CHANNEL
    assert "••••••4567" in text_of(posted.args["blocks"])
    assert_no_full_phone(json.dumps(posted.args, ensure_ascii=False), SHOWCASE_PHONE)


async def test_refresh_skips_the_cache_and_replaces_the_card(stack: Stack) -> None:
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    assert find_calls(stack) == 1
    # A plain repeat is served from the cache …
    await command_answer(stack, f"find {SHOWCASE_PHONE}")
    assert find_calls(stack) == 1
    # … Refresh asks Wolkvox again.
    status, _, elapsed, url = await stack.press("refresh_card", card)
    assert status == 200 and elapsed < 3
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    assert post.body.get("replace_original") is True
    text = text_of(post.body["blocks"])
    assert "En vivo" in text and SHOWCASE_NAME in text
    assert find_calls(stack) == 2


async def test_refresh_on_a_shared_card_keeps_it_masked(stack: Stack) -> None:
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    shared = await share(stack, card)
    status, _, elapsed, url = await stack.press(
        "refresh_card", shared, user=OTHER, is_ephemeral=False
    )
    assert status == 200 and elapsed < 3
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    assert "••••••4567" in text_of(post.body["blocks"])
    assert_no_full_phone(json.dumps(post.body, ensure_ascii=False), SHOWCASE_PHONE)


async def test_tampered_button_value_gets_a_polite_message_and_no_lookup(stack: Stack) -> None:
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    before = upstream_requests(stack)
    sealed = find_action_value(card, "refresh_card")
    flipped = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    forged = [
        flipped,
        "garbage",
        json.dumps({"phone": "3009999999", "customer_id": "", "campaign_id": ""}),
    ]
    for value in forged:
        tampered = with_button_value(card, "refresh_card", value)
        status, _, elapsed, url = await stack.press("refresh_card", tampered)
        assert status == 200 and elapsed < 3
        [post] = await stack.slack.wait_for_response(url)
        assert isinstance(post.body, dict)
        assert "Este botón ya no sirve" in text_of(post.body["blocks"])
        assert post.body.get("replace_original") is not True  # the card itself stays
    await settle(stack)
    assert upstream_requests(stack) == before


# ---------------------------------------------------------------- Show all

CAMPAIGNS = 46  # more than a message's 50 blocks can show, fewer than a modal's 100
CUT_PHONE = "3005550000"


def _records(count: int, customer_id: str = "55") -> list[dict[str, str]]:
    return [
        {
            "customer_name": "Ana",
            "customer_last_name": "Ruiz",
            "customer_id": customer_id,
            "tel1": CUT_PHONE,
            "date": f"2026-01-{1 + i % 28:02d} 10:{i % 60:02d}:00",
            "calls": "1",
            "conn_id": f"c{i}",
            "result": "answer",
            "campaign_id": str(100 + i),
        }
        for i in range(count)
    ]


@contextlib.asynccontextmanager
async def many_campaigns_wolkvox(
    campaigns: int = CAMPAIGNS, customer_id: str = "55"
) -> AsyncIterator[tuple[str, list[str]]]:
    """A loopback Wolkvox whose one customer sits in `campaigns` campaigns (the demo has 5)."""
    seen: list[str] = []

    async def campaign(request: web.Request) -> web.Response:
        seen.append(request.query.get("api", ""))
        data = _records(campaigns, customer_id)
        return web.json_response(
            {"code": "200", "error": None, "msg": f"{len(data)} records were found", "data": data}
        )

    async def information(request: web.Request) -> web.Response:
        seen.append(request.query.get("api", ""))
        return web.json_response({"code": "200", "error": None, "data": []})

    app = web.Application()
    app.router.add_get("/api/v2/campaign.php", campaign)
    app.router.add_get("/api/v2/information.php", information)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_a_cut_card_offers_show_all_which_opens_a_modal_with_the_rest() -> None:
    async with (
        many_campaigns_wolkvox() as (url, seen),
        local_stack(env={"WOLKVOX_TOKEN": TOKEN}, simulator_url=url) as stack,
    ):
        _, card, _ = await command_answer(stack, f"find {CUT_PHONE}")
        text = text_of(card["blocks"])
        assert f"{CAMPAIGNS} campañas" in text
        assert "sin mostrar" in text and "Ver todo" in text  # says how much it left out
        shown_in_card = sum(1 for b in card["blocks"] if b.get("fields"))
        assert shown_in_card < CAMPAIGNS

        status, _, elapsed, _ = await stack.press("show_all", card)
        assert status == 200 and elapsed < 3
        [opened] = await stack.slack.wait_for("views.open", ok=True)
        view = opened.args["view"]
        assert_valid_modal(view)
        shown_in_modal = sum(1 for b in view["blocks"] if b.get("fields"))
        assert shown_in_modal == CAMPAIGNS
        assert "sin mostrar" not in text_of(view["blocks"])
        assert seen.count("find_record") == 1  # Show all is served from the cache
        await settle(stack)
        assert_everything_valid(stack)


async def test_show_all_with_an_expired_trigger_answers_privately_instead() -> None:
    async with (
        many_campaigns_wolkvox(60) as (url, _),
        local_stack(env={"WOLKVOX_TOKEN": TOKEN}, simulator_url=url) as stack,
    ):
        _, card, _ = await command_answer(stack, f"find {CUT_PHONE}")
        trigger = stack.slack.new_trigger_id(user_id=AGENT)
        stack.slack.expire_trigger(trigger)  # as if the lookup had taken more than 3 s
        status, elapsed, hook, _ = await press_custom(stack, "show_all", card, trigger_id=trigger)
        assert status == 200 and elapsed < 3
        [post] = await stack.slack.wait_for_response(hook)  # accepted by Slack: a valid message
        assert isinstance(post.body, dict)
        assert post.body.get("response_type") == "ephemeral"
        assert "Ana Ruiz" in text_of(post.body["blocks"])
        await settle(stack)
        assert_everything_valid(stack)


async def test_buttons_of_the_second_card_in_a_multi_answer(stack: Stack) -> None:
    status, _, _, url = await stack.message_shortcut("Casos: 3009999999 y 300 123 4567")
    assert status == 200
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    multi = post.body
    shared = await share_as(stack, "share_card#2", multi)
    text = text_of(shared["blocks"])
    assert SHOWCASE_NAME in text and "Sin registros" not in text  # the second card's query
    assert_no_full_phone(json.dumps(shared, ensure_ascii=False), SHOWCASE_PHONE)
    before = find_calls(stack)
    status, _, _, url = await stack.press("refresh_card#2", multi)
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    assert SHOWCASE_NAME in text_of(post.body["blocks"])
    assert find_calls(stack) == before + 1


async def test_what_a_shared_card_hides_stays_hidden_on_every_path_from_it() -> None:
    """Shared cards mask phones and customer ids (as the audit does); Show all and Refresh
    pressed on one, by anyone in the channel, keep them masked, modal included."""
    customer_id = "1020304050"
    async with (
        many_campaigns_wolkvox(customer_id=customer_id) as (url, _),
        local_stack(env={"WOLKVOX_TOKEN": TOKEN}, simulator_url=url) as stack,
    ):
        _, card, _ = await command_answer(stack, f"find {CUT_PHONE}")
        assert customer_id in text_of(card["blocks"])  # the private card shows it in full
        status, _, _, hook = await stack.press("share_card", card)
        [shared_post] = await stack.slack.wait_for_response(hook)
        shared = shared_post.body
        assert isinstance(shared, dict)
        assert customer_id not in json.dumps(shared) and "••••••4050" in text_of(shared)
        assert CUT_PHONE not in json.dumps(shared)

        status, _, _, _ = await stack.press(
            "show_all", shared, user="U0OTHER02", is_ephemeral=False
        )
        assert status == 200
        [opened] = await stack.slack.wait_for("views.open", ok=True)
        modal = json.dumps(opened.args, ensure_ascii=False)
        assert "Ana" in modal and "••••••4050" in modal
        assert customer_id not in modal and CUT_PHONE not in modal

        status, _, _, hook = await stack.press("refresh_card", shared, is_ephemeral=False)
        [refreshed] = await stack.slack.wait_for_response(hook)
        again = json.dumps(refreshed.body, ensure_ascii=False)
        assert "Ana" in again and customer_id not in again and CUT_PHONE not in again

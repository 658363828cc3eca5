"""Views: the search form, the loading view, and a card shown in a modal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.i18n import t
from bot.slack.cards.blocks import Block, Card, context_block, plain_text_obj, section_block
from bot.slack.cards.mrkdwn import plain
from bot.slack.cards.result import progress_line
from bot.slack.ids import (
    INPUT_CAMPAIGN_ID,
    INPUT_CUSTOMER_ID,
    INPUT_MAX_LENGTH,
    INPUT_OPERATION,
    INPUT_PHONE,
    MAX_MODAL_BLOCKS,
    MAX_MODAL_TITLE,
    SEARCH_CALLBACK_ID,
)


def _modal(title: str, blocks: list[Block], *, close: str, **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": plain_text_obj(title, MAX_MODAL_TITLE),
        "close": plain_text_obj(close, MAX_MODAL_TITLE),
        "blocks": blocks,
    }
    view.update(extra)
    return view


def _input(block_id: str, label: str, placeholder: str, initial: str, hint: str = "") -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": block_id,
        "max_length": INPUT_MAX_LENGTH[block_id],
        "placeholder": plain_text_obj(placeholder, 150),
    }
    initial = plain(initial, INPUT_MAX_LENGTH[block_id] + 16)[: INPUT_MAX_LENGTH[block_id]]
    if initial:
        element["initial_value"] = initial
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain_text_obj(label, 2000),
        "element": element,
    }
    if hint:
        block["hint"] = plain_text_obj(hint, 2000)
    return block


ALL_CAMPAIGNS = "all"  # the picker's value for "all campaigns" (an option needs a value)
MAX_STATIC_OPTIONS = 100  # Slack's limit for a static_select; longer lists are searched
MAX_OPTION_TEXT = 75


def campaign_option(campaign_id: str, name: str) -> dict[str, Any]:
    """One campaign; with several operations its value is `<operation>:<id>` and its label
    "<Operation> · <name> · <id>" (the operation's name is in `name`)."""
    shown = campaign_id.rpartition(":")[2]
    label = f"{name} · {shown}" if name else shown
    return {"text": plain_text_obj(plain(label, MAX_OPTION_TEXT)), "value": campaign_id[:150]}


def all_campaigns_option(lang: str) -> dict[str, Any]:
    return {"text": plain_text_obj(t(lang, "modal_campaign_all")), "value": ALL_CAMPAIGNS}


def campaign_options(
    campaigns: Mapping[str, str], typed: str, lang: str, *, limit: int = MAX_STATIC_OPTIONS
) -> list[dict[str, Any]]:
    """The picker's options matching what the user typed (a name or an id, any case), "all
    campaigns" first; at most `limit` (Slack shows 100)."""
    needle = typed.strip().casefold()
    found = [all_campaigns_option(lang)] if not needle else []
    for cid, name in sorted(campaigns.items(), key=lambda item: (item[1].casefold(), item[0])):
        if not needle or needle in cid.casefold() or needle in name.casefold():
            found.append(campaign_option(cid, name))
        if len(found) >= limit:
            break
    return found


def _campaign_picker(lang: str, campaigns: Mapping[str, str], initial: str) -> Block:
    """A select of campaign names: static when the list fits, else searched as one types."""
    element: dict[str, Any] = {
        "action_id": INPUT_CAMPAIGN_ID,
        "placeholder": plain_text_obj(t(lang, "modal_campaign_search"), 150),
    }
    if len(campaigns) + 1 <= MAX_STATIC_OPTIONS:
        element["type"] = "static_select"
        element["options"] = campaign_options(campaigns, "", lang)
    else:
        element["type"] = "external_select"
        element["min_query_length"] = 0
    if initial and initial in campaigns:
        element["initial_option"] = campaign_option(initial, campaigns[initial])
    else:
        element["initial_option"] = all_campaigns_option(lang)
    return {
        "type": "input",
        "block_id": INPUT_CAMPAIGN_ID,
        "optional": True,
        "label": plain_text_obj(t(lang, "modal_campaign"), 2000),
        "element": element,
    }


ALL_OPERATIONS = "*"  # the operation picker's value for "every operation"


def _operation_picker(lang: str, operations: Sequence[tuple[str, str]]) -> Block:
    """Every operation the asker may search (key, name), "every one" first and chosen."""
    every = {"text": plain_text_obj(t(lang, "modal_operation_all")), "value": ALL_OPERATIONS}
    options = [every] + [
        {"text": plain_text_obj(plain(name, MAX_OPTION_TEXT)), "value": key[:150]}
        for key, name in operations[: MAX_STATIC_OPTIONS - 1]
    ]
    return {
        "type": "input",
        "block_id": INPUT_OPERATION,
        "optional": True,
        "label": plain_text_obj(t(lang, "modal_operation"), 2000),
        "element": {
            "type": "static_select",
            "action_id": INPUT_OPERATION,
            "options": options,
            "initial_option": every,
        },
    }


def search_modal(
    lang: str,
    *,
    initial: dict[str, str] | None = None,
    private_metadata: str = "",
    campaigns: Mapping[str, str] | None = None,
    operations: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The global shortcut's form: phone, customer id and campaign, all optional (the submit
    handler reports "give a phone or an id" inline). `private_metadata` ≤ 3000 chars.

    `campaigns` (id → name, the hourly list): a picker of names; None or empty (the list could
    not be fetched): a field to type the id in, with a hint saying why. `operations` (key,
    name): a picker to search one of them, when there are several."""
    values = initial or {}
    blocks = [
        _input(
            INPUT_PHONE,
            t(lang, "modal_phone"),
            t(lang, "modal_phone_placeholder"),
            values.get(INPUT_PHONE, ""),
            hint=t(lang, "modal_hint"),
        ),
        _input(
            INPUT_CUSTOMER_ID,
            t(lang, "modal_customer_id"),
            t(lang, "modal_customer_id_placeholder"),
            values.get(INPUT_CUSTOMER_ID, ""),
        ),
        _campaign_picker(lang, campaigns, values.get(INPUT_CAMPAIGN_ID, ""))
        if campaigns
        else _input(
            INPUT_CAMPAIGN_ID,
            t(lang, "modal_campaign_id"),
            t(lang, "modal_campaign_id_placeholder"),
            values.get(INPUT_CAMPAIGN_ID, ""),
            hint=t(lang, "modal_campaign_unavailable") if campaigns is not None else "",
        ),
    ]
    if len(operations) > 1:
        blocks.append(_operation_picker(lang, operations))
    extra: dict[str, Any] = {
        "callback_id": SEARCH_CALLBACK_ID,
        "submit": plain_text_obj(t(lang, "modal_search_submit"), MAX_MODAL_TITLE),
    }
    if private_metadata:
        if len(private_metadata) > 3000:
            raise ValueError("private_metadata is limited to 3000 characters")
        extra["private_metadata"] = private_metadata
    return _modal(t(lang, "modal_search_title"), blocks, close=t(lang, "modal_cancel"), **extra)


def result_modal(card: Card, lang: str) -> dict[str, Any]:
    """A card shown in the search modal (render it with `max_blocks=100`)."""
    blocks = card.blocks[:MAX_MODAL_BLOCKS] or [section_block(card.text)]
    return _modal(t(lang, "modal_result_title"), blocks, close=t(lang, "modal_close"))


def loading_modal(lang: str, *, position: int | None = None) -> dict[str, Any]:
    """What the modal shows between submit and the answer; `position`: 1-based place in line,
    or SLOW."""
    blocks = [section_block(t(lang, "modal_loading"))]
    news = progress_line(position, lang)
    if news:
        blocks.append(context_block(news))
    return _modal(t(lang, "modal_search_title"), blocks, close=t(lang, "modal_close"))

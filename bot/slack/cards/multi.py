"""Several answers in one message (the message shortcut), whole cards, in order."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from bot.i18n import t, tn
from bot.slack.cards.blocks import Block, Card, blocks_text_length, mrkdwn_obj
from bot.slack.cards.notices import render_nothing_found_in_message
from bot.slack.ids import MAX_FALLBACK_TEXT, MAX_MESSAGE_BLOCKS, TEXT_BUDGET


def render_multi(
    cards: Sequence[Card], max_blocks: int = MAX_MESSAGE_BLOCKS, *, lang: str = "es"
) -> Card:
    """Several answers in one message (the message shortcut), whole cards, in order.

    Cards that do not fit (blocks or text) are left out and counted (`left_out` counts cards
    here, and a note says how many). Render each card with a share of the blocks (e.g.
    `max_blocks // len(queries)`) so they all fit. Button action ids of the 2nd card on get a
    `#n` suffix, because action ids must be unique within a message: listeners match them with
    `action_pattern`. No cards at all gives the "nothing found in that message" card.
    """
    if not cards:
        return render_nothing_found_in_message(lang)
    chunks: list[list[Block]] = []  # the blocks of each shown card, divider included
    used_blocks = used_text = 0
    for index, card in enumerate(cards):
        candidate = copy.deepcopy(card.blocks[:max_blocks])
        if index:
            _suffix_actions(candidate, index)
            candidate.insert(0, {"type": "divider"})
        size = blocks_text_length(candidate)
        if chunks and (used_blocks + len(candidate) > max_blocks or used_text + size > TEXT_BUDGET):
            break
        chunks.append(candidate)
        used_blocks += len(candidate)
        used_text += size
    while True:
        left_out = len(cards) - len(chunks)
        blocks = [block for chunk in chunks for block in chunk]
        if not left_out:
            break
        note = mrkdwn_obj(tn(lang, "multi_left_out", left_out))
        if len(blocks) < max_blocks:
            blocks.append({"type": "context", "elements": [note]})
            break
        last_context = next((b for b in reversed(blocks) if b["type"] == "context"), None)
        if last_context is not None and len(last_context["elements"]) < 10:
            last_context["elements"].append(note)
            break
        if len(chunks) == 1:
            break  # nowhere to say it; the one card shown is still whole and valid
        chunks.pop()
    text = " | ".join(cards[i].text for i in range(len(chunks)))
    if len(text) > MAX_FALLBACK_TEXT:
        text = text[: MAX_FALLBACK_TEXT - 1] + "…"
    return Card(blocks=blocks, text=text or t(lang, "fallback_help"), left_out=left_out)


def _suffix_actions(blocks: list[Block], index: int) -> None:
    for block in blocks:
        if block.get("type") == "actions":
            for element in block.get("elements", []):
                if "action_id" in element:
                    element["action_id"] = f"{element['action_id']}#{index + 1}"

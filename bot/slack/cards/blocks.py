"""Block Kit primitives within Slack's limits: the only place a block dict is spelled out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.slack.cards.mrkdwn import or_placeholder, plain
from bot.slack.ids import MAX_HEADER, MAX_TEXT

Block = dict[str, Any]


@dataclass(slots=True)
class Card:
    """A rendered message: blocks, the plain notification fallback, and what did not fit."""

    blocks: list[Block]
    text: str  # notification / screen-reader fallback; short, no more PII than the blocks
    left_out: int = 0  # campaigns not shown (for render_multi: searches not shown)


def mrkdwn_obj(text: str, *, verbatim: bool = False) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": "mrkdwn", "text": or_placeholder(text)[:MAX_TEXT]}
    if verbatim:
        obj["verbatim"] = True  # no auto-linking of URLs or #channels found in data
    return obj


def plain_text_obj(text: str, limit: int = MAX_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": or_placeholder(plain(text, limit)), "emoji": True}


def section_block(text: str, *, verbatim: bool = False) -> Block:
    return {"type": "section", "text": mrkdwn_obj(text, verbatim=verbatim)}


def header_block(text: str) -> Block:
    return {"type": "header", "text": plain_text_obj(text, MAX_HEADER)}


def context_block(*texts: str, verbatim: bool = False) -> Block:
    return {
        "type": "context",
        "elements": [mrkdwn_obj(x, verbatim=verbatim) for x in texts if x][:10],
    }


def button_element(
    label: str, action_id: str, value: str, *, primary: bool = False
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": plain_text_obj(label, 75),
        "action_id": action_id,
        "value": value,
    }
    if primary:
        button["style"] = "primary"
    return button


def blocks_text_length(blocks: Iterable[Any]) -> int:
    """Characters of every `text` string in the blocks: what Slack's cumulative limit counts."""
    total = 0
    stack: list[Any] = list(blocks)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    total += len(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return total


def field_obj(label: str, value: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": f"*{label}*\n{or_placeholder(value)}", "verbatim": True}

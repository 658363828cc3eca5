"""A card as readable terminal text: the local demo and `python -m bot find` print it."""

from __future__ import annotations

import re
from typing import Any

from bot.slack.cards.blocks import Card
from bot.slack.cards.mrkdwn import ZWJ

_DATE_TOKEN_RE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_USER_TOKEN_RE = re.compile(r"<@([A-Z0-9]+)>")
_PROTECTED_RE = re.compile(ZWJ + r"([*_~`])" + ZWJ)
_OWN_MARKUP_RE = re.compile(r"[*`]")


def _mrkdwn_to_text(text: str) -> str:
    text = _DATE_TOKEN_RE.sub(r"\1", text)
    text = _USER_TOKEN_RE.sub(r"@\1", text)
    # Our own bold/code markers go; characters from data (fenced by ZWJs) stay.
    parts = _PROTECTED_RE.split(text)
    out = []
    for i, part in enumerate(parts):
        out.append(part if i % 2 else _OWN_MARKUP_RE.sub("", part))
    text = "".join(out)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def card_to_text(card: Card) -> str:
    """The card as readable terminal text (the local demo and the terminal lookup print it)."""
    lines: list[str] = []
    for block in card.blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            lines += [title, "=" * min(len(title), 60)]
        elif kind == "section":
            if "text" in block:
                accessory = block.get("accessory") or {}
                button = accessory.get("text") if accessory.get("type") == "button" else None
                shown = _text_of(block["text"])
                lines.append(f"{shown}  [{button['text']}]" if isinstance(button, dict) else shown)
            for item in block.get("fields", []):
                label, _, value = _text_of(item).partition("\n")
                lines.append(f"  {label}: {value}" if value else f"  {label}")
        elif kind == "context":
            lines.append("  " + "  ".join(_text_of(e) for e in block["elements"] if "text" in e))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            labels = [
                f"[{e['text']['text']}]"
                for e in block["elements"]
                if isinstance(e.get("text"), dict)
            ]
            lines.append(" ".join(labels))
        elif kind == "input":
            lines.append(f"{block['label']['text']}: ____")
    return "\n".join(lines)


def _text_of(obj: dict[str, Any]) -> str:
    text = str(obj.get("text", ""))
    return _mrkdwn_to_text(text) if obj.get("type") == "mrkdwn" else text

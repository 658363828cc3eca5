"""Reading what the bot sent Slack: every `text` string in a message, card, view or Web API
call's arguments, in document order. One walker for the tests, the demo and the benchmarks."""

from __future__ import annotations

from typing import Any


def texts(node: Any) -> list[str]:
    """Every `text` string inside `node` (dicts and lists, any depth), in document order."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                found.append(value)
            else:
                found.extend(texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(texts(item))
    return found


def text_of(node: Any) -> str:
    """`texts` joined by newlines: one string to search."""
    return "\n".join(texts(node))

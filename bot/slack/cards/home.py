"""The App Home tab: a search button, the ways in, the status for allowed users, and the
user's own recent lookups (masked, with *Search again*). Pure: values in, a view out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.i18n import fmt_ago, t
from bot.slack.cards.blocks import (
    Block,
    Card,
    button_element,
    context_block,
    header_block,
    section_block,
)
from bot.slack.cards.mrkdwn import inert
from bot.slack.ids import ACTION_HOME_SEARCH, ACTION_SEARCH_AGAIN, MAX_HOME_BLOCKS
from bot.slack.recent import RecentLookup

_STATUS_BLOCKS = 8  # at most this much of the status card on the home tab


def render_home(
    lang: str,
    *,
    allowed: bool,
    recent: Sequence[RecentLookup] = (),
    status: Card | None = None,
    now: float,
) -> dict[str, Any]:
    """The home view for one user. Not allowed: the help only (no button, no status, no list)."""
    blocks: list[Block] = [header_block(t(lang, "home_title"))]
    if allowed:
        blocks.append(
            {
                "type": "actions",
                "block_id": "home_actions",
                "elements": [
                    button_element(
                        t(lang, "home_search_button"), ACTION_HOME_SEARCH, "open", primary=True
                    )
                ],
            }
        )
    blocks.append(section_block(t(lang, "home_ways")))
    if not allowed:
        blocks.append(context_block(t(lang, "home_not_allowed")))
        return {"type": "home", "blocks": blocks}
    blocks.append({"type": "divider"})
    blocks.append(header_block(t(lang, "home_recent_title")))
    if not recent:
        blocks.append(context_block(t(lang, "home_recent_none")))
    for n, entry in enumerate(recent):
        line = t(
            lang,
            "home_recent_line",
            query=inert(_shown(entry, lang), 200),
            when=fmt_ago(now - entry.at, lang),
            outcome=t(lang, f"home_outcome_{entry.outcome}"),
        )
        block = section_block(line)
        # Unique action ids per view: one listener matches `search_again` and its `#n`.
        action_id = ACTION_SEARCH_AGAIN if n == 0 else f"{ACTION_SEARCH_AGAIN}#{n + 1}"
        block["accessory"] = button_element(t(lang, "home_search_again"), action_id, entry.sealed)
        blocks.append(block)
    blocks.append(context_block(t(lang, "home_recent_note")))
    if status is not None:
        blocks.append({"type": "divider"})
        blocks.append(header_block(t(lang, "home_status_title")))
        blocks.extend(b for b in status.blocks[:_STATUS_BLOCKS] if b.get("type") != "header")
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def _shown(entry: RecentLookup, lang: str) -> str:
    """The masked query with its campaign in the reader's language."""
    if not entry.campaign:
        return entry.masked
    return " · ".join([entry.masked, t(lang, "query_campaign", id=entry.campaign)])

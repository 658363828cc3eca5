"""The App Home tab: a search button, the ways in, the status for allowed users, the user's own
recent lookups (masked, with *Search again*) and their Wolkvox extension (to call customers
back), with the form to link it. Pure: values in, a view out."""

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
    plain_text_obj,
    section_block,
)
from bot.slack.cards.mrkdwn import inert
from bot.slack.ids import (
    ACTION_HOME_SEARCH,
    ACTION_LINK_EXTENSION,
    ACTION_SEARCH_AGAIN,
    ACTION_UNLINK_EXTENSION,
    INPUT_EXTENSION,
    INPUT_OPERATION,
    LINK_CALLBACK_ID,
    MAX_HOME_BLOCKS,
)
from bot.slack.recent import RecentLookup

_STATUS_BLOCKS = 8  # at most this much of the status card on the home tab


def render_home(
    lang: str,
    *,
    allowed: bool,
    recent: Sequence[RecentLookup] = (),
    status: Card | None = None,
    now: float,
    extensions: Sequence[tuple[str, str, str]] = (),
    self_link: bool = False,
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
    blocks += _extension_blocks(lang, extensions, self_link)
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


def _extension_blocks(
    lang: str, extensions: Sequence[tuple[str, str, str]], self_link: bool
) -> list[Block]:
    """*My Wolkvox extension*: per operation (name, extension or "", how it is known), and the
    buttons to link one (or unlink one the user linked)."""
    if not extensions:
        return []
    blocks: list[Block] = [{"type": "divider"}, header_block(t(lang, "home_extension_title"))]
    several = len(extensions) > 1
    lines = []
    for name, extension, how in extensions:
        where = f"{inert(name, 40)}: " if several else ""
        if extension:
            lines.append(
                t(
                    lang,
                    "home_extension_is",
                    where=where,
                    extension=inert(extension, 12),
                    how=t(lang, f"home_extension_how_{how}"),
                )
            )
        else:
            lines.append(where + t(lang, "home_extension_none"))
    blocks.append(section_block("\n".join(lines)))
    buttons = []
    if self_link and any(how != "admin" for _, _, how in extensions):  # the mapping wins
        buttons.append(
            button_element(t(lang, "button_link_extension"), ACTION_LINK_EXTENSION, "link")
        )
    if any(how == "link" for _, _, how in extensions):
        buttons.append(
            button_element(t(lang, "button_unlink_extension"), ACTION_UNLINK_EXTENSION, "unlink")
        )
    if buttons:
        blocks.append({"type": "actions", "block_id": "home_extension", "elements": buttons})
    return blocks


def link_modal(lang: str, operations: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The extension form: the extension, and the operation when there are several."""
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": INPUT_EXTENSION,
            "label": plain_text_obj(t(lang, "link_modal_extension")),
            "hint": plain_text_obj(t(lang, "link_modal_hint")),
            "element": {
                "type": "plain_text_input",
                "action_id": INPUT_EXTENSION,
                "max_length": 12,
                "placeholder": plain_text_obj("12004"),
            },
        }
    ]
    if len(operations) > 1:
        options = [
            {"text": plain_text_obj(inert(name, 75) or key), "value": key}
            for key, name in operations[:100]
        ]
        blocks.append(
            {
                "type": "input",
                "block_id": INPUT_OPERATION,
                "label": plain_text_obj(t(lang, "modal_operation")),
                "element": {
                    "type": "static_select",
                    "action_id": INPUT_OPERATION,
                    "options": options,
                    "initial_option": options[0],
                },
            }
        )
    return {
        "type": "modal",
        "callback_id": LINK_CALLBACK_ID,
        "title": plain_text_obj(t(lang, "link_modal_title"), 24),
        "submit": plain_text_obj(t(lang, "link_modal_save"), 24),
        "close": plain_text_obj(t(lang, "modal_cancel"), 24),
        "blocks": blocks,
    }

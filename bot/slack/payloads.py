"""Slack payloads → what the bot needs of them: who asked, from where, and the words to read.

Pure functions over the dicts Slack sends (slash commands use flat keys, interactive payloads
nest objects, events put the message in `event`), tested on Slack's own published samples.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Any

from bot.errors import QueryError
from bot.query import MAX_SCAN_TEXT, Command, extract_queries, parse_command
from bot.slack.runtime import Actor, Surface

# Bounded and without nested repeats: linear in the text, whatever a user pastes ("<@A|" × 10⁴
# took seconds with an open-ended `[^>]*`).
_MENTION_RE = re.compile(r"<@[A-Z0-9]{1,32}(?:\|[^<>]{0,120})?>")


def _id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _orgs(*ids: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(i) for i in ids if isinstance(i, str) and i))


def actor_from_body(body: dict[str, Any], surface: Surface) -> Actor:
    """Slash commands use flat keys (user_id, team_id…); interactive payloads nest objects.

    The user's organisation: an interactive payload's `user.team_id` (a team, or on Enterprise
    Grid an enterprise id); a slash command names only where it was typed (`team_id`,
    `enterprise_id`), the closest Slack offers there."""
    user = body.get("user")
    team = body.get("team")
    enterprise = body.get("enterprise")
    team_id = str(body.get("team_id") or _id(team))
    if isinstance(user, dict) and user.get("team_id"):
        orgs = _orgs(user.get("team_id"))
    elif body.get("user_team"):
        orgs = _orgs(body.get("user_team"))
    else:
        enterprise_id = body.get("enterprise_id") or _id(enterprise)
        if isinstance(team, dict):
            enterprise_id = enterprise_id or team.get("enterprise_id")
        orgs = _orgs(team_id, enterprise_id)
    return Actor(
        team_id=team_id,
        user_id=str(body.get("user_id") or _id(user)),
        channel_id=str(body.get("channel_id") or _id(body.get("channel"))),
        surface=surface,
        locale=(user.get("locale") if isinstance(user, dict) else None) or body.get("locale"),
        orgs=orgs,
    )


def actor_from_event(body: dict[str, Any], event: dict[str, Any], surface: Surface) -> Actor:
    """An Events API callback: the user and channel are the event's, the team the envelope's.

    The user's organisation, the most specific Slack names: `event.user_team` (Slack Connect),
    else the event's `team` (the author's workspace), with the envelope's enterprise only when
    the channel is not shared with another company (`is_ext_shared_channel`): there the
    envelope names the installing side, which would let the other company's members in. An
    event naming no team at all (`app_home_opened`): None, and users.info tells."""
    team_id = str(body.get("team_id") or event.get("team") or "")
    if event.get("user_team"):
        orgs = _orgs(event.get("user_team"))
    elif event.get("team"):
        shared = body.get("is_ext_shared_channel") is not False
        orgs = _orgs(event.get("team"), None if shared else body.get("enterprise_id"))
    else:  # app_home_opened names no team: the envelope's is ours, not the user's
        orgs = None
    return Actor(
        team_id=team_id,
        user_id=str(event.get("user") or ""),
        channel_id=str(event.get("channel") or ""),
        surface=surface,
        orgs=orgs,
    )


def actor_from_function(body: dict[str, Any], requested_by: str) -> Actor:
    """A Workflow Builder run: no Slack user of its own. `requested_by` (an input the workflow
    fills) is whose rules apply, their organisation as users.info tells (orgs None); a run that
    names nobody is the workspace's own: the envelope's team and enterprise."""
    team_id = str(body.get("team_id") or "")
    return Actor(
        team_id=team_id,
        user_id=requested_by,
        channel_id="",
        surface=Surface.WORKFLOW,
        orgs=None if requested_by else _orgs(team_id, body.get("enterprise_id")),
    )


def strip_mentions(text: str) -> str:
    return _MENTION_RE.sub(" ", text).strip()


def command_texts(text: str) -> list[str]:
    """What to read as the command: the words after the first mention (so "hola @Wolkvox find
    300…" works), then the whole text without mentions; duplicates dropped."""
    match = _MENTION_RE.search(text)
    after = strip_mentions(text[match.end() :]) if match else ""
    return list(dict.fromkeys([after, strip_mentions(text)]))


def parse_mention(text: str, region: str, default_campaign: str) -> Command:
    """A command after the mention, else the first phone or labelled id in the sentence
    ("@Wolkvox ¿me ayudas con el 300 123 4567?"), else the command's own error. A bare
    "@Wolkvox" is the help. Only the first MAX_SCAN_TEXT characters are read."""
    text = text[:MAX_SCAN_TEXT]
    return _command_or_found(command_texts(text), text, region, default_campaign)


def parse_message(text: str, region: str, default_campaign: str) -> Command:
    """What a user wrote to the bot in a DM: a command ("find id 1020304050", "help"), else
    the first phone or labelled id in the sentence, else the command's own error. Only the
    first MAX_SCAN_TEXT characters are read."""
    text = text[:MAX_SCAN_TEXT]
    return _command_or_found([strip_mentions(text)], text, region, default_campaign)


def _command_or_found(
    candidates: list[str], text: str, region: str, default_campaign: str
) -> Command:
    first_error: QueryError | None = None
    for candidate in candidates:
        try:
            return parse_command(candidate, region, default_campaign)
        except QueryError as error:
            first_error = first_error or error
    found = extract_queries(
        strip_mentions(text), region, limit=1, default_campaign=default_campaign
    )
    if found:
        return Command("find", found[0])
    assert first_error is not None
    raise first_error


_TEXT_TYPES = frozenset({"text", "mrkdwn", "plain_text"})


def _block_words(node: Any, parts: list[str]) -> None:
    """Words inside blocks: rich_text `text` and `link` elements (a `tel:` link's number too),
    section and context texts and fields, wherever they nest."""
    if isinstance(node, list):
        for item in node:
            _block_words(item, parts)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    text = node.get("text")
    if isinstance(text, str) and (kind in _TEXT_TYPES or kind == "link"):
        parts.append(text)
    url = node.get("url")
    if kind == "link" and isinstance(url, str) and url.lower().startswith("tel:"):
        parts.append(url[4:])
    for value in node.values():
        if isinstance(value, list | dict):
            _block_words(value, parts)


def _attachment_words(attachment: dict[str, Any], parts: list[str]) -> None:
    for key in ("pretext", "title", "text"):
        if isinstance(value := attachment.get(key), str):
            parts.append(value)
    for item in attachment.get("fields") or []:
        if isinstance(item, dict):
            parts.extend(str(item.get(k)) for k in ("title", "value") if item.get(k))
    _block_words(attachment.get("blocks") or [], parts)


def message_text(msg: dict[str, Any]) -> str:
    """Every place Slack puts a message's words: `text`, its blocks, its attachments (pretext,
    title, text, fields, blocks). An attachment's `fallback` (a summary Slack writes for
    clients that cannot show it, e.g. a file's or an unfurl's) is read only when nothing else
    holds any words: it repeats them, or describes what is not the message's own text."""
    parts: list[str] = []
    if isinstance(text := msg.get("text"), str):
        parts.append(text)
    _block_words(msg.get("blocks") or [], parts)
    attachments = [a for a in msg.get("attachments") or [] if isinstance(a, dict)]
    for attachment in attachments:
        _attachment_words(attachment, parts)
    words = [p for p in parts if p.strip()]
    if not words:
        words = [str(a["fallback"]) for a in attachments if a.get("fallback")]
    return "\n".join(words)


def button_value(body: dict[str, Any]) -> str:
    """The pressed button's value (the first action of a block_actions payload)."""
    actions = body.get("actions") or [{}]
    first = actions[0] if isinstance(actions, list) and actions else {}
    return str(first.get("value") or "") if isinstance(first, dict) else ""


def card_is_visible(body: dict[str, Any]) -> bool:
    """Is the card a button sits on visible to others? Not in a modal, not when ephemeral, and
    not in the user's own DM with the bot (a `D…` conversation holds the two of them only)."""
    container = body.get("container") or {}
    if container.get("type") == "view":
        return False
    channel = str(container.get("channel_id") or _id(body.get("channel")))
    if channel.startswith("D"):
        return False
    return not container.get("is_ephemeral", False)


def in_view(body: dict[str, Any]) -> bool:
    """Was the button pressed inside a modal?"""
    return (body.get("container") or {}).get("type") == "view"


def view_inputs(
    view: dict[str, Any], block_ids: Sequence[str], *, none_chosen: Collection[str] = ()
) -> dict[str, str]:
    """A submitted view's inputs, block_id → typed text or the chosen option's value, whatever
    the inputs' action ids (the blocks given; an input left out is absent). A chosen option
    whose value is in `none_chosen` (a picker's "all") reads as empty."""
    values = ((view.get("state") or {}).get("values")) or {}
    out: dict[str, str] = {}
    for block_id in block_ids:
        for element in (values.get(block_id) or {}).values():
            if not isinstance(element, dict):
                continue
            selected = element.get("selected_option")
            if isinstance(selected, dict):  # a select
                value = str(selected.get("value") or "")
                out[block_id] = "" if value in none_chosen else value
            else:
                out[block_id] = str(element.get("value") or "")
    return out

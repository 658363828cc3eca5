"""The disclosure contract (issue 19): every surface × every kind of viewer → what each is shown.

One table says it; one driver per surface plays it on the real bot over signed HTTP, the way
Slack sends it. A row's follow-on surfaces (buttons, Export, Search again, a hand-over) start
from a card the asker made first, private or seen by the channel, and press it as the viewer.

What a viewer can be shown:
- FULL: the customer, phones and ids in full (an answer only the viewer reads);
- MASKED: the customer with phones and ids masked (a channel reads it, or its origin did);
- OPEN: the surface opens for them (modal, Home search, campaign names), no customer in it;
- FILE: the full CSV reaches their DM;
- DIALLED: their Wolkvox Agent dials the customer (*Call*);
- REFUSED: nothing of the customer, no Wolkvox call made for them, nothing dialled.
The allowed viewers' rows keep each driver honest: a driver that did nothing fails them.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from bot.devtools.fakeslack import requests as sr
from bot.devtools.stack import AGENT, CHANNEL, DM_CHANNEL, TEAM, Stack, slash_command
from bot.slack import ids
from bot.slack.runtime import HANDOVER_QUEUE
from tests.e2e.conftest import (
    FULL_PHONE_RE,
    SHOWCASE_ID,
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    ack_json,
    command_answer,
    find_action_value,
    find_calls,
    handover_item,
    settle,
    take_over_for,
    text_of,
)

COLLEAGUE = "U0COLLEAG1"  # allowed, a member of the same channel
OUTSIDER = "U0OUTSIDE1"  # on the allow-list by id, but of another company (Slack Connect)
OUTSIDER_TEAM = "T0OTHERCO1"
NOT_ALLOWED = "U0NOTALLOW"

pytestmark = pytest.mark.stack_env(
    WOLKVOX_ALLOWED_USERS=f"{AGENT},{COLLEAGUE},{OUTSIDER}",
    # Everyone has an extension: only the disclosure rule and the access rule stand between a
    # viewer and a dial.
    WOLKVOX_AGENTS=f"{AGENT}:12004,{COLLEAGUE}:12004,{OUTSIDER}:12004,{NOT_ALLOWED}:12004",
)


@dataclass(frozen=True)
class Viewer:
    name: str
    user: str  # "" for no user at all
    team: str = TEAM


VIEWERS = (
    Viewer("asker", AGENT),
    Viewer("colleague", COLLEAGUE),
    Viewer("other organisation", OUTSIDER, OUTSIDER_TEAM),
    Viewer("not allowed", NOT_ALLOWED),
    Viewer("nobody", ""),
)

FULL, MASKED, OPEN, FILE, DIALLED, REFUSED = "FULL", "MASKED", "OPEN", "FILE", "DIALLED", "REFUSED"
# columns: the asker, a colleague, another organisation, not allowed, nobody
TABLE: dict[str, tuple[str, str, str, str, str]] = {
    "command": (FULL, FULL, REFUSED, REFUSED, REFUSED),
    "mention": (MASKED, MASKED, REFUSED, REFUSED, REFUSED),
    "direct message": (FULL, FULL, REFUSED, REFUSED, REFUSED),
    "message shortcut": (FULL, FULL, REFUSED, REFUSED, REFUSED),
    "global shortcut": (OPEN, OPEN, REFUSED, REFUSED, REFUSED),
    "search modal": (FULL, FULL, REFUSED, REFUSED, REFUSED),
    "campaign suggestions": (OPEN, OPEN, REFUSED, REFUSED, REFUSED),
    "home tab": (OPEN, OPEN, REFUSED, REFUSED, REFUSED),
    "search again, private origin": (FULL, FULL, REFUSED, REFUSED, REFUSED),
    "search again, channel origin": (MASKED, MASKED, REFUSED, REFUSED, REFUSED),
    "share": (MASKED, MASKED, REFUSED, REFUSED, REFUSED),
    "refresh, private card": (FULL, FULL, REFUSED, REFUSED, REFUSED),
    "refresh, channel card": (MASKED, MASKED, REFUSED, REFUSED, REFUSED),
    "show all, private card": (FULL, FULL, REFUSED, REFUSED, REFUSED),
    "show all, channel card": (MASKED, MASKED, REFUSED, REFUSED, REFUSED),
    "export, private card": (FILE, FILE, REFUSED, REFUSED, REFUSED),
    "export, channel card": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
    # A private card's Call is sealed to its asker; a channel's card never has one (a copied
    # button is refused).
    "call, private card": (DIALLED, REFUSED, REFUSED, REFUSED, REFUSED),
    "call, channel card": (REFUSED, REFUSED, REFUSED, REFUSED, REFUSED),
    "workflow step": (MASKED, MASKED, REFUSED, REFUSED, REFUSED),
    "hand-over, private": (FULL, FULL, REFUSED, REFUSED, REFUSED),
    "hand-over, channel": (MASKED, MASKED, REFUSED, REFUSED, REFUSED),
}
CASES = [
    pytest.param(surface, viewer, shown, id=f"{surface} × {viewer.name}")
    for surface, row in TABLE.items()
    for viewer, shown in zip(VIEWERS, row, strict=True)
]


# ---------------------------------------------------------------- what a viewer was shown


@dataclass
class Seen:
    """Everything the bot sent after the viewer acted, and the Wolkvox calls it made for them."""

    text: str = ""
    answers: str = ""  # the same without Home tabs, whose help names the showcase's number
    find_calls: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)
    opened: bool = False  # the surface's own "open" sign (modal, Home search, options)
    dials: int = 0  # dials that reached Wolkvox for them


@dataclass
class Mark:
    calls: int
    posts: int
    files: int
    finds: int
    dials: int


def mark(stack: Stack) -> Mark:
    return Mark(
        len(stack.slack.calls()),
        len(stack.slack.responses()),
        len(stack.slack.files),
        find_calls(stack),
        dial_calls(stack),
    )


def dial_calls(stack: Stack) -> int:
    assert stack.simulator_stats is not None
    return len(stack.simulator_stats.dials)


async def seen_since(stack: Stack, before: Mark, *extra: str, opened: bool = False) -> Seen:
    await settle(stack, pause=0.1)
    calls = stack.slack.calls()[before.calls :]
    homes = [json.dumps(c.args, ensure_ascii=False) for c in calls if c.method == "views.publish"]
    sent = [c.args for c in calls if c.method != "views.publish"]
    sent += [p.body or p.raw for p in stack.slack.responses()[before.posts :]]
    answers = "\n".join([json.dumps(s, ensure_ascii=False) for s in sent] + list(extra))
    return Seen(
        text="\n".join([answers, *homes]),
        answers=answers,
        find_calls=find_calls(stack) - before.finds,
        files=stack.slack.files[before.files :],
        opened=opened,
        dials=dial_calls(stack) - before.dials,
    )


def check(seen: Seen, shown: str) -> None:
    about_customer = SHOWCASE_NAME in seen.text
    full = SHOWCASE_PHONE in seen.answers or SHOWCASE_ID in seen.answers
    if shown == FULL:
        assert about_customer and full, "expected the customer in full"
    elif shown == MASKED:
        assert about_customer, "expected the customer, masked"
        assert not full and not FULL_PHONE_RE.findall(seen.answers), "a full phone or id was shown"
    elif shown == OPEN:
        assert seen.opened, "expected the surface to open"
        assert not about_customer and seen.find_calls == 0
    elif shown == FILE:
        assert len(seen.files) == 1 and SHOWCASE_PHONE.encode() in seen.files[0]["data"]
    elif shown == DIALLED:
        assert seen.dials == 1 and not full, "expected one dial, the phone masked in its note"
    else:
        assert not about_customer and not full, "the customer was shown to a refused viewer"
        assert not seen.files and not seen.opened
        assert seen.find_calls == 0, "Wolkvox was called for a refused viewer"
        assert seen.dials == 0, "a refused viewer's press dialled"


# ---------------------------------------------------------------- the viewer's own payloads


def as_viewer_form(body: str, viewer: Viewer) -> str:
    """An interactive payload (form field `payload`) or slash command, sent by `viewer`."""
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    if "payload" not in fields:  # a slash command: flat keys
        fields["user_id"], fields["team_id"] = viewer.user, viewer.team
        if not viewer.user:
            del fields["user_id"], fields["user_name"]
        return urlencode(fields)
    payload = json.loads(fields["payload"])
    if viewer.user:
        payload["user"].update(id=viewer.user, team_id=viewer.team)
    else:
        del payload["user"]
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


def as_viewer_event(body: str, viewer: Viewer) -> str:
    """An Events API envelope whose event `viewer` caused; another company's member writes in a
    channel shared with it (`is_ext_shared_channel`, `user_team`), delivered to our team."""
    envelope = json.loads(body)
    event = envelope["event"]
    if viewer.user:
        event["user"] = viewer.user
    else:
        event.pop("user", None)
    if viewer.team != TEAM:
        if "team" in event:  # the author's workspace; no `user_team` to lean on
            event["team"] = viewer.team
        envelope["is_ext_shared_channel"] = True
    return json.dumps(envelope, ensure_ascii=False)


async def post_form(stack: Stack, body: str, viewer: Viewer) -> tuple[int, str]:
    status, text, _ = await stack.post(as_viewer_form(body, viewer), sr.FORM)
    return status, text


async def post_event(stack: Stack, body: str, viewer: Viewer) -> tuple[int, str]:
    status, text, _ = await stack.post(as_viewer_event(body, viewer), sr.JSON)
    return status, text


def press_body(
    stack: Stack,
    action_id: str,
    *,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    channel: str = CHANNEL,
    ephemeral: bool = True,
) -> str:
    if view is not None:
        return sr.block_actions_body(
            action_id=action_id,
            user_id=AGENT,
            team_id=TEAM,
            trigger_id=stack.slack.new_trigger_id(),
            view=view,
        )
    assert message is not None
    return sr.block_actions_body(
        action_id=action_id,
        user_id=AGENT,
        team_id=TEAM,
        trigger_id=stack.slack.new_trigger_id(),
        message={"ts": stack.next_ts(), **message},
        channel_id=channel,
        response_url=stack.slack.new_response_url(channel_id=channel),
        is_ephemeral=ephemeral,
    )


# ---------------------------------------------------------------- cards the asker made first


async def private_card(stack: Stack) -> dict[str, Any]:
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    return card


async def channel_card(stack: Stack) -> dict[str, Any]:
    """The card a mention posted in the channel, as the channel sees it."""
    await stack.mention(f"find {SHOWCASE_PHONE}")
    await settle(stack)
    posts = [c.args for c in stack.slack.calls("chat.postMessage", ok=True)]
    posts += [c.args for c in stack.slack.calls("chat.update", ok=True)]
    [card] = [p for p in posts if SHOWCASE_NAME in text_of(p.get("blocks", []))][-1:]
    return card


def with_button(card: dict[str, Any], action_id: str) -> dict[str, Any]:
    """`card` with an `action_id` button carrying the card's own sealed value: *Show all* and
    *Export CSV* are on cards that leave campaigns or records out, and the showcase customer
    has too few for that."""
    value = find_action_value(card, ids.ACTION_REFRESH)
    button = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": action_id},
        "value": value,
    }
    return {**card, "blocks": [*card["blocks"], {"type": "actions", "elements": [button]}]}


async def home_with_lookup(stack: Stack, *, from_channel: bool) -> dict[str, Any]:
    """The asker's Home tab after one lookup: private, or a Refresh of the channel's card."""
    await stack.open_home()
    if from_channel:
        card = await channel_card(stack)
        await stack.press(ids.ACTION_REFRESH, card, is_ephemeral=False)
    else:
        await private_card(stack)
    await settle(stack)
    home = stack.slack.home_of(AGENT)
    assert home is not None and "••••••4567" in text_of(home["blocks"])
    return home


# ---------------------------------------------------------------- one driver per surface

Driver = Callable[[Stack, Viewer], Awaitable[Seen]]


async def _command(stack: Stack, viewer: Viewer) -> Seen:
    before = mark(stack)
    body, _ = slash_command(stack.slack, f"find {SHOWCASE_PHONE}")
    _, ack = await post_form(stack, body, viewer)
    return await seen_since(stack, before, ack)


def _event(build: Callable[..., str], **where: str) -> Driver:
    """An event the asker's words would cause (a mention, a DM), sent as the viewer's."""

    async def drive(stack: Stack, viewer: Viewer) -> Seen:
        before = mark(stack)
        event_id, ts = f"Ev{time.monotonic_ns()}", stack.next_ts()
        body = build(f"find {SHOWCASE_PHONE}", event_id=event_id, user=AGENT, ts=ts, **where)
        await post_event(stack, body, viewer)
        return await seen_since(stack, before)

    return drive


async def _message_shortcut(stack: Stack, viewer: Viewer) -> Seen:
    before = mark(stack)
    body = sr.message_shortcut_body(
        message_text=f"el cliente llamó desde el {SHOWCASE_PHONE}",
        message_ts=stack.next_ts(),
        message_user="U0CUSTOMR",
        user_id=AGENT,
        channel_id=CHANNEL,
        team_id=TEAM,
        response_url=stack.slack.new_response_url(channel_id=CHANNEL),
        trigger_id=stack.slack.new_trigger_id(),
    )
    _, ack = await post_form(stack, body, viewer)
    return await seen_since(stack, before, ack)


def _search_modal_opened(stack: Stack, before: Mark) -> dict[str, Any] | None:
    for call in stack.slack.calls()[before.calls :]:
        if call.method == "views.open" and call.ok:
            view = call.response["view"]
            if view.get("callback_id") == ids.SEARCH_CALLBACK_ID:
                return dict(view)
    return None


async def _global_shortcut(stack: Stack, viewer: Viewer) -> Seen:
    before = mark(stack)
    body = sr.global_shortcut_body(
        user_id=AGENT, team_id=TEAM, trigger_id=stack.slack.new_trigger_id()
    )
    await post_form(stack, body, viewer)
    await settle(stack)
    return await seen_since(stack, before, opened=_search_modal_opened(stack, before) is not None)


async def _search_view(stack: Stack) -> dict[str, Any]:
    before = mark(stack)
    await stack.global_shortcut()
    await settle(stack)
    view = _search_modal_opened(stack, before)
    assert view is not None
    return view


async def _search_modal(stack: Stack, viewer: Viewer) -> Seen:
    view = await _search_view(stack)
    before = mark(stack)
    body = sr.view_submission_body(
        view=view,
        values={ids.INPUT_PHONE: {ids.INPUT_PHONE: SHOWCASE_PHONE}},
        user_id=AGENT,
        team_id=TEAM,
        trigger_id=stack.slack.new_trigger_id(),
    )
    _, ack = await post_form(stack, body, viewer)
    return await seen_since(stack, before, ack)


async def _suggestions(stack: Stack, viewer: Viewer) -> Seen:
    view = await _search_view(stack)
    before = mark(stack)
    body = sr.block_suggestion_body(
        view=view, action_id=ids.INPUT_CAMPAIGN_ID, value="", user_id=AGENT, team_id=TEAM
    )
    _, ack = await post_form(stack, body, viewer)
    options = ack_json(ack).get("options") if ack.strip().startswith("{") else None
    return await seen_since(stack, before, ack, opened=bool(options))


async def _home_tab(stack: Stack, viewer: Viewer) -> Seen:
    before = mark(stack)
    body = sr.app_home_opened_body(
        user=AGENT, channel=DM_CHANNEL, event_id=f"Ev{time.monotonic_ns()}", team_id=TEAM
    )
    await post_event(stack, body, viewer)
    await settle(stack)
    home = stack.slack.home_of(viewer.user) if viewer.user else None
    searchable = home is not None and ids.ACTION_HOME_SEARCH in json.dumps(home)
    return await seen_since(stack, before, opened=searchable)


def _search_again(*, from_channel: bool) -> Driver:
    async def drive(stack: Stack, viewer: Viewer) -> Seen:
        home = await home_with_lookup(stack, from_channel=from_channel)
        before = mark(stack)
        await post_form(stack, press_body(stack, ids.ACTION_SEARCH_AGAIN, view=home), viewer)
        return await seen_since(stack, before)

    return drive


def _call(*, from_channel: bool) -> Driver:
    """*Call* pressed by the viewer: on the asker's private card, or copied onto the channel's
    card (which never offers one)."""

    async def drive(stack: Stack, viewer: Viewer) -> Seen:
        private = await private_card(stack)
        calls = [b["accessory"] for b in private["blocks"] if "accessory" in b]
        call = next(c for c in calls if c["action_id"] == ids.ACTION_DIAL)
        card = private
        if from_channel:
            shown = await channel_card(stack)
            assert ids.ACTION_DIAL not in json.dumps(shown)
            card = {**shown, "blocks": [*shown["blocks"], {"type": "actions", "elements": [call]}]}
        before = mark(stack)
        body = press_body(stack, ids.ACTION_DIAL, message=card, ephemeral=not from_channel)
        await post_form(stack, body, viewer)
        return await seen_since(stack, before)

    return drive


def _press_on(action_id: str, *, from_channel: bool) -> Driver:
    export = action_id == ids.ACTION_EXPORT_CSV

    async def drive(stack: Stack, viewer: Viewer) -> Seen:
        card = await (channel_card(stack) if from_channel else private_card(stack))
        if action_id in (ids.ACTION_SHOW_ALL, ids.ACTION_EXPORT_CSV):
            card = with_button(card, action_id)
        before = mark(stack)
        body = press_body(stack, action_id, message=card, ephemeral=not from_channel)
        await post_form(stack, body, viewer)
        if export:
            await asyncio.sleep(0.3)  # the upload's three steps run after the press's jobs
        return await seen_since(stack, before)

    return drive


async def _workflow(stack: Stack, viewer: Viewer) -> Seen:
    before = mark(stack)
    inputs = {"phone": SHOWCASE_PHONE, **({"requested_by": viewer.user} if viewer.user else {})}
    _, _, _, run = await stack.workflow_step(inputs)
    result = await stack.slack.wait_for_function_result(run, 10.0)
    return await seen_since(stack, before, json.dumps(result, ensure_ascii=False))


def _hand_over(*, concealed: bool) -> Driver:
    """Another instance hands a waiting lookup over (sealed, as the bot seals its own)."""

    async def drive(stack: Stack, viewer: Viewer) -> Seen:
        url = stack.slack.new_response_url(channel_id=CHANNEL, user_id=viewer.user or None)
        item = handover_item(url, user=viewer.user, orgs=(viewer.team,), concealed=concealed)
        before = mark(stack)
        await stack.bot.store.queue_push(
            HANDOVER_QUEUE, stack.bot.runtime.sealer.seal_item(item), 60
        )
        await take_over_for(stack, 0.6)
        return await seen_since(stack, before)

    return drive


DRIVERS: dict[str, Driver] = {
    "command": _command,
    "mention": _event(sr.app_mention_event_body, channel=CHANNEL),
    "direct message": _event(sr.direct_message_event_body, channel=DM_CHANNEL),
    "message shortcut": _message_shortcut,
    "global shortcut": _global_shortcut,
    "search modal": _search_modal,
    "campaign suggestions": _suggestions,
    "home tab": _home_tab,
    "search again, private origin": _search_again(from_channel=False),
    "search again, channel origin": _search_again(from_channel=True),
    "share": _press_on(ids.ACTION_SHARE, from_channel=False),
    "refresh, private card": _press_on(ids.ACTION_REFRESH, from_channel=False),
    "refresh, channel card": _press_on(ids.ACTION_REFRESH, from_channel=True),
    "show all, private card": _press_on(ids.ACTION_SHOW_ALL, from_channel=False),
    "show all, channel card": _press_on(ids.ACTION_SHOW_ALL, from_channel=True),
    "export, private card": _press_on(ids.ACTION_EXPORT_CSV, from_channel=False),
    "export, channel card": _press_on(ids.ACTION_EXPORT_CSV, from_channel=True),
    "call, private card": _call(from_channel=False),
    "call, channel card": _call(from_channel=True),
    "workflow step": _workflow,
    "hand-over, private": _hand_over(concealed=False),
    "hand-over, channel": _hand_over(concealed=True),
}


def test_every_surface_has_a_driver_and_a_row() -> None:
    assert set(DRIVERS) == set(TABLE)


@pytest.mark.parametrize(("surface", "viewer", "shown"), CASES)
async def test_what_each_viewer_is_shown(
    stack: Stack, surface: str, viewer: Viewer, shown: str
) -> None:
    stack.slack.add_user(COLLEAGUE, name="carlos.colega")
    stack.slack.add_user(OUTSIDER, name="otra.empresa", team_id=OUTSIDER_TEAM)
    stack.slack.add_user(NOT_ALLOWED, name="sin.acceso")
    seen = await DRIVERS[surface](stack, viewer)
    check(seen, shown)

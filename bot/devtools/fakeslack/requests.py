"""Signed requests exactly as Slack sends them to ``POST /slack/events``, for end-to-end tests.

Slash commands arrive as ``application/x-www-form-urlencoded`` fields; shortcuts, block actions and
view submissions as a form with one ``payload`` field holding JSON; events as a JSON
``event_callback`` envelope. Shapes follow Slack's interaction-payload and Events API references
(docs.slack.dev/reference/interaction-payloads, /reference/events/app_mention). Every request is
signed with ``v0=HMAC-SHA256(secret, "v0:{ts}:{body}")`` as the bot must verify.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import aiohttp

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

API_APP_ID = "A0WOLKVOX"
TEAM_DOMAIN = "wolkvox-test"
# Slack's deprecated verification token still rides along in every payload; not a secret.
VERIFICATION_TOKEN = "legacy-verification-token"

__all__ = [
    "FORM",
    "JSON",
    "app_mention_event_body",
    "block_actions_body",
    "direct_message_event_body",
    "global_shortcut_body",
    "message_shortcut_body",
    "post_signed",
    "retry_headers",
    "sign",
    "slash_command_body",
    "view_submission_body",
]


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack adds to every request: timestamp and ``v0=`` HMAC-SHA256 signature."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def retry_headers(num: int, reason: str = "http_timeout") -> dict[str, str]:
    """Headers Slack adds when it re-delivers an event it thinks was not acknowledged in time."""
    return {"X-Slack-Retry-Num": str(num), "X-Slack-Retry-Reason": reason}


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _team(team_id: str) -> dict[str, str]:
    return {"id": team_id, "domain": TEAM_DOMAIN}


def _user(user_id: str, user_name: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def _payload_form(payload: Mapping[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


def slash_command_body(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    team_id: str,
    response_url: str,
    trigger_id: str,
    command: str = "/wolkvox",
    user_name: str = "agent",
    channel_name: str = "soporte",
    api_app_id: str = API_APP_ID,
) -> str:
    """A slash command's form body, fields in the order Slack sends them."""
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def app_mention_event_body(
    text: str,
    *,
    event_id: str,
    channel: str,
    user: str,
    ts: str,
    thread_ts: str | None = None,
    team_id: str = "T0WOLKVOX",
    bot_user_id: str = "U0WOLKBOT",
    api_app_id: str = API_APP_ID,
    event_time: int | None = None,
) -> str:
    """An Events API ``event_callback`` envelope around an ``app_mention`` (JSON body).

    ``text`` is what the user typed after the mention; the event carries ``<@BOT> text`` like Slack.
    """
    full_text = f"<@{bot_user_id}> {text}"
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": full_text,
        "ts": ts,
        "team": team_id,
        "channel": channel,
        "event_ts": ts,
        "client_msg_id": f"{event_id.lower()}-msg",
        "blocks": [
            {
                "type": "rich_text",
                "block_id": event_id[-5:],
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "user", "user_id": bot_user_id},
                            {"type": "text", "text": f" {text}"},
                        ],
                    }
                ],
            }
        ],
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    event_time = int(float(ts)) if event_time is None else event_time
    envelope = _event_callback(event, event_id, team_id, api_app_id, event_time, bot_user_id)
    return json.dumps(envelope, ensure_ascii=False)


def _event_callback(
    event: dict[str, Any],
    event_id: str,
    team_id: str,
    api_app_id: str,
    event_time: int,
    bot_user_id: str,
) -> dict[str, Any]:
    """The Events API envelope Slack wraps every event in."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }


def direct_message_event_body(
    text: str,
    *,
    event_id: str,
    channel: str,
    user: str,
    ts: str,
    team_id: str = "T0WOLKVOX",
    subtype: str | None = None,
    bot_id: str | None = None,
    thread_ts: str | None = None,
    api_app_id: str = API_APP_ID,
) -> str:
    """An Events API ``event_callback`` around a ``message`` in the user's DM with the bot
    (``channel_type: im``), as the ``message.im`` subscription delivers it. ``subtype`` and
    ``bot_id`` make it an edit, a bot's message and so on."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": team_id,
        "channel_type": "im",
        "client_msg_id": f"{event_id.lower()}-msg",
        "blocks": [
            {
                "type": "rich_text",
                "block_id": event_id[-5:],
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                ],
            }
        ],
    }
    if subtype is not None:
        event["subtype"] = subtype
    if bot_id is not None:
        event["bot_id"] = bot_id
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    envelope = _event_callback(event, event_id, team_id, api_app_id, int(float(ts)), "U0WOLKBOT")
    return json.dumps(envelope, ensure_ascii=False)


def function_executed_body(
    inputs: dict[str, Any],
    *,
    function_execution_id: str,
    bot_access_token: str,
    event_id: str,
    team_id: str,
    callback_id: str = "find_customer",
    api_app_id: str = "A0WOLKVOX",
    workflow_execution_id: str = "Wx0WOLKVOX01",
) -> str:
    """A Workflow Builder run of one of the app's functions (``function_executed``), shaped as
    bolt-python's scenario test and Slack's docs show it; ``inputs`` as the workflow filled them."""
    now = time.time()
    event = {
        "type": "function_executed",
        "function": {
            "id": "Fn0WOLKVOX01",
            "callback_id": callback_id,
            "title": "Find customer in Wolkvox",
            "description": "Look a customer up in Wolkvox by phone or customer id",
            "type": "app",
            "input_parameters": [
                {"type": "string", "name": n, "title": n, "is_required": False}
                for n in ("phone", "customer_id", "campaign_id", "operation")
            ],
            "output_parameters": [
                {"type": "boolean", "name": "found", "title": "Found", "is_required": True}
            ],
            "app_id": api_app_id,
            "date_created": int(now) - 86400,
            "date_updated": int(now) - 3600,
            "date_deleted": 0,
        },
        "inputs": inputs,
        "function_execution_id": function_execution_id,
        "workflow_execution_id": workflow_execution_id,
        "event_ts": f"{now:.6f}",
        "bot_access_token": bot_access_token,
    }
    envelope = _event_callback(event, event_id, team_id, api_app_id, int(now), "U0WOLKBOT")
    return json.dumps(envelope, ensure_ascii=False)


def app_home_opened_body(
    *, user: str, channel: str, event_id: str, team_id: str, tab: str = "home"
) -> str:
    """The user opened the app's Home (or Messages) tab (``app_home_opened``)."""
    now = time.time()
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": tab,
        "event_ts": f"{now:.6f}",
    }
    envelope = _event_callback(event, event_id, team_id, "A0WOLKVOX", int(now), "U0WOLKBOT")
    return json.dumps(envelope, ensure_ascii=False)


def message_shortcut_body(
    *,
    message_text: str,
    message_ts: str,
    message_user: str,
    user_id: str,
    channel_id: str,
    team_id: str,
    response_url: str,
    trigger_id: str,
    callback_id: str = "find_in_wolkvox",
    user_name: str = "agent",
    channel_name: str = "soporte",
    message: dict[str, Any] | None = None,
) -> str:
    """A message shortcut (``type: message_action``) on a message with ``message_text``, or on
    ``message`` as given (a file share, attachments, rich text: Slack's own shapes)."""
    payload = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": _team(team_id),
        "user": _user(user_id, user_name, team_id),
        "channel": {"id": channel_id, "name": channel_name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": message_ts,
        "message": message
        or {
            "type": "message",
            "user": message_user,
            "text": message_text,
            "ts": message_ts,
            "team": team_id,
        },
    }
    return _payload_form(payload)


def global_shortcut_body(
    *,
    user_id: str,
    team_id: str,
    trigger_id: str,
    callback_id: str = "wolkvox_search",
    user_name: str = "agent",
) -> str:
    """A global shortcut (``type: shortcut``): no channel, no message, no response_url."""
    payload = {
        "type": "shortcut",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": _team(team_id),
        "user": {"id": user_id, "username": user_name, "team_id": team_id},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
    }
    return _payload_form(payload)


def _find_element(
    blocks: Sequence[Mapping[str, Any]], action_id: str
) -> tuple[str, dict[str, Any]]:
    for block in blocks:
        candidates = list(block.get("elements", []))
        if "accessory" in block:
            candidates.append(block["accessory"])
        if "element" in block:
            candidates.append(block["element"])
        for element in candidates:
            if isinstance(element, Mapping) and element.get("action_id") == action_id:
                return str(block.get("block_id", "")), dict(element)
    raise ValueError(f"no element with action_id {action_id!r} in the given blocks")


def _full_view(
    view: Mapping[str, Any], team_id: str, state_values: Mapping[str, Any]
) -> dict[str, Any]:
    """A view as Slack echoes it back in payloads (fields FakeSlack's views.open returns)."""
    view_id = str(view.get("id", "V0000000001"))
    out: dict[str, Any] = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": [],
        "private_metadata": "",
        "callback_id": "",
        "hash": "1700000000.abcdef01",
        "title": {"type": "plain_text", "text": "Wolkvox"},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": API_APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": "B0WOLKBOT",
    }
    out.update(view)
    out["state"] = {"values": dict(state_values)}
    return out


def _input_state(
    view: Mapping[str, Any], values: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``state.values`` as Slack builds it: every input block of the view (empty ones as null),
    overlaid with ``values``. A plain string stands for a ``plain_text_input``'s value."""
    state: dict[str, dict[str, Any]] = {}
    elements: dict[tuple[str, str], Mapping[str, Any]] = {}
    blocks = view.get("blocks") or []
    for block in blocks:
        element = block.get("element") if block.get("type") == "input" else None
        if isinstance(element, Mapping) and "action_id" in element:
            key = (str(block["block_id"]), str(element["action_id"]))
            elements[key] = element
            entry: dict[str, Any] = {"type": element.get("type"), "value": None}
            if str(element.get("type", "")).endswith("_select"):
                # A select reports its option (the initial one until the user picks another).
                entry = {"type": element["type"], "selected_option": element.get("initial_option")}
            state[key[0]] = {key[1]: entry}
    for block_id, actions in values.items():
        for action_id, value in actions.items():
            if blocks and action_id not in state.get(block_id, {}):
                raise ValueError(f"the view has no input {block_id}/{action_id}")
            kind = state.get(block_id, {}).get(action_id, {}).get("type", "plain_text_input")
            if isinstance(value, Mapping):
                entry = dict(value)
            elif str(kind).endswith("_select"):
                entry = {
                    "type": kind,
                    "selected_option": _option(elements, block_id, action_id, value),
                }
            else:
                entry = {"type": kind, "value": value}
            state.setdefault(block_id, {})[action_id] = entry
    return state


def _option(
    elements: Mapping[tuple[str, str], Mapping[str, Any]], block_id: str, action_id: str, value: str
) -> dict[str, Any]:
    """The option a user picked by its value: one of a static select's own options, or (an
    external select's options come from the app) an option with that value."""
    element = elements.get((block_id, action_id)) or {}
    for option in element.get("options") or []:
        if option.get("value") == value:
            return dict(option)
    if element.get("type") == "static_select":
        raise ValueError(f"{block_id}/{action_id} has no option {value!r}")
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def block_suggestion_body(
    *, view: Mapping[str, Any], action_id: str, value: str, user_id: str, team_id: str
) -> str:
    """What Slack sends as a user types in an external select (``block_suggestion``)."""
    block_id = next(
        (
            str(b["block_id"])
            for b in view.get("blocks") or []
            if isinstance(b.get("element"), Mapping) and b["element"].get("action_id") == action_id
        ),
        action_id,
    )
    payload = {
        "type": "block_suggestion",
        "user": _user(user_id, "agent", team_id),
        "container": {"type": "view", "view_id": view.get("id", "V0")},
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "view": _full_view(view, team_id, _input_state(view, {})),
    }
    return _payload_form(payload)


def block_actions_body(
    *,
    action_id: str,
    user_id: str,
    team_id: str,
    trigger_id: str,
    value: str | None = None,
    block_id: str | None = None,
    text: str | None = None,
    message: Mapping[str, Any] | None = None,
    channel_id: str | None = None,
    response_url: str | None = None,
    is_ephemeral: bool = False,
    view: Mapping[str, Any] | None = None,
    user_name: str = "agent",
    channel_name: str = "soporte",
) -> str:
    """A button press (``type: block_actions``) on a message or in a modal.

    Give ``message`` (with its ``ts`` and ``blocks``), ``channel_id`` and ``response_url`` for a
    message, or ``view`` for a modal. The pressed button is looked up by ``action_id`` in those
    blocks so a test can only press buttons that exist; its block_id, text and value are filled in
    unless given.
    """
    if (message is None) == (view is None):
        raise ValueError("give exactly one of message= or view=")
    source = message if message is not None else view
    assert source is not None
    try:
        found_block, element = _find_element(source.get("blocks", []), action_id)
    except ValueError:
        if block_id is None or value is None:
            raise
        found_block, element = block_id, {"type": "button"}
    label = (
        element.get("text", {}).get("text") if isinstance(element.get("text"), Mapping) else None
    )
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id or found_block,
        "text": {"type": "plain_text", "text": text or label or action_id, "emoji": True},
        "value": value if value is not None else element.get("value"),
        "type": element.get("type", "button"),
        "action_ts": _action_ts(),
    }
    if element.get("style"):
        action["style"] = element["style"]
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if message is not None:
        if channel_id is None or response_url is None:
            raise ValueError("a message button press needs channel_id and response_url")
        payload["container"] = {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        }
        payload["channel"] = {"id": channel_id, "name": channel_name}
        payload["message"] = {"type": "message", **dict(message)}
        payload["state"] = {"values": {}}
        payload["response_url"] = response_url
    else:
        assert view is not None
        state = _input_state(view, {})
        full = _full_view(view, team_id, state)
        payload["container"] = {"type": "view", "view_id": full["id"]}
        payload["view"] = full
        payload["state"] = {"values": state}
    payload["actions"] = [action]
    return _payload_form(payload)


def view_submission_body(
    *,
    view: Mapping[str, Any],
    values: Mapping[str, Mapping[str, Any]],
    user_id: str,
    team_id: str,
    trigger_id: str,
    user_name: str = "agent",
    response_urls: Sequence[Mapping[str, str]] = (),
) -> str:
    """A modal submit (``type: view_submission``). ``view`` is the view as opened (e.g. from
    FakeSlack's views.open answer); ``values`` maps block_id → action_id → typed text (or a full
    ``{type, value}`` dict). Unknown inputs raise, so tests only fill fields the modal has."""
    state = _input_state(view, values)
    payload = {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, user_name, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": _full_view(view, team_id, state),
        "response_urls": [dict(r) for r in response_urls],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_form(payload)


async def post_signed(
    session: aiohttp.ClientSession,
    url: str,
    body: str,
    content_type: str,
    secret: str,
    headers: Mapping[str, str] | None = None,
    timestamp: int | None = None,
) -> tuple[int, str, float]:
    """POST ``body`` signed with ``secret``; returns (status, response text, seconds taken).

    ``headers`` are added after the signature, so a test can override it to forge one.
    """
    all_headers = {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        **sign(body, secret, timestamp),
    }
    all_headers.update(headers or {})
    started = time.perf_counter()
    async with session.post(url, data=body.encode(), headers=all_headers) as response:
        text = await response.text()
    return response.status, text, time.perf_counter() - started

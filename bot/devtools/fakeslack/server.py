"""FakeSlack: a loopback stand-in for Slack's Web API and for ``response_url`` endpoints.

End-to-end tests point the bot at it with ``SLACK_API_URL=fs.api_url`` and hand out
``fs.new_response_url()`` / ``fs.new_trigger_id()`` inside the signed requests they send, so the bot
talks to something that answers the way Slack documents it: the same envelopes (``{"ok": false,
"error": …}`` with HTTP 200), the same auth rules, trigger ids that die 3 s after issue and can be
exchanged once, response URLs good for 5 uses in 30 minutes, Block Kit validated against the shared
schema (``invalid_blocks`` / ``invalid_arguments`` like Slack), and 429 + ``Retry-After`` on demand.

Socket Mode too (docs.slack.dev/apis/events-api/using-socket-mode): ``apps.connections.open`` takes
only the app-level token (``xapp-``, in the Authorization header) and hands out a single-use
``ws://`` URL; the websocket says ``hello`` first, carries the envelopes a test pushes with
``socket_send`` and records the app's acks (``socket_ack``), answers pings, and can tell the app to
reconnect (``socket_disconnect``), as Slack does every few hours.

Every request is recorded (method, parsed arguments, arrival time, outcome) for assertions; the bot
token is never recorded. Usage::

    async with FakeSlack() as fs:
        fs.add_user("U123", name="ana", locale="en-US")
        url = fs.new_response_url()
        ...  # drive the bot
        [post] = await fs.wait_for_response(url)

        # Socket Mode: the app connects with SLACK_APP_TOKEN=fs.app_token, then
        eid = await fs.socket_send("slash_commands", {...})
        ack = await fs.socket_ack(eid)  # {"envelope_id": eid, "payload": {...}}
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import itertools
import json
import re
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

# The public Block Kit schema (MIT, LICENSE.block-kit-schema beside it), shipped with the
# stand-in: Slack refuses blocks it would refuse, so the tests see what Slack would say.
BLOCK_KIT_SCHEMA = Path(__file__).resolve().parent / "schemas" / "block-kit.schema.json"

TRIGGER_TTL = 3.0  # Slack: a trigger_id can be exchanged once, within 3 seconds of issue.
HOOK_TTL = 30 * 60.0  # Slack: a response_url works up to 5 times within 30 minutes.
HOOK_MAX_USES = 5
MESSAGE_MAX_BLOCKS = 50
# Slack refuses a message whose blocks' text adds up to more than roughly 11-13k characters
# (undocumented; measured in slackapi/bolt-js issues #2509 and #2867): the stand-in refuses at the
# low end, with Slack's own error.
MESSAGE_MAX_TOTAL_TEXT = 11_000
VIEW_MAX_BLOCKS = 100
VIEW_TITLE_MAX = 24
SOCKET_TICKET_TTL = 30.0  # how long an apps.connections.open URL may wait to be connected to
SOCKET_PATH = "/socket"
SOCKET_TYPES = ("events_api", "slash_commands", "interactive")
DISCONNECT_REASONS = ("warning", "refresh_requested", "link_disabled", "too_many_websockets")
# Methods that take the app-level token (xapp-) and nothing else.
_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})

# Arguments Slack takes as JSON-encoded strings in form bodies; decoded so records look the same
# whichever content type the client used.
_JSON_ARGS = ("blocks", "attachments", "view", "metadata")
_SOCKET_HOST = "applink-fakeslack"
_ID = re.compile(r"[A-Z][A-Z0-9]{2,}")
_TRIGGER = re.compile(r"\d+\.\d+\.[0-9a-f]+")


class SlackError(Exception):
    """Raised inside a method implementation; becomes ``{"ok": false, "error": …}``."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            out["response_metadata"] = {"messages": list(self.messages)}
        return out


@dataclass
class ApiCall:
    """One request to ``/api/<method>`` as FakeSlack saw it (the token is never kept)."""

    method: str
    args: dict[str, Any]
    at: float  # FakeSlack's clock (time.monotonic by default) when the request arrived
    http_method: str
    content_type: str
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    fault: str | None = None  # "ratelimit" | "status" | "hang" | "error" | "slow" when injected

    @property
    def ok(self) -> bool:
        """True when Slack would have done what was asked (HTTP 200 and ``ok: true``)."""
        return self.status == 200 and self.response.get("ok") is True


@dataclass
class HookPost:
    """One POST to a response URL."""

    hook_id: str
    body: Any  # the parsed JSON, or None when the body was not JSON
    raw: str
    at: float
    status: int
    error: str | None = None
    fault: str | None = None

    @property
    def accepted(self) -> bool:
        """True when Slack would have shown it (HTTP 200)."""
        return self.status == 200


@dataclass
class SocketEnvelope:
    """One envelope FakeSlack pushed over Socket Mode, and the app's ack when it came."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    connection_id: int
    sent_at: float  # FakeSlack's clock
    ack: dict[str, Any] | None = None
    acked_at: float | None = None

    @property
    def ack_seconds(self) -> float | None:
        """How long the app took to ack (Slack allows 3 s), or None while unacked."""
        return None if self.acked_at is None else self.acked_at - self.sent_at


@dataclass
class SocketConnection:
    """One websocket the app opened with a URL from ``apps.connections.open``."""

    id: int
    opened_at: float
    closed_at: float | None = None
    closed_by: Literal["app", "slack"] | None = None
    pings: int = 0  # ping frames the app sent (each answered with a pong)
    frames: list[Any] = field(default_factory=list)  # every text frame the app sent, parsed
    _ws: web.WebSocketResponse | None = field(default=None, repr=False)

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass
class _Fault:
    kind: Literal["ratelimit", "status", "hang", "error", "slow"]
    retry_after: int = 1
    status: int = 500
    seconds: float = 30.0
    error: str = "internal_error"


@dataclass
class _Trigger:
    issued: float
    user_id: str | None
    view_id: str | None
    used: bool = False


@dataclass
class _Hook:
    id: str
    created: float
    channel_id: str | None
    user_id: str | None
    original: dict[str, Any] | None
    followups: list[dict[str, Any]] = field(default_factory=list)
    uses: int = 0
    expired: str | None = None


@functools.cache
def _block_validator(path: Path) -> Any:
    import jsonschema  # a dev dependency: only tests validate blocks; the demo does not

    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _uuid() -> str:
    return str(uuid.uuid4())


def _truthy(value: Any) -> bool:
    return (
        value is True or value == 1 or (isinstance(value, str) and value.lower() in {"1", "true"})
    )


class FakeSlack:
    """An aiohttp server on 127.0.0.1 (port 0) answering like Slack's Web API and response URLs.

    Users must be registered (``add_user``), as a real workspace knows them; channels are created on
    first use unless ``strict_channels`` (then only ``add_channel`` ones exist). ``clock`` lets a
    test move time forward to expire triggers and response URLs without sleeping.
    """

    def __init__(
        self,
        *,
        token: str = "xoxb-fake-slack-0000",
        app_token: str = "xapp-1-A0WOLKVOX-0000-fakeslackapptoken",
        team_id: str = "T0WOLKVOX",
        team_name: str = "Wolkvox Test",
        team_domain: str = "wolkvox-test",
        bot_user_id: str = "U0WOLKBOT",
        bot_id: str = "B0WOLKBOT",
        bot_name: str = "wolkvox",
        app_id: str = "A0WOLKVOX",
        strict_channels: bool = False,
        validate_blocks: bool = True,
        block_schema: Path = BLOCK_KIT_SCHEMA,
        trigger_ttl: float = TRIGGER_TTL,
        hook_ttl: float = HOOK_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not app_token.startswith("xapp-"):
            raise ValueError("an app-level token starts with xapp-")
        self.token = token
        self.app_token = app_token
        # The app's signing secret: every bot instance of this app (one stand-in) shares it.
        self.signing_secret = secrets.token_hex(16)
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.app_id = app_id
        self.strict_channels = strict_channels
        self.trigger_ttl = trigger_ttl
        self.hook_ttl = hook_ttl
        self._clock = clock
        self._validator = _block_validator(block_schema) if validate_blocks else None

        self._calls: list[ApiCall] = []
        self._posts: list[HookPost] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._stacks: dict[str, list[str]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._hooks: dict[str, _Hook] = {}
        self._seq = itertools.count(1)
        self._ts_last = 0
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._changed: asyncio.Condition | None = None
        self._closing: asyncio.Event | None = None
        self._tickets: dict[str, float] = {}
        self._sockets: list[SocketConnection] = []
        self._envelopes: dict[str, SocketEnvelope] = {}
        self._stray_acks: list[dict[str, Any]] = []
        self._socket_tasks: set[asyncio.Task[None]] = set()

        self._homes: dict[str, dict[str, Any]] = {}  # user id → published home view
        self._uploads: dict[str, dict[str, Any]] = {}  # file id → {name, length, data}
        self.files: list[dict[str, Any]] = []  # files shared by completeUploadExternal
        self._function_tokens: dict[str, str] = {}  # function_execution_id → xwfp- token
        self.function_results: dict[str, dict[str, Any]] = {}  # execution id → outputs/error
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "conversations.open": self._conversations_open,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "functions.completeSuccess": self._functions_complete_success,
            "functions.completeError": self._functions_complete_error,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.info": self._conversations_info,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> Self:
        """Listen on 127.0.0.1 at a free port."""
        app = web.Application(client_max_size=1024**3)  # uploads: Slack takes files up to 1 GB
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/hooks/{hook_id}", self._handle_hook)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_get(SOCKET_PATH, self._handle_socket)
        self._changed = asyncio.Condition()
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(app, shutdown_timeout=2.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        """Release hung requests and stop the server."""
        if self._closing is not None:
            self._closing.set()
        for task in list(self._socket_tasks):
            task.cancel()
        for conn in self._sockets:
            if conn.open and conn._ws is not None:  # else the server waits for the app to hang up
                with contextlib.suppress(Exception):
                    await conn._ws.close(code=1001, message=b"server shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if not self._port:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """The value for ``SLACK_API_URL`` / ``AsyncWebClient(base_url=…)``."""
        return f"{self.base_url}/api/"

    def __repr__(self) -> str:
        return f"FakeSlack(port={self._port}, team_id={self.team_id!r}, calls={len(self._calls)})"

    # ------------------------------------------------------------------ workspace set-up

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        locale: str = "es-LA",
        tz: str = "America/Bogota",
        tz_offset: int = -18000,
        is_bot: bool = False,
        team_id: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """Register a workspace member (or, with `team_id`, a member of another company met in
        a Slack Connect channel); ``users.info`` says ``user_not_found`` for anyone else.
        `email`: in the profile, as Slack gives it to an app with ``users:read.email``."""
        name = name or user_id.lower()
        team = team_id or self.team_id
        user = {
            "id": user_id,
            "team_id": team,
            "name": name,
            "deleted": False,
            "real_name": real_name or name.title(),
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "is_admin": False,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1700000000,
            "profile": {
                "real_name": real_name or name.title(),
                "display_name": name,
                "team": team,
                **({"email": email} if email else {}),
            },
            "_locale": locale,
        }
        self._users[user_id] = user
        return self._public_user(user, include_locale=True)

    def set_usergroup(self, usergroup_id: str, members: Iterable[str]) -> None:
        """Define (or redefine) a user group's members for ``usergroups.users.list``."""
        self._usergroups[usergroup_id] = list(members)

    def add_channel(
        self, channel_id: str, *, name: str | None = None, is_private: bool = False
    ) -> dict[str, Any]:
        """Register a conversation (needed when ``strict_channels``; optional otherwise)."""
        return self._make_channel(channel_id, name=name, is_private=is_private)

    def new_trigger_id(self, *, user_id: str | None = None, view_id: str | None = None) -> str:
        """A trigger id like Slack's, exchangeable once within ``trigger_ttl`` seconds of now.

        ``view_id`` marks a trigger that came from inside that modal (needed by ``views.push``).
        """
        serial = f"{next(self._seq)}{secrets.randbelow(10**6)}"
        trigger_id = f"{serial}.{int(time.time())}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = _Trigger(self._clock(), user_id, view_id)
        return trigger_id

    def expire_trigger(self, trigger_id: str) -> None:
        """Make a trigger id dead at once, as if 3 s had passed."""
        self._triggers[trigger_id].issued = float("-inf")

    def new_response_url(
        self,
        *,
        channel_id: str | None = None,
        user_id: str | None = None,
        original: Mapping[str, Any] | None = None,
    ) -> str:
        """A fresh response URL. ``original`` is the message it belongs to (for replace/delete)."""
        hook_id = f"T{next(self._seq)}x{secrets.token_hex(10)}"
        self._hooks[hook_id] = _Hook(
            hook_id, self._clock(), channel_id, user_id, dict(original) if original else None
        )
        return f"{self.base_url}/hooks/{hook_id}"

    def expire_hook(
        self, url_or_id: str, reason: Literal["expired_url", "used_url"] = "expired_url"
    ) -> None:
        """Make a response URL answer 404 ``reason`` from now on."""
        self._hooks[self.hook_id(url_or_id)].expired = reason

    # ------------------------------------------------------------------ fault switches

    def rate_limit(self, method: str, times: int = 1, *, retry_after: int = 1) -> None:
        """The next ``times`` calls to ``method`` get HTTP 429 ``ratelimited`` + ``Retry-After``."""
        self._add_fault(f"api:{method}", _Fault("ratelimit", retry_after=retry_after), times)

    def fail(self, method: str, times: int = 1, *, status: int = 500) -> None:
        """The next ``times`` calls to ``method`` get a bare HTTP ``status`` (a Slack outage)."""
        self._add_fault(f"api:{method}", _Fault("status", status=status), times)

    def answer_error(self, method: str, error: str, times: int = 1) -> None:
        """The next ``times`` calls to ``method`` get ``{"ok": false, "error": error}``."""
        self._add_fault(f"api:{method}", _Fault("error", error=error), times)

    def hang(self, method: str, times: int = 1, *, seconds: float = 30.0) -> None:
        """The next ``times`` calls to ``method`` get no answer for ``seconds`` (then a 504)."""
        self._add_fault(f"api:{method}", _Fault("hang", seconds=seconds), times)

    def slow(self, method: str, times: int = 1, *, seconds: float = 2.0) -> None:
        """The next ``times`` calls to ``method`` answer as usual, ``seconds`` late (a slow API)."""
        self._add_fault(f"api:{method}", _Fault("slow", seconds=seconds), times)

    def hook_fail(self, url_or_id: str, times: int = 1, *, status: int = 500) -> None:
        """The next ``times`` POSTs to this response URL get HTTP ``status`` and are not shown."""
        self._add_fault(f"hook:{self.hook_id(url_or_id)}", _Fault("status", status=status), times)

    def hook_hang(self, url_or_id: str, times: int = 1, *, seconds: float = 30.0) -> None:
        """The next ``times`` POSTs to this response URL hang ``seconds`` (then 504, not shown)."""
        self._add_fault(f"hook:{self.hook_id(url_or_id)}", _Fault("hang", seconds=seconds), times)

    def _add_fault(self, key: str, fault: _Fault, times: int) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        self._faults.setdefault(key, deque()).extend([fault] * times)

    def _next_fault(self, key: str) -> _Fault | None:
        queue = self._faults.get(key)
        return queue.popleft() if queue else None

    # ------------------------------------------------------------------ assertions

    def calls(self, method: str | None = None, *, ok: bool | None = None) -> list[ApiCall]:
        """Every Web API request received (rejected ones included), optionally filtered."""
        return [
            c
            for c in self._calls
            if (method is None or c.method == method) and (ok is None or c.ok is ok)
        ]

    async def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0, *, ok: bool | None = None
    ) -> list[ApiCall]:
        """Wait until at least ``count`` matching calls arrived; return all matching so far."""
        await self._wait(
            lambda: len(self.calls(method, ok=ok)) >= count,
            timeout,
            lambda: (
                f"expected {count} {method} call(s) (ok={ok}) within {timeout}s; "
                f"saw {[(c.method, c.status, c.response.get('error')) for c in self._calls]}"
            ),
        )
        return self.calls(method, ok=ok)

    def hook_id(self, url_or_id: str) -> str:
        """The id part of a response URL made by ``new_response_url`` (ids pass through)."""
        hook_id = url_or_id.rstrip("/").rsplit("/hooks/", 1)[-1]
        if hook_id not in self._hooks:
            raise KeyError(f"not a response URL of this FakeSlack: {url_or_id!r}")
        return hook_id

    def responses(
        self, url_or_id: str | None = None, *, accepted: bool | None = None
    ) -> list[HookPost]:
        """Every POST to response URLs (or to one), in arrival order, optionally filtered."""
        hook_id = None if url_or_id is None else self.hook_id(url_or_id)
        return [
            p
            for p in self._posts
            if (hook_id is None or p.hook_id == hook_id)
            and (accepted is None or p.accepted is accepted)
        ]

    async def wait_for_response(
        self,
        url_or_id: str,
        count: int = 1,
        timeout: float = 5.0,
        *,
        accepted: bool | None = True,
    ) -> list[HookPost]:
        """Wait for ``count`` POSTs to a response URL (by default: ones Slack accepted)."""
        hook_id = self.hook_id(url_or_id)
        await self._wait(
            lambda: len(self.responses(hook_id, accepted=accepted)) >= count,
            timeout,
            lambda: (
                f"expected {count} POST(s) (accepted={accepted}) to response URL {hook_id} within "
                f"{timeout}s; saw {[(p.status, p.error) for p in self.responses(hook_id)]}"
            ),
        )
        return self.responses(hook_id, accepted=accepted)

    def visible_messages(self, url_or_id: str) -> list[dict[str, Any]]:
        """What the user sees from this response URL: the original (if any, after replace/delete)
        followed by the new messages posted through it."""
        hook = self._hooks[self.hook_id(url_or_id)]
        return ([hook.original] if hook.original is not None else []) + list(hook.followups)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages the bot posted with chat.postMessage (current content), in posting order."""
        if channel is not None:
            return [dict(m, channel=channel) for m in self._messages.get(channel, [])]
        return [dict(m, channel=ch) for ch, msgs in self._messages.items() for m in msgs]

    def ephemerals(
        self, *, channel: str | None = None, user: str | None = None
    ) -> list[dict[str, Any]]:
        """Messages posted with chat.postEphemeral (each with its ``channel`` and ``user``)."""
        return [
            dict(m)
            for m in self._ephemerals
            if (channel is None or m["channel"] == channel) and (user is None or m["user"] == user)
        ]

    def view(self, view_id: str) -> dict[str, Any]:
        """The current state of a view opened through views.open/push."""
        return dict(self._views[view_id])

    def open_views(self) -> list[dict[str, Any]]:
        """All views ever opened, current content, in opening order."""
        return [dict(v) for v in self._views.values()]

    # ------------------------------------------------------------------ Socket Mode

    def socket_connections(self, *, open_only: bool = False) -> list[SocketConnection]:
        """Websockets the app opened, in opening order (only the open ones if ``open_only``)."""
        return [c for c in self._sockets if c.open or not open_only]

    async def wait_for_socket(self, count: int = 1, timeout: float = 10.0) -> SocketConnection:
        """Wait until the app has opened ``count`` websockets in all and one is open; return the
        newest open one (the app has had its ``hello``)."""
        await self._wait(
            lambda: len(self._sockets) >= count and bool(self.socket_connections(open_only=True)),
            timeout,
            lambda: (
                f"expected {count} Socket Mode connection(s) within {timeout}s; "
                f"saw {len(self._sockets)}; apps.connections.open answered "
                f"{[c.response.get('error', 'ok') for c in self.calls('apps.connections.open')]}"
            ),
        )
        return self.socket_connections(open_only=True)[-1]

    async def socket_send(
        self,
        type: str,
        payload: Mapping[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
        timeout: float = 10.0,
    ) -> str:
        """Push an envelope to the app over its newest open websocket; return its envelope id.

        ``type`` is ``events_api`` (``payload``: the Events API ``event_callback``),
        ``slash_commands`` (the command's fields) or ``interactive`` (the interaction payload).
        ``accepts_response_payload`` defaults as Slack sets it: true where an ack may carry an
        answer (commands, view submissions, block actions and suggestions), false for events and
        shortcuts. Events carry ``retry_attempt``/``retry_reason`` (0 and "" when first sent).
        Waits up to ``timeout`` for the app to be connected.
        """
        if type not in SOCKET_TYPES:
            raise ValueError(f"unknown Socket Mode envelope type {type!r}")
        conn = await self.wait_for_socket(timeout=timeout)
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive" and payload.get("type") not in ("shortcut", "message_action")
            )
        envelope_id = envelope_id or _uuid()
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": dict(payload),
            "type": type,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        self._envelopes[envelope_id] = SocketEnvelope(
            envelope_id,
            type,
            envelope["payload"],
            accepts_response_payload,
            conn.id,
            self._clock(),
        )
        assert conn._ws is not None
        await conn._ws.send_json(envelope)
        return envelope_id

    def socket_envelope(self, envelope_id: str) -> SocketEnvelope:
        """What was sent with this envelope id and how (and when) the app acked it."""
        return self._envelopes[envelope_id]

    def socket_envelopes(self) -> list[SocketEnvelope]:
        """Every envelope sent, in sending order."""
        return list(self._envelopes.values())

    def stray_acks(self) -> list[dict[str, Any]]:
        """Frames the app sent that ack no envelope of ours, or ack one a second time."""
        return list(self._stray_acks)

    async def socket_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for the app's ack of this envelope; return it (``{"envelope_id", "payload"?}``)."""
        envelope = self._envelopes[envelope_id]
        await self._wait(
            lambda: envelope.ack is not None,
            timeout,
            lambda: f"envelope {envelope_id} ({envelope.type}) not acked within {timeout}s",
        )
        assert envelope.ack is not None
        return envelope.ack

    async def socket_disconnect(
        self, reason: str = "refresh_requested", *, close_after: float | None = 1.0
    ) -> int:
        """Send Slack's ``disconnect`` message on every open websocket; return how many.

        Slack warns (``warning``) about 10 s before it drops a connection, then asks for a new one
        (``refresh_requested``); ``link_disabled`` means Socket Mode was turned off. After any
        reason but ``warning``, the websocket is closed from this side ``close_after`` seconds
        later if the app has not hung up by then (None: leave it open).
        """
        if reason not in DISCONNECT_REASONS:
            raise ValueError(f"unknown disconnect reason {reason!r}")
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": _SOCKET_HOST}}
        told = 0
        for conn in self.socket_connections(open_only=True):
            assert conn._ws is not None
            await conn._ws.send_json(message)
            told += 1
            if reason != "warning" and close_after is not None:
                task = asyncio.create_task(self._close_socket_later(conn, close_after))
                self._socket_tasks.add(task)
                task.add_done_callback(self._socket_tasks.discard)
        return told

    async def _close_socket_later(self, conn: SocketConnection, delay: float) -> None:
        await asyncio.sleep(delay)
        if conn.open and conn._ws is not None:
            conn.closed_by = "slack"
            await conn._ws.close(code=1000, message=b"disconnect")

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        issued = self._tickets.pop(request.query.get("ticket", ""), None)
        if issued is None or self._clock() - issued > SOCKET_TICKET_TTL:
            return web.Response(status=401, text="invalid or used ticket")
        # Pings are answered by hand (autoping off) so they can be counted.
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        conn = SocketConnection(id=len(self._sockets) + 1, opened_at=self._clock(), _ws=ws)
        self._sockets.append(conn)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.socket_connections(open_only=True)),
                "debug_info": {
                    "host": _SOCKET_HOST,
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        await self._notify()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.PING:
                    conn.pings += 1
                    await ws.pong(msg.data)
                elif msg.type == WSMsgType.TEXT:
                    await self._receive_frame(conn, msg.data)
        finally:
            conn.closed_at = self._clock()
            conn.closed_by = conn.closed_by or "app"
            conn._ws = None
            await self._notify()
        return ws

    async def _receive_frame(self, conn: SocketConnection, data: str) -> None:
        try:
            frame: Any = json.loads(data)
        except ValueError:
            frame = data
        conn.frames.append(frame)
        envelope_id = frame.get("envelope_id") if isinstance(frame, dict) else None
        envelope = self._envelopes.get(envelope_id) if isinstance(envelope_id, str) else None
        if envelope is None or envelope.ack is not None or not isinstance(frame, dict):
            self._stray_acks.append(frame if isinstance(frame, dict) else {"raw": frame})
        else:
            envelope.ack, envelope.acked_at = frame, self._clock()
        await self._notify()

    async def _wait(self, done: Callable[[], bool], timeout: float, why: Callable[[], str]) -> None:
        if self._changed is None:
            raise RuntimeError("FakeSlack is not started")
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(done), timeout)
            except TimeoutError:
                raise AssertionError(why()) from None

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ HTTP: Web API

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args, parse_error = await self._read_args(request)
        token = args.pop("token", None)
        auth = request.headers.get("Authorization", "")
        from_header = auth.startswith("Bearer ")
        if from_header:
            token = auth.removeprefix("Bearer ").strip()
        call = ApiCall(
            method=method,
            args=args,
            at=self._clock(),
            http_method=request.method,
            content_type=request.content_type,
        )
        headers: dict[str, str] = {}
        if (auth_error := self._auth_error(method, token, from_header=from_header)) is not None:
            call.response = {"ok": False, "error": auth_error}
        elif (fault := self._next_fault(f"api:{method}")) is not None and fault.kind == "slow":
            call.fault = fault.kind
            await asyncio.sleep(fault.seconds)
            if parse_error is not None:
                call.response = {"ok": False, "error": parse_error}
            elif (impl := self._methods.get(method)) is None:
                call.response = {"ok": False, "error": "unknown_method"}
            else:
                try:
                    call.response = impl(args)
                except SlackError as err:
                    call.response = err.body()
        elif fault is not None:
            call.fault = fault.kind
            if fault.kind == "ratelimit":
                call.status = 429
                call.response = {"ok": False, "error": "ratelimited"}
                headers["Retry-After"] = str(fault.retry_after)
            elif fault.kind == "error":
                call.response = {"ok": False, "error": fault.error}
            elif fault.kind == "status":
                call.status = fault.status
            else:
                call.status = 504
                self._calls.append(call)
                await self._notify()
                await self._hang(fault.seconds)
                return web.Response(status=504, text="upstream request timeout")
        elif parse_error is not None:
            call.response = {"ok": False, "error": parse_error}
        elif (impl := self._methods.get(method)) is None:
            call.response = {"ok": False, "error": "unknown_method"}
        else:
            try:
                call.response = impl(args)
            except SlackError as err:
                call.response = err.body()
        self._calls.append(call)
        await self._notify()
        if call.fault == "status":
            return web.Response(status=call.status, text="internal server error")
        return web.json_response(call.response, status=call.status, headers=headers)

    def _auth_error(self, method: str, token: Any, *, from_header: bool) -> str | None:
        """Slack's answer to a call with this token, or None when the token may call ``method``.

        The app-level token (xapp-) opens Socket Mode connections and nothing else; it must come
        in the Authorization header. Bot methods refuse it with ``not_allowed_token_type``.
        """
        if not token or not isinstance(token, str):
            return "not_authed"
        if method in _APP_TOKEN_METHODS:
            if not from_header:
                return "not_authed"
            if not token.startswith("xapp-"):
                return "not_allowed_token_type"
            expected = self.app_token
        else:
            if token.startswith("xapp-"):
                return "not_allowed_token_type"
            if token.startswith("xwfp-"):
                # A workflow run's token: valid while its function runs (until completed).
                live = token in self._function_tokens.values()
                return None if live else "invalid_auth"
            expected = self.token
        if not hmac.compare_digest(token.encode(), expected.encode()):
            return "invalid_auth"
        return None

    async def _read_args(self, request: web.Request) -> tuple[dict[str, Any], str | None]:
        args: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return args, None
        if request.content_type == "application/json":
            try:
                body = json.loads(await request.text())
            except ValueError:
                return args, "invalid_json"
            if not isinstance(body, dict):
                return args, "invalid_json"
            args.update(body)
            return args, None
        if request.content_type == "multipart/form-data":
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
        else:
            args.update(parse_qsl(await request.text(), keep_blank_values=True))
        for key in _JSON_ARGS:
            if isinstance(args.get(key), str) and args[key]:
                # Undecodable text stays text; the method then answers invalid_blocks/arguments.
                with contextlib.suppress(ValueError):
                    args[key] = json.loads(args[key])
        return args, None

    async def _hang(self, seconds: float) -> None:
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    # ------------------------------------------------------------------ HTTP: response URLs

    async def _handle_hook(self, request: web.Request) -> web.StreamResponse:
        hook_id = request.match_info["hook_id"]
        raw = await request.text()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        post = HookPost(hook_id=hook_id, body=body, raw=raw, at=self._clock(), status=200)
        hook = self._hooks.get(hook_id)
        fault = self._next_fault(f"hook:{hook_id}") if hook is not None else None
        if hook is None:
            post.status, post.error = 404, "no_service"
        elif fault is not None and fault.kind == "hang":
            post.status, post.error, post.fault = 504, "hang", "hang"
            self._posts.append(post)
            await self._notify()
            await self._hang(fault.seconds)
            return web.Response(status=504, text="upstream request timeout")
        elif fault is not None:
            post.status, post.error, post.fault = fault.status, "internal_error", fault.kind
        elif hook.expired is not None:
            post.status, post.error = 404, hook.expired
        elif self._clock() - hook.created > self.hook_ttl:
            post.status, post.error = 404, "expired_url"
        elif hook.uses >= HOOK_MAX_USES:
            post.status, post.error = 404, "used_url"
        else:
            try:
                self._apply_hook_post(hook, body)
            except SlackError as err:
                post.status, post.error = 400, err.error
        self._posts.append(post)
        await self._notify()
        if post.status == 200:
            return web.json_response({"ok": True})
        return web.json_response({"ok": False, "error": post.error}, status=post.status)

    def _apply_hook_post(self, hook: _Hook, body: Any) -> None:
        if not isinstance(body, dict):
            raise SlackError("invalid_payload")
        if body.get("response_type", "ephemeral") not in ("ephemeral", "in_channel"):
            raise SlackError("invalid_payload")
        delete = _truthy(body.get("delete_original"))
        if not delete:
            self._check_content(body, MESSAGE_MAX_BLOCKS)
        hook.uses += 1
        message = {
            k: v for k, v in body.items() if k not in ("replace_original", "delete_original")
        }
        message.setdefault("response_type", "ephemeral")
        if delete:
            hook.original = None
        elif _truthy(body.get("replace_original")):
            hook.original = message
        else:
            hook.followups.append(message)

    # ------------------------------------------------------------------ shared checks

    def _check_blocks(self, blocks: Any, limit: int, error: str, pointer: str) -> None:
        if not isinstance(blocks, list):
            raise SlackError(error, f"[ERROR] must provide an array [json-pointer:{pointer}]")
        if len(blocks) > limit:
            raise SlackError(
                error, f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]"
            )
        if self._validator is not None and blocks:
            problems = sorted(self._validator.iter_errors(blocks), key=lambda e: list(e.path))
            if problems:
                raise SlackError(
                    error,
                    *(
                        f"[ERROR] {p.message[:200]} [json-pointer:{pointer}/"
                        f"{'/'.join(str(x) for x in p.path)}]"
                        for p in problems[:5]
                    ),
                )

    def _check_content(self, args: Mapping[str, Any], limit: int) -> None:
        blocks = args.get("blocks")
        if blocks is not None:
            self._check_blocks(blocks, limit, "invalid_blocks", "/blocks")
            if _text_total(blocks) > MESSAGE_MAX_TOTAL_TEXT:
                raise SlackError("msg_blocks_too_long")
        if not (args.get("text") or blocks or args.get("attachments")):
            raise SlackError("no_text")

    def _channel(self, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise SlackError("channel_not_found")
        if value in self._channels:
            return value
        if value[0] in "UW" and value in self._users:
            return str(self._make_channel("D" + value[1:], name=value, is_im=True)["id"])
        if not self.strict_channels and _ID.fullmatch(value) and value[0] in "CGD":
            return str(self._make_channel(value)["id"])
        raise SlackError("channel_not_found")

    def _make_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        is_private: bool = False,
        is_im: bool = False,
    ) -> dict[str, Any]:
        channel = {
            "id": channel_id,
            "name": name or channel_id.lower(),
            "is_channel": not is_im and not is_private,
            "is_group": is_private,
            "is_im": is_im,
            "is_mpim": False,
            "is_private": is_private or is_im,
            "is_archived": False,
            "is_general": False,
            "is_member": True,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "created": 1700000000,
            "creator": self.bot_user_id,
            "context_team_id": self.team_id,
        }
        self._channels.setdefault(channel_id, channel)
        return self._channels[channel_id]

    def _next_ts(self) -> str:
        micros = max(int(time.time() * 1_000_000), self._ts_last + 1)
        self._ts_last = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _use_trigger(self, trigger_id: Any) -> _Trigger:
        if not isinstance(trigger_id, str) or not trigger_id:
            raise SlackError("invalid_arguments", "[ERROR] missing required field: trigger_id")
        if not _TRIGGER.fullmatch(trigger_id):
            raise SlackError("invalid_trigger_id")
        trigger = self._triggers.get(trigger_id)
        if trigger is None or self._clock() - trigger.issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        trigger.used = True
        return trigger

    def _check_view(self, view: Any) -> dict[str, Any]:
        if not isinstance(view, dict):
            raise SlackError(
                "invalid_arguments", "[ERROR] view must be a JSON object [json-pointer:/view]"
            )
        msgs: list[str] = []
        if view.get("type") != "modal":
            msgs.append("[ERROR] must be 'modal' [json-pointer:/view/type]")
        for key in ("title", "submit", "close"):
            obj = view.get(key)
            if obj is None:
                if key == "title":
                    msgs.append("[ERROR] missing required field: title [json-pointer:/view]")
                continue
            if not (
                isinstance(obj, dict)
                and obj.get("type") == "plain_text"
                and isinstance(obj.get("text"), str)
            ):
                msgs.append(f"[ERROR] must be a plain_text object [json-pointer:/view/{key}]")
            elif not 0 < len(obj["text"]) <= VIEW_TITLE_MAX:
                msgs.append(
                    f"[ERROR] must be 1-{VIEW_TITLE_MAX} characters [json-pointer:/view/{key}/text]"
                )
        blocks = view.get("blocks")
        try:
            self._check_blocks(blocks, VIEW_MAX_BLOCKS, "invalid_arguments", "/view/blocks")
        except SlackError as err:
            msgs.extend(err.messages)
        if (
            isinstance(blocks, list)
            and view.get("submit") is None
            and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        ):
            msgs.append(
                "[ERROR] submit is required when an input block is used [json-pointer:/view]"
            )
        if len(str(view.get("private_metadata", ""))) > 3000:
            msgs.append(
                "[ERROR] must be at most 3000 characters [json-pointer:/view/private_metadata]"
            )
        if len(str(view.get("callback_id", ""))) > 255:
            msgs.append("[ERROR] must be at most 255 characters [json-pointer:/view/callback_id]")
        if msgs:
            raise SlackError("invalid_arguments", *msgs)
        return view

    def _store_view(
        self, view: dict[str, Any], *, view_id: str, previous: str | None, root: str
    ) -> dict[str, Any]:
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": view["title"],
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": previous,
            "root_view_id": root,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views[view_id] = stored
        return dict(stored)

    def _public_user(self, user: Mapping[str, Any], *, include_locale: bool) -> dict[str, Any]:
        out = {k: v for k, v in user.items() if k != "_locale"}
        if include_locale:
            out["locale"] = user["_locale"]
        return out

    # ------------------------------------------------------------------ Web API methods

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        ticket = secrets.token_hex(16)
        self._tickets[ticket] = self._clock()
        url = f"ws://127.0.0.1:{self._port}{SOCKET_PATH}?ticket={ticket}&app_id={self.app_id}"
        return {"ok": True, "url": url}

    def _message(self, args: Mapping[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": args.get("text") or "",
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata"):
            if args.get(key):
                message[key] = args[key]
        return message

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        self._check_content(args, MESSAGE_MAX_BLOCKS)
        ts = self._next_ts()
        message = self._message(args, ts)
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        self._messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": dict(message)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        ts = args.get("ts")
        found = [m for m in self._messages.get(channel, []) if m["ts"] == ts]
        if not found:
            raise SlackError("message_not_found")
        message = found[0]
        if message.get("bot_id") != self.bot_id:
            raise SlackError("cant_update_message")
        self._check_content(args, MESSAGE_MAX_BLOCKS)
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": dict(message),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        user = args.get("user")
        if not isinstance(user, str) or not _ID.fullmatch(user):
            raise SlackError("user_not_found")
        self._check_content(args, MESSAGE_MAX_BLOCKS)
        ts = self._next_ts()
        message = self._message(args, ts)
        message.update(channel=channel, user=user)
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        self._ephemerals.append(message)
        return {"ok": True, "message_ts": ts}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view(args.get("view"))
        self._use_trigger(args.get("trigger_id") or args.get("interactivity_pointer"))
        view_id = f"V{next(self._seq):08d}"
        self._stacks[view_id] = [view_id]
        return {
            "ok": True,
            "view": self._store_view(view, view_id=view_id, previous=None, root=view_id),
        }

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._check_view(args.get("view"))
        trigger = self._use_trigger(args.get("trigger_id") or args.get("interactivity_pointer"))
        if trigger.view_id is None or trigger.view_id not in self._views:
            raise SlackError(
                "invalid_arguments", "[ERROR] views.push needs a trigger from inside an open modal"
            )
        root = str(self._views[trigger.view_id]["root_view_id"])
        stack = self._stacks[root]
        if len(stack) >= 3:
            raise SlackError("push_limit_reached")
        view_id = f"V{next(self._seq):08d}"
        stack.append(view_id)
        return {
            "ok": True,
            "view": self._store_view(view, view_id=view_id, previous=stack[-2], root=root),
        }

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if not view_id and not external_id:
            raise SlackError(
                "invalid_arguments", "[ERROR] either view_id or external_id is required"
            )
        if not view_id:
            matches = [v["id"] for v in self._views.values() if v["external_id"] == external_id]
            view_id = matches[-1] if matches else None
        current = self._views.get(str(view_id))
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = self._check_view(args.get("view"))
        stored = self._store_view(
            view,
            view_id=current["id"],
            previous=current["previous_view_id"],
            root=current["root_view_id"],
        )
        return {"ok": True, "view": stored}

    # ------------------------------------------------------------------ home tab, functions

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """A user's home tab: `type: home`, at most 100 blocks, no title (Slack sets it)."""
        user_id = str(args.get("user_id") or "")
        view = args.get("view")
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError:
                raise SlackError("invalid_arguments", "[ERROR] view is not JSON") from None
        if not user_id:
            raise SlackError("invalid_arguments", "[ERROR] missing required field: user_id")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackError(
                "invalid_arguments", "[ERROR] must be 'home' [json-pointer:/view/type]"
            )
        self._check_blocks(view.get("blocks"), VIEW_MAX_BLOCKS, "invalid_arguments", "/view/blocks")
        stored = {"id": f"VH{user_id}", "type": "home", "blocks": view.get("blocks", [])}
        self._homes[user_id] = stored
        return {"ok": True, "view": stored}

    def home_of(self, user_id: str) -> dict[str, Any] | None:
        """The home view last published for `user_id`."""
        return self._homes.get(user_id)

    async def wait_for_function_result(
        self, execution_id: str, timeout: float = 10.0
    ) -> dict[str, Any]:
        """`{"outputs": …}` or `{"error": …}`: how the run `execution_id` completed."""
        await self._wait(
            lambda: execution_id in self.function_results,
            timeout,
            lambda: f"function run {execution_id} did not complete within {timeout}s",
        )
        return self.function_results[execution_id]

    # ------------------------------------------------------------------ files (external upload)

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "")
        if not users or "," in users:
            raise SlackError("invalid_arguments", "[ERROR] users: one user for a DM")
        return {"ok": True, "channel": {"id": "D" + users.removeprefix("U")[:10]}}

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        """Slack's step 1: a one-time URL for `length` bytes (at most 1 GB) named `filename`."""
        name = str(args.get("filename") or "")
        try:
            length = int(args.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not name or length <= 0 or length > 1_000_000_000:
            raise SlackError("invalid_arguments", "[ERROR] filename and length are required")
        file_id = f"F{next(self._seq):09d}"
        self._uploads[file_id] = {"name": name, "length": length, "data": None}
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        """Step 2: the file's bytes, exactly `length` of them."""
        upload = self._uploads.get(request.match_info["file_id"])
        if upload is None or upload["data"] is not None:
            return web.Response(status=404, text="not found")
        data = await request.read()
        if len(data) != upload["length"]:
            return web.Response(status=400, text="length mismatch")
        upload["data"] = data
        return web.Response(status=200, text=f"OK - {len(data)}")

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        """Step 3: share the uploaded files in `channel_id` (here: only after their bytes came)."""
        files = args.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments", "[ERROR] files is required")
        shared = []
        for item in files:
            upload = self._uploads.get(str((item or {}).get("id")))
            if upload is None or upload["data"] is None:
                raise SlackError("file_not_found")
            shared.append(
                {
                    "id": item["id"],
                    "title": item.get("title") or upload["name"],
                    "name": upload["name"],
                    "data": upload["data"],
                    "channel": str(args.get("channel_id") or ""),
                    "initial_comment": str(args.get("initial_comment") or ""),
                }
            )
        self.files.extend(shared)
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    async def wait_for_files(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until `count` files were shared (files.completeUploadExternal)."""
        await self._wait(
            lambda: len(self.files) >= count,
            timeout,
            lambda: f"expected {count} shared file(s) within {timeout}s; got {len(self.files)}",
        )
        return list(self.files)

    def new_function_execution(self) -> tuple[str, str]:
        """(function_execution_id, bot_access_token) for a function_executed event: the token
        works until the function completes, as a real workflow run's does."""
        execution_id = f"Fx{next(self._seq):010d}"
        token = "xwfp-" + secrets.token_hex(16)
        self._function_tokens[execution_id] = token
        return execution_id, token

    def _complete(self, args: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        execution_id = str(args.get("function_execution_id") or "")
        if execution_id not in self._function_tokens:
            raise SlackError("function_execution_not_found")
        del self._function_tokens[execution_id]  # a run completes once; its token dies
        self.function_results[execution_id] = result
        return {"ok": True}

    def _functions_complete_success(self, args: dict[str, Any]) -> dict[str, Any]:
        outputs = args.get("outputs")
        if isinstance(outputs, str):
            outputs = json.loads(outputs)
        if not isinstance(outputs, dict):
            raise SlackError("invalid_arguments", "[ERROR] outputs must be an object")
        return self._complete(args, {"outputs": outputs})

    def _functions_complete_error(self, args: dict[str, Any]) -> dict[str, Any]:
        error = args.get("error")
        if not isinstance(error, str) or not error:
            raise SlackError("invalid_arguments", "[ERROR] missing required field: error")
        return self._complete(args, {"error": error})

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(args.get("user", "")))
        if user is None:
            raise SlackError("user_not_found")
        return {
            "ok": True,
            "user": self._public_user(user, include_locale=_truthy(args.get("include_locale"))),
        }

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup", ""))
        if group not in self._usergroups:
            raise SlackError("no_such_subteam")
        return {"ok": True, "users": list(self._usergroups[group])}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = dict(self._channels[self._channel(args.get("channel"))])
        if _truthy(args.get("include_locale")):
            channel["locale"] = "en-US"
        return {"ok": True, "channel": channel}


def _text_total(node: Any) -> int:
    """Characters of every `text` string in a block tree: what the cumulative limit counts."""
    if isinstance(node, dict):
        return sum(
            len(value) if key == "text" and isinstance(value, str) else _text_total(value)
            for key, value in node.items()
        )
    if isinstance(node, list):
        return sum(_text_total(item) for item in node)
    return 0

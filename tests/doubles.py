"""Stand-ins that are the real types with their transport answered in-process (httpx's
MockTransport idea): a listener or unit test needs no socket and no `type: ignore`.

- `StubWebClient`: a real slack_sdk `AsyncWebClient` on a session answered here (`SlackSession`)
  and recorded; every typed method (`chat_postMessage`, `users_info`, …) and bolt's own client
  for each request go through it.
- `RecordingHooks`: a `HookClient` recording what would be POSTed to response_urls.
- `RecordingAck`: bolt's own `AsyncAck`, recording each ack's arguments.
- `InProcessWolkvox`: a `WolkvoxClient` answering from the simulator's demo data.
- `GatedWork`: work that counts its runs and waits to be released (what callers share).
"""

from __future__ import annotations

import asyncio
import json as json_module
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Generic, TypeVar, cast

import aiohttp
from aiohttp import FormData
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Secret
from bot.devtools.wolkvox_sim.server import campaigns_body, find_body
from bot.slack.delivery import HookClient
from bot.wolkvox.client import WolkvoxClient
from bot.wolkvox.records import FindAnswer, decode_find_record, write_csv

T = TypeVar("T")
TEAM = "T0WOLKVOX"
HOOK_URL = "https://hooks.slack.com/actions/T0WOLKVOX/1/x"

Answer = Callable[[dict[str, Any]], dict[str, Any]]


class SlackSession:
    """What slack_sdk needs of an aiohttp session, answered in-process: `request(verb, url,
    **args)` as an async context manager whose response has `status`, `headers`,
    `content_type` and `json()`. bolt copies its client's session into the client it makes for
    each request, so bolt's own calls (auth.test, a workflow's complete) come here too."""

    closed = False

    def __init__(self, answer: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]) -> None:
        self.answer = answer

    def request(self, verb: str, url: str, **req_args: Any) -> _SlackAnswer:
        args: dict[str, Any] = {**(req_args.get("params") or {}), **(req_args.get("json") or {})}
        data = req_args.get("data")
        if isinstance(data, dict):
            args.update(data)
        elif isinstance(data, FormData):
            args.update({field[0]["name"]: field[2] for field in data._fields})
        return _SlackAnswer(self.answer(url.rstrip("/").rsplit("/", 1)[-1], args))


class _SlackAnswer:
    content_type = "application/json"
    status = 200
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, body: Awaitable[dict[str, Any]]) -> None:
        self._body = body
        self._json: dict[str, Any] = {}

    async def __aenter__(self) -> _SlackAnswer:
        self._json = await self._body
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def json(self) -> dict[str, Any]:
        return self._json


class StubWebClient(AsyncWebClient):
    """slack_sdk's own client on a `SlackSession`: `ok` answers (a `ts`, a view id), users in
    `locale` of the installing team `TEAM`; `fail` methods answer Slack's error, `answers`
    replace any method's answer, `delay` slows every call. `calls` records (method, args)."""

    def __init__(self, *, locale: str = "en-US") -> None:
        session = cast(
            aiohttp.ClientSession, SlackSession(self._answer)
        )  # its interface, in-process
        super().__init__(token="xoxb-stub", session=session)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail: set[str] = set()
        self.answers: dict[str, Answer] = {}
        self.delay = 0.0
        self.locale = locale

    async def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((method, args))
        if self.delay:
            await asyncio.sleep(self.delay)
        if method in self.fail:
            return {"ok": False, "error": "fatal_error"}
        return {"ok": True, **self.answers.get(method, self._default)(args)}

    def _default(self, args: dict[str, Any]) -> dict[str, Any]:
        if "user" in args and "channel" not in args:  # users.info
            return {"user": {"id": args["user"], "team_id": TEAM, "locale": self.locale}}
        if "trigger_id" in args or "view_id" in args:  # views.open / push / update
            view = args.get("view")
            view = json_module.loads(view) if isinstance(view, str) else view
            return {"view": {**(view if isinstance(view, dict) else {}), "id": "V0STUB"}}
        return {
            "team_id": TEAM,  # auth.test
            "user_id": "U0WOLKBOT",
            "bot_id": "B0WOLKBOT",
            "ts": f"1700000000.{len(self.calls):06d}",
            "channel": args.get("channel", "C0SOPORTE"),
        }

    def named(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call to `method` (Slack's name: "chat.postMessage")."""
        return [args for name, args in self.calls if name == method]


class RecordingHooks(HookClient):
    """response_url posts, recorded and answered 200 (or `status`)."""

    def __init__(self, status: int = 200) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.status = status

    async def post(self, url: str, body: dict[str, Any]) -> int:
        self.posts.append((url, body))
        return self.status

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [body for _, body in self.posts]


class RecordingAck(AsyncAck):
    """bolt's ack; `calls` is what it answered Slack with (`{}` for a bare ack)."""

    @property
    def calls(self) -> list[dict[str, Any]]:
        if self.response is None:
            return []
        body = self.response.body
        return [json_module.loads(body) if body else {}]


def respond_for(url: str = HOOK_URL) -> AsyncRespond:
    """bolt's respond for a payload's response_url; the runtime's hook client posts for it."""
    return AsyncRespond(response_url=url)


class InProcessWolkvox(WolkvoxClient):
    """Wolkvox answered from the simulator's demo data, with no HTTP: `find_record` decodes the
    very body the simulator would send (a 404 "no records" when nothing matches)."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9")
        self.phones: list[str] = []  # the phone each find_record asked for, as sent

    @property
    def calls(self) -> int:
        return len(self.phones)

    async def find_record(
        self,
        token: Secret,
        *,
        phone: str = "",
        customer_id: str = "",
        campaign_id: str = "",
        timeout: float | None = None,
    ) -> FindAnswer:
        self.phones.append(phone)
        body = find_body(campaign_id, phone, customer_id)
        if body is None:
            return FindAnswer(total_records=0, campaigns=(), records=(), code="404", msg="")
        return decode_find_record(body)

    async def find_record_csv(
        self,
        token: Secret,
        out: Any,
        *,
        phone: str = "",
        customer_id: str = "",
        campaign_id: str = "",
        timeout: float | None = None,
        mask: Callable[[str], str] | None = None,
    ) -> int:
        self.phones.append(phone)
        body = find_body(campaign_id, phone, customer_id) or b'{"data": []}'
        return write_csv(body, out, mask=mask)

    async def campaigns(self, token: Secret, *, timeout: float | None = None) -> dict[str, str]:
        items = json_module.loads(campaigns_body())["data"]
        return {str(i["campaign_id"]): str(i["campaign_name"]) for i in items}


class GatedWork(Generic[T]):
    """Work several callers may share: counts its runs, and finishes only once `release()` is
    called, with `result(n)` for its n-th run."""

    def __init__(self, result: Callable[[int], T]) -> None:
        self.runs = 0
        self.gate = asyncio.Event()
        self._result = result

    async def __call__(self) -> T:
        self.runs += 1
        await self.gate.wait()
        return self._result(self.runs)

    def release(self) -> None:
        self.gate.set()

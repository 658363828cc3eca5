"""Scenario tests in bolt-python's style: the bolt app exactly as served, signed requests
dispatched in-process with `async_dispatch`, Slack and Wolkvox answered by the doubles
(tests/doubles.py). No socket, no server: what a request made the bot send is read back from
the recorders. The socket-level e2e suite (tests/e2e) keeps what needs the real process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.config import load_settings
from bot.devtools.fakeslack import requests as sr
from bot.slack.app import build_app
from bot.slack.flow import LookupFlow
from bot.store.memory import MemoryStore
from bot.wiring import build_runtime, build_service
from bot.wolkvox.records import Fetched
from tests.doubles import InProcessWolkvox, RecordingHooks, StubWebClient

SECRET = "scenario-signing-secret-0123456789"


@dataclass
class Scenario:
    app: AsyncApp
    flow: LookupFlow
    web: StubWebClient
    hooks: RecordingHooks
    wolkvox: InProcessWolkvox

    async def dispatch(self, body: str, content_type: str = sr.FORM) -> BoltResponse:
        """One request as Slack signs and sends it; bolt's answer (the ack)."""
        headers = {"content-type": content_type, **sr.sign(body, SECRET)}
        request = AsyncBoltRequest(body=body, headers=headers)
        return await self.app.async_dispatch(request)

    async def settle(self, timeout: float = 5.0) -> None:
        """Until the work the request started (after its ack) is done."""
        await asyncio.sleep(0.01)
        for _ in range(int(timeout / 0.01)):
            if not self.flow.rt.jobs_in_flight and not _bolt_tasks_running():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("background work did not finish")


def _bolt_tasks_running() -> bool:
    current = asyncio.current_task()
    return any(t is not current and not t.done() for t in asyncio.all_tasks())


def ack_body(response: BoltResponse) -> dict[str, Any]:
    return json.loads(response.body) if response.body else {}


@contextlib.asynccontextmanager
async def scenario(env: Mapping[str, str] | None = None) -> AsyncIterator[Scenario]:
    """The whole Slack side wired by the composition root, on the doubles."""
    settings = load_settings(
        {
            "WOLKVOX_BASE_URL": "http://127.0.0.1:9",  # never called: InProcessWolkvox answers
            "WOLKVOX_TOKEN": "demo-token-1",
            "SLACK_BOT_TOKEN": "xoxb-scenario",
            "SLACK_SIGNING_SECRET": SECRET,
            **(env or {}),
        },
        dotenv=False,
    )
    web, hooks, wolkvox = StubWebClient(locale="es-LA"), RecordingHooks(), InProcessWolkvox()
    store: MemoryStore[Fetched] = MemoryStore()
    service = build_service(settings, store, client=wolkvox)
    runtime = build_runtime(settings, service, store, web, hooks)
    flow = LookupFlow(runtime)
    try:
        yield Scenario(build_app(flow), flow, web, hooks, wolkvox)
    finally:
        await runtime.drain(5.0)
        await store.close()

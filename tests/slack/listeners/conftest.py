"""Listener unit tests in the bolt starter-template style: call a listener with a payload and
stand-ins for `ack`, `respond` and the Web API client, then read what it sent.

The lookup side is real (the composition root's service on a MemoryStore, talking HTTP to the
Wolkvox simulator on loopback); only Slack is faked, by recorders that answer like Slack.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.config import load_settings
from bot.devtools.wolkvox_sim.server import SimulatorConfig, serve_simulator
from bot.slack.flow import LookupFlow
from bot.store.memory import MemoryStore
from bot.wiring import build_runtime, build_service
from bot.wolkvox.records import Fetched

TEAM = "T0WOLKVOX"
USER = "U0AGENT01"
CHANNEL = "C0SOPORTE"
PHONE = "3001234567"


class Recorder:
    """An async callable that records its keyword arguments (ack, respond)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:  # ack("text") / respond("text")
            kwargs = {"text": args[0], **kwargs}
        self.calls.append(kwargs)
        return _Response(200)


@dataclass
class _Response:
    status_code: int


@dataclass
class FakeWeb:
    """The Web API methods the listeners call, recorded, answering `ok` like Slack."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)
    token: str = "xoxb-test"

    def __getattr__(self, method: str) -> Any:
        async def call(**kwargs: Any) -> dict[str, Any]:
            self.calls.append((method, kwargs))
            if method in self.fail:
                raise RuntimeError(f"{method} failed")
            if method == "users_info":
                return {"ok": True, "user": {"id": kwargs["user"], "locale": "en-US"}}
            if method == "auth_test":  # the installing team (Slack Connect rule)
                return {"ok": True, "team_id": TEAM, "user_id": "U0WOLKBOT"}
            return {"ok": True, "ts": f"1700000000.{len(self.calls):06d}", "channel": CHANNEL}

        return call

    def named(self, method: str) -> list[dict[str, Any]]:
        return [kwargs for name, kwargs in self.calls if name == method]


@pytest.fixture
async def wolkvox_url() -> AsyncIterator[str]:
    async with serve_simulator(SimulatorConfig(latency=0)) as (url, _):
        yield url


@pytest.fixture
def env() -> dict[str, str]:
    """Settings a test may change before `flow` is built."""
    return {}


@pytest.fixture
def web() -> FakeWeb:
    return FakeWeb()


@pytest.fixture
async def flow(wolkvox_url: str, env: dict[str, str], web: FakeWeb) -> AsyncIterator[LookupFlow]:
    settings = load_settings(
        {
            "WOLKVOX_BASE_URL": wolkvox_url,
            "WOLKVOX_TOKEN": "demo-token-1",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "s" * 32,
            "WOLKVOX_LANG": "en",
            **env,
        },
        dotenv=False,
    )
    store: MemoryStore[Fetched] = MemoryStore()
    service = build_service(settings, store)
    runtime = build_runtime(settings, service, store, web)  # type: ignore[arg-type]
    yield LookupFlow(runtime)
    await runtime.drain(5.0)
    await service.client.close()
    await store.close()


def text_of(node: Any) -> str:
    """Every text string in a card, a view or call arguments, joined."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node)
    return "\n".join(found)

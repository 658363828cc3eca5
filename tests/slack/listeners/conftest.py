"""Listener unit tests in the bolt starter-template style: call a listener with a payload and
stand-ins for `ack`, `respond` and the Web API client, then read what it sent.

No socket: the lookup side is the real service (guard, cache, coalescing on a MemoryStore) with
its HTTP answered in-process from the simulator's demo data; Slack is bolt's and slack_sdk's own
types with their transport recorded (tests/doubles.py).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import load_settings
from bot.slack.flow import LookupFlow
from bot.store.memory import MemoryStore
from bot.wiring import build_runtime, build_service
from bot.wolkvox.records import Fetched
from tests.doubles import InProcessWolkvox, RecordingHooks, StubWebClient

TEAM = "T0WOLKVOX"
USER = "U0AGENT01"
CHANNEL = "C0SOPORTE"
PHONE = "3001234567"


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A listener test opens no connection: anything that tries fails the test."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a listener test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", refuse)


@pytest.fixture
def env() -> dict[str, str]:
    """Settings a test may change before `flow` is built."""
    return {}


@pytest.fixture
def web() -> StubWebClient:
    return StubWebClient()


@pytest.fixture
def hooks() -> RecordingHooks:
    return RecordingHooks()


@pytest.fixture
def wolkvox() -> InProcessWolkvox:
    return InProcessWolkvox()


@pytest.fixture
async def flow(
    env: dict[str, str], web: StubWebClient, hooks: RecordingHooks, wolkvox: InProcessWolkvox
) -> AsyncIterator[LookupFlow]:
    settings = load_settings(
        {
            "WOLKVOX_BASE_URL": "http://127.0.0.1:9",  # never called: InProcessWolkvox answers
            "WOLKVOX_TOKEN": "demo-token-1",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "s" * 32,
            "WOLKVOX_LANG": "en",
            **env,
        },
        dotenv=False,
    )
    store: MemoryStore[Fetched] = MemoryStore()
    service = build_service(settings, store, client=wolkvox)
    runtime = build_runtime(settings, service, store, web, hooks)
    yield LookupFlow(runtime)
    await runtime.drain(5.0)
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

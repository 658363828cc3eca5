"""Listener unit tests in the bolt starter-template style: call a listener with a payload and
stand-ins for `ack`, `respond` and the Web API client, then read what it sent.

No socket: the lookup side is the real service (guard, cache, coalescing on a MemoryStore) with
its HTTP answered in-process from the simulator's demo data; Slack is bolt's and slack_sdk's own
types with their transport recorded (tests/doubles.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

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
def _offline(no_network: None) -> None:
    """A listener test opens no connection (tests/conftest.py: no_network)."""


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

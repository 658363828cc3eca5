"""Fixtures every test folder may use."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from tests.redis_server import redis_server, redis_url  # noqa: F401


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test opens no network connection: anything that tries fails it. For listener and
    scenario tests, whose Slack and Wolkvox are answered in-process (tests/doubles.py)."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("this test must not open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", refuse)

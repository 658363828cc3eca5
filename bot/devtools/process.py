"""Child processes on loopback: the environment they start with and a port for them to listen on.

The end-to-end tests and the benchmarks run the real `python -m bot serve` (and the simulator) as
subprocesses. Each must see only the settings its caller gives it: a developer's real Wolkvox or
Slack credentials, a Redis URL or a proxy in the parent's environment must never reach it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
"""The repository root: a child's PYTHONPATH, so `-m bot` imports this tree from any cwd."""

BOT_SETTING_PREFIXES = ("WOLKVOX_", "SLACK_", "REDIS_")
BOT_SETTING_NAMES = frozenset({"PORT", "HOST"})
PROXY_VARS = frozenset(
    {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}
)
LOOPBACK = "127.0.0.1"

__all__ = [
    "BOT_SETTING_NAMES",
    "BOT_SETTING_PREFIXES",
    "LOOPBACK",
    "PROXY_VARS",
    "REPO",
    "clean_env",
    "free_port",
    "start_bot",
]


def _is_bot_setting(name: str) -> bool:
    return name.startswith(BOT_SETTING_PREFIXES) or name in BOT_SETTING_NAMES


def clean_env(extra: Mapping[str, str], *, drop_proxies: bool = False) -> dict[str, str]:
    """This process's environment minus every bot setting, plus PYTHONPATH, HOST and `extra`.

    Dropped: WOLKVOX_*, SLACK_*, REDIS_*, PORT and HOST (so no developer credentials leak in),
    and with `drop_proxies` the proxy variables too (a Socket Mode websocket to the local
    stand-in must not go through a proxy). Added: PYTHONPATH=the repository and
    HOST=127.0.0.1 (loopback only), then `extra`, which may override either.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not _is_bot_setting(k) and not (drop_proxies and k in PROXY_VARS)
    }
    env["PYTHONPATH"] = str(REPO)
    env["HOST"] = LOOPBACK
    env.update(extra)
    return env


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (bound, then released), for a child to listen on
    or, left unused, for an address where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


async def start_bot(
    env: Mapping[str, str],
    *,
    cwd: Path,
    stdout: IO[Any] | int | None = None,
    stderr: IO[Any] | int | None = None,
) -> asyncio.subprocess.Process:
    """The real `python -m bot serve` as a child with exactly `env` (build it with `clean_env`).

    `cwd` should lie outside the repository, so the child reads no developer's `.env`.
    """
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", cwd=cwd, env=dict(env), stdout=stdout, stderr=stderr
    )

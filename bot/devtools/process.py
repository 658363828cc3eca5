"""Child processes on loopback: the environment they start with and a port for them to listen on.

The end-to-end tests and the benchmarks run the real `python -m bot serve` (and the simulator) as
subprocesses. Each must see only the settings its caller gives it: a developer's real Wolkvox or
Slack credentials, a Redis URL or a proxy in the parent's environment must never reach it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path

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

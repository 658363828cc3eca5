"""Processes and the load driver: simulator, bot(s) and Redis as subprocesses; Slack as FakeSlack.

The benchmark process runs only the driver (an aiohttp client signing slash commands as Slack
does) and FakeSlack (where the bot posts its cards), so what it measures is the bot's own time,
not time the bot spent waiting for the driver's event loop. Nothing here listens on anything but
127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from bot.devtools.fakeslack.reading import texts
from bot.devtools.fakeslack.server import FakeSlack
from bot.devtools.process import REPO, clean_env, free_port, start_bot
from bot.devtools.stack import CHANNEL, post_slash_command
from bot.devtools.wolkvox_sim.data import build_demo_data
from bot.devtools.wolkvox_sim.server import DEMO_NUMBERS
from bot.i18n import t

RESULT_PREFIX = "Wolkvox · "  # a result card's fallback text (i18n "fallback_result")
SEARCHING_PREFIX = "🔎"  # the "searching…" ack (i18n "searching")


def proc_memory_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process, in MB (1 MB = 2**20 B)."""
    out = {"rss": 0.0, "hwm": 0.0}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out["rss" if key == "VmRSS" else "hwm"] = int(rest.split()[0]) / 1024
    return out


def lookup_numbers() -> list[str]:
    """Mobile numbers of the simulator's generated customers: each has records, none is a demo
    number with a special behaviour. Sorted, so every run asks for the same ones."""
    data = build_demo_data()
    special = set(DEMO_NUMBERS)
    return sorted(
        p
        for p in data.by_phone
        if len(p) == 10 and p.startswith("3") and not p.startswith("30000") and p not in special
    )


# --------------------------------------------------------------------------- simulator


class SimStats(Protocol):
    """Where the simulator's counters come from: its subprocess, or the in-process stack."""

    async def stats(self) -> dict[str, Any]: ...

    async def reset(self) -> None: ...


@dataclass
class SimulatorProcess:
    """`python -m bench.simproc` as a child process; `url` is its WOLKVOX_BASE_URL."""

    latency: float
    simultaneous_limit: int = 2
    slow_seconds: float = 65.0  # how long the slow number (SLOW_PHONE) hangs
    bandwidth_mbps: float = 0.0  # big bodies paced to this many MB/s (0: as fast as loopback)
    url: str = ""
    process: asyncio.subprocess.Process | None = None
    session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.simproc",
            "--latency",
            str(self.latency),
            "--simultaneous-limit",
            str(self.simultaneous_limit),
            "--slow-seconds",
            str(self.slow_seconds),
            "--bandwidth-mbps",
            str(self.bandwidth_mbps),
            cwd=REPO,
            env=clean_env({}),  # a developer's real credentials never reach a benchmark
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=30)
        self.url = line.decode().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"simulator did not start (said {line!r})")
        self.session = aiohttp.ClientSession()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def stats(self) -> dict[str, Any]:
        assert self.session is not None
        async with self.session.get(self.url + "/_bench/stats") as resp:
            data: dict[str, Any] = await resp.json()
            return data

    async def reset(self) -> None:
        assert self.session is not None
        for _ in range(200):
            async with self.session.post(self.url + "/_bench/reset") as resp:
                if resp.status == 200:
                    return
            await asyncio.sleep(0.05)
        raise RuntimeError("simulator still has calls in flight; cannot reset")

    async def fetch_raw(self, phone: str, token: str = "demo-token-4") -> bytes:
        """One find_record straight from the simulator (e.g. to build the big answer up front)."""
        return (await self.fetch_timed(phone, token))[0]

    async def fetch_timed(self, phone: str, token: str = "demo-token-4") -> tuple[bytes, float]:
        """(body, seconds from the request to its last byte): what a bare client takes."""
        assert self.session is not None
        started = time.monotonic()
        async with self.session.get(
            self.url + "/api/v2/campaign.php",
            params={"api": "find_record", "campaign_id": "", "customer_phone": phone},
            headers={"wolkvox-token": token},
            timeout=aiohttp.ClientTimeout(total=120),
        ) as resp:
            body = await resp.read()
        return body, time.monotonic() - started

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
        await _terminate(self.process, 10.0)


# --------------------------------------------------------------------------- bot


@dataclass
class BotProcess:
    """The real bot (`python -m bot serve`) as a child process with `env` as its settings,
    listening on loopback only (HOST), started outside the repo so no `.env` is read."""

    env: dict[str, str]
    log_dir: Path
    name: str = "bot"
    port: int = 0
    process: asyncio.subprocess.Process | None = None

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 30.0) -> None:
        self.port = free_port()
        with (
            (self.log_dir / f"{self.name}.out").open("wb") as out,  # audit lines, one per lookup
            (self.log_dir / f"{self.name}.err").open("wb") as err,
        ):
            self.process = await start_bot(
                clean_env({**self.env, "PORT": str(self.port)}),
                cwd=self.log_dir,
                stdout=out,
                stderr=err,
            )
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline and self.process.returncode is None:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as resp:
                        await resp.read()
                        return
                await asyncio.sleep(0.05)
        await self.stop()
        raise RuntimeError(f"{self.name} did not start: {self.log_tail()}")

    def memory_mb(self) -> dict[str, float]:
        return proc_memory_mb(self.pid)

    def log_tail(self, chars: int = 1500) -> str:
        path = self.log_dir / f"{self.name}.err"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    async def stop(self) -> None:
        """SIGTERM (the bot drains answers in flight), then kill after 30 s."""
        await _terminate(self.process, 30.0)


async def _terminate(proc: asyncio.subprocess.Process | None, grace: float) -> None:
    if proc is None or proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), timeout=grace)
    except TimeoutError:
        proc.kill()
        await proc.wait()


# --------------------------------------------------------------------------- redis


@dataclass
class RedisProcess:
    """A throwaway redis-server on a free loopback port, without persistence."""

    workdir: Path
    port: int = 0
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found (apt-get install -y redis-server)")
        self.port = free_port()
        with (self.workdir / "redis.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.workdir), "--daemonize", "no",
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.returncode is None:
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            await asyncio.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    async def stop(self) -> None:
        await _terminate(self.process, 5.0)


# --------------------------------------------------------------------------- driver


@dataclass
class Lookup:
    """One slash command as the agent lived it (times: `time.monotonic()`, as FakeSlack's)."""

    text: str
    user: str
    response_url: str
    sent_at: float = 0.0
    acked_at: float = 0.0
    status: int = 0
    ack_is_card: bool = False
    card_at: float | None = None
    card_text: str = ""
    error: str = ""

    @property
    def ack_s(self) -> float:
        return self.acked_at - self.sent_at

    @property
    def card_ok(self) -> bool:
        return self.card_at is not None and self.card_text.startswith(RESULT_PREFIX)


@dataclass
class Driver:
    """Signs and posts `/wolkvox` commands like Slack, and collects the cards from FakeSlack."""

    slack: FakeSlack
    session: aiohttp.ClientSession
    agents: list[str] = field(default_factory=list)
    _waiting: dict[str, asyncio.Future[Any]] = field(default_factory=dict)
    _seen: int = 0

    async def watch_cards(self, period: float = 0.01) -> None:
        """Hand each response_url post to whoever waits for it. One poller instead of one
        FakeSlack waiter per command: those all re-scan every post on every post (quadratic),
        which would load the driver under steady load. The card's time is FakeSlack's arrival
        stamp, so polling delays only when we learn of it, not what is measured."""
        while True:
            posts = self.slack.responses(accepted=True)
            for post in posts[self._seen :]:
                future = self._waiting.pop(post.hook_id, None)
                if future is not None and not future.done():
                    future.set_result(post)
            self._seen = len(posts)
            await asyncio.sleep(period)

    def add_agents(self, n: int, prefix: str = "U0AG") -> list[str]:
        """`n` agents (distinct users, as a team searching at once), known to FakeSlack."""
        start = len(self.agents)
        for i in range(start, start + n):
            user = f"{prefix}{i:05d}"
            self.slack.add_user(user, name=f"agente{i}", locale="es-LA")
            self.agents.append(user)
        return self.agents[start:]

    async def command(
        self, events_url: str, secret: str, text: str, user: str, card_timeout: float = 60.0
    ) -> Lookup:
        """Post `/wolkvox <text>`; wait for the card (the ack itself, or a response_url post)."""
        url = self.slack.new_response_url(channel_id=CHANNEL, user_id=user)
        lookup = Lookup(text=text, user=user, response_url=url)
        hook_id = self.slack.hook_id(url)
        waiting: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[hook_id] = waiting
        lookup.sent_at = time.monotonic()
        try:
            lookup.status, ack_text, elapsed, _ = await post_slash_command(
                self.session, events_url, secret, self.slack, text, user=user, response_url=url
            )
            lookup.acked_at = time.monotonic()
            lookup.sent_at = lookup.acked_at - elapsed  # the request alone, not its signing
        except aiohttp.ClientError as error:
            self._waiting.pop(hook_id, None)
            lookup.acked_at = time.monotonic()
            lookup.error = f"ack: {type(error).__name__}"
            return lookup
        ack = _json_or_empty(ack_text)
        ack_card = str(ack.get("text") or "")
        if ack_card and not ack_card.startswith(SEARCHING_PREFIX):
            self._waiting.pop(hook_id, None)
            lookup.ack_is_card = True
            lookup.card_at, lookup.card_text = lookup.acked_at, ack_card
            return lookup
        try:
            post = await asyncio.wait_for(asyncio.shield(waiting), timeout=card_timeout)
        except TimeoutError:
            self._waiting.pop(hook_id, None)
            lookup.error = "no card within the timeout"
            return lookup
        lookup.card_at = post.at
        lookup.card_text = str((post.body or {}).get("text") or "")
        return lookup

    async def status_cache_hit_rate(self, events_url: str, secret: str, user: str) -> float | None:
        """The bot's own cache hit rate, read from `/wolkvox status` (es card: "Caché … NN %")."""
        _, ack, _, _ = await post_slash_command(
            self.session, events_url, secret, self.slack, "status", user=user
        )
        card = _json_or_empty(ack)
        label = t("es", "status_cache")
        for text in texts(card):
            if label in text and (m := re.search(r"(\d+)\s*%", text.split(label, 1)[1])):
                return int(m.group(1)) / 100
        return None


def _json_or_empty(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@contextlib.asynccontextmanager
async def driver() -> AsyncIterator[Driver]:
    """FakeSlack (no Block Kit validation: that is the e2e tests' job and would load the driver)
    and a client session with no connection cap, as Slack opens as many as it needs."""
    async with (
        FakeSlack(validate_blocks=False) as slack,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
    ):
        drv = Driver(slack=slack, session=session)
        watcher = asyncio.create_task(drv.watch_cards())
        try:
            yield drv
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


def new_secret() -> str:
    return secrets.token_hex(16)


@contextlib.contextmanager
def scratch_dir() -> Any:
    """Where child processes write their logs; removed afterwards unless BENCH_KEEP_LOGS is set."""
    path = Path(tempfile.mkdtemp(prefix="wolkvox-bench-"))
    try:
        yield path
    finally:
        if not os.environ.get("BENCH_KEEP_LOGS"):
            shutil.rmtree(path, ignore_errors=True)

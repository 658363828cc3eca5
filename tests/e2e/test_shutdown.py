"""SIGTERM to the real process (`python -m bot serve`), as Heroku sends on every restart.

The bot runs as a subprocess against a slow simulator (each call holds the only token slot
for LATENCY s) and FakeSlack, both in this process. Several different lookups are fired; while
the first is at Wolkvox and the rest wait in line, SIGTERM arrives. Every one of them must get
its card at its response_url before the process exits 0, and a command arriving during the
drain must be told the bot is restarting rather than be lost. Its logs must hold no secret.

The session runs once (module fixture); the tests read what it recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.devtools.fakeslack.server import FakeSlack, HookPost
from bot.devtools.process import clean_env, free_port, start_bot
from bot.devtools.stack import AGENT, post_slash_command
from bot.devtools.wolkvox_sim.server import STATS, QueryKey, SimulatorConfig, serve_simulator

LATENCY = 1.2  # per Wolkvox call; 4 lookups + 1 campaign-names call in line ≈ 6 s < grace
GRACE = 10
BOT_TOKEN = "xoxb-shutdown-test-4Kq9ZrT2mVx7"
SIGNING_SECRET = "shutdown-signing-secret-8Hf3Lp0Qw"
WOLKVOX_TOKEN = "WVTOKEN-shutdown-3Nc7Yd1Rk"
SHOWCASE_NAME = "María Fernanda Gómez Restrepo"
# Different queries (none shares another's call): text → what its card must say.
LOOKUPS = {
    "3001234567": SHOWCASE_NAME,
    "3104567890": "3104567890"[-4:],
    "3009999999": "No records",
    "find id 1020304050": SHOWCASE_NAME,
}
LATE_PHONE = "3000000200"  # sent during the drain


@dataclass
class Session:
    returncode: int | None = None
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, list[HookPost]] = field(default_factory=dict)
    exited_at: float = 0.0
    health_while_draining: dict[str, Any] = field(default_factory=dict)
    late_status: int = 0
    late_ack: dict[str, Any] = field(default_factory=dict)
    late_posts: list[HookPost] = field(default_factory=list)
    late_lookups: int = -1
    stdout: str = ""
    stderr: str = ""


def bot_env(wolkvox_url: str, fs: FakeSlack, port: int) -> dict[str, str]:
    """The parent's environment minus anything of the bot's, plus this session's settings."""
    return clean_env(
        {
            "PORT": str(port),
            "WOLKVOX_BASE_URL": wolkvox_url,
            "WOLKVOX_TOKEN": WOLKVOX_TOKEN,
            "WOLKVOX_SHUTDOWN_GRACE": str(GRACE),
            "WOLKVOX_MAX_CONCURRENCY": "1",
            "WOLKVOX_LANG": "en",
            "SLACK_API_URL": fs.api_url,
            "SLACK_BOT_TOKEN": fs.token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        }
    )


async def wait_until_serving(http: aiohttp.ClientSession, base: str, proc: Any) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise AssertionError(f"the bot exited at start-up with {proc.returncode}")
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(f"{base}/healthz") as resp:
                if resp.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise AssertionError("the bot did not start serving within 30 s")


async def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    for _ in itertools.count():
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def command(
    http: aiohttp.ClientSession, base: str, fs: FakeSlack, text: str
) -> tuple[int, dict[str, Any], str]:
    status, ack, _, url = await post_slash_command(
        http, f"{base}/slack/events", SIGNING_SECRET, fs, text
    )
    return status, (json.loads(ack) if ack.strip() else {}), url


async def run_session(tmp: Path) -> Session:
    out = Session()
    config = SimulatorConfig(latency=LATENCY)
    async with (
        serve_simulator(config) as (wolkvox_url, sim),
        FakeSlack(token=BOT_TOKEN) as fs,
        aiohttp.ClientSession() as http,
    ):
        fs.add_user(AGENT, name="ana.agente", locale="en-US")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        stdout, stderr = tmp / "stdout.log", tmp / "stderr.log"
        with stdout.open("wb") as out_file, stderr.open("wb") as err_file:
            proc = await start_bot(
                bot_env(wolkvox_url, fs, port), cwd=tmp, stdout=out_file, stderr=err_file
            )
            try:
                await wait_until_serving(http, base, proc)
                urls = {}
                for text in LOOKUPS:
                    status, ack, urls[text] = await command(http, base, fs, text)
                    assert status == 200
                    out.acks[text] = ack
                await eventually(lambda: sim[STATS].total_requests > 0)  # first one at Wolkvox

                proc.send_signal(signal.SIGTERM)
                for _ in range(500):  # the signal is handled: the bot says so and drains
                    async with http.get(f"{base}/healthz") as resp:
                        body = await resp.json()
                    if body["status"] == "draining":
                        out.health_while_draining = body
                        break
                    await asyncio.sleep(0.02)
                else:
                    raise AssertionError("/healthz never said draining after SIGTERM")
                out.late_status, out.late_ack, late_url = await command(http, base, fs, LATE_PHONE)

                out.returncode = await asyncio.wait_for(proc.wait(), GRACE + 20)
                out.exited_at = time.monotonic()
                out.answers = {text: fs.responses(url) for text, url in urls.items()}
                out.late_posts = fs.responses(late_url)
                out.late_lookups = sum(
                    n for key, n in sim[STATS].queries.items() if key.customer_phone == LATE_PHONE
                )
                assert QueryKey("find_record", "", LATE_PHONE, "") not in sim[STATS].queries
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
        out.stdout = stdout.read_text(encoding="utf-8", errors="replace")
        out.stderr = stderr.read_text(encoding="utf-8", errors="replace")
    return out


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """One real process, one SIGTERM (≈10 s): shared by the tests below."""
    return asyncio.run(run_session(tmp_path_factory.mktemp("shutdown")))


def text_of(node: Any) -> str:
    """The whole post as JSON text: the expected words may sit in any field."""
    return json.dumps(node, ensure_ascii=False)


def test_sigterm_lets_every_lookup_in_flight_answer_then_exits_0(session: Session) -> None:
    assert session.returncode == 0, session.stderr[-3000:]
    for text, expected in LOOKUPS.items():
        assert session.acks[text]["text"].startswith("🔎"), text  # acked with "searching…"
        posts = session.answers[text]
        assert [p.status for p in posts] == [200], (text, posts)
        card = text_of(posts[0].body)
        assert expected in card, (text, card)
        assert "restarting" not in card
        assert posts[0].at < session.exited_at
    # SIGTERM came with one lookup at Wolkvox and others waiting in line for the token
    assert session.health_while_draining["in_flight"] >= 2
    assert session.health_while_draining["queue_depth"] >= 1


def test_a_command_during_the_drain_is_told_the_bot_is_restarting(session: Session) -> None:
    assert session.late_status == 200
    assert "The bot is restarting" in text_of(session.late_ack)
    assert session.late_lookups == 0  # no new work taken
    assert session.late_posts == []  # the ack was the whole answer: nothing left hanging


def test_logs_hold_no_secret(session: Session) -> None:
    logs = session.stderr + session.stdout
    assert "shutting down: finishing" in session.stderr  # the logs were captured at all
    assert '"audit":"lookup"' in session.stdout
    for secret in (BOT_TOKEN, SIGNING_SECRET, WOLKVOX_TOKEN):
        assert secret not in logs
        assert secret[-8:] not in logs  # nor a recognisable piece of it
    assert "Traceback" not in session.stderr


# ------------------------------------------------- more waiting than the grace can serve

QUEUED = 40  # distinct lookups behind one token at LATENCY each: far more than the grace serves
SHORT_GRACE = 2


async def run_overload(tmp: Path) -> tuple[int | None, float, dict[str, list[HookPost]], str]:
    """SIGTERM with QUEUED lookups waiting and WOLKVOX_SHUTDOWN_GRACE=2."""
    async with (
        serve_simulator(SimulatorConfig(latency=LATENCY)) as (wolkvox_url, _),
        FakeSlack(token=BOT_TOKEN) as fs,
        aiohttp.ClientSession() as http,
    ):
        fs.add_user(AGENT, name="ana.agente", locale="en-US")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = bot_env(wolkvox_url, fs, port)
        env["WOLKVOX_SHUTDOWN_GRACE"] = str(SHORT_GRACE)
        env["WOLKVOX_USER_RATE"] = "1000"  # one agent sends them all
        stderr = tmp / "overload.log"
        with stderr.open("wb") as err_file:
            proc = await start_bot(env, cwd=tmp, stdout=asyncio.subprocess.DEVNULL, stderr=err_file)
            try:
                await wait_until_serving(http, base, proc)
                urls = {}
                for n in range(QUEUED):
                    text = f"find 30055{n:05d}"
                    status, _, urls[text] = await command(http, base, fs, text)
                    assert status == 200
                signalled = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                returncode = await asyncio.wait_for(proc.wait(), SHORT_GRACE + 20)
                took = time.monotonic() - signalled
                answers = {text: fs.responses(url) for text, url in urls.items()}
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
        return returncode, took, answers, stderr.read_text(encoding="utf-8", errors="replace")


def test_nobody_is_left_searching_when_the_grace_runs_out(tmp_path: Path) -> None:
    returncode, took, answers, stderr = asyncio.run(run_overload(tmp_path))
    assert returncode == 0, stderr[-2000:]
    assert took < SHORT_GRACE + 6  # the grace, the notes (≤ 3 s), and closing
    told = answered = 0
    for text, posts in answers.items():
        assert [p.status for p in posts] == [200], (text, posts)  # exactly one answer each
        body = text_of(posts[0].body)
        if "The bot restarted before your search finished" in body:
            told += 1
        else:
            assert "No records" in body, (text, body)  # a real answer, not an error
            answered += 1
        assert "unavailable" not in body.lower()  # the bot's own shutdown is not Wolkvox's fault
    assert told >= QUEUED // 2 and answered + told == QUEUED
    assert "telling" in stderr and "Traceback" not in stderr

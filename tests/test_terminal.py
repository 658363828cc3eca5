"""`python -m bot find …` end to end: a real subprocess against the simulator on a loopback port.

Exit 0 with a readable summary on an answer (no records included), 2 with one line on bad input
or settings, 1 with one line on an upstream failure; never a traceback, never the token.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from bot.devtools.process import free_port
from bot.devtools.wolkvox_sim.server import DEMO_TOKENS, SimulatorConfig, serve_simulator
from bot.errors import Busy, LookupFailure
from bot.query import Query
from bot.terminal import describe_failure, format_result
from bot.wolkvox.errors import CircuitOpen, QuotaExceeded, TokenRejected, UpstreamError
from bot.wolkvox.lookup import LookupResult
from bot.wolkvox.records import CampaignSummary, FindAnswer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = sorted(DEMO_TOKENS)[0]
UNKNOWN_TOKEN = "not-a-demo-token-7f3a9c"


@dataclass
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def check_clean(self, *secrets: str) -> None:
        text = self.out + self.err
        assert "Traceback" not in text, text
        for secret in secrets:
            assert secret not in text, f"secret printed by {self.args}"

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


async def run_bot(cwd: Path, *args: str, **env: str) -> Run:
    """`python -m bot …` with only the given settings (no inherited WOLKVOX_*, no .env)."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "HOME": str(cwd),
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        **env,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return Run(args, proc.returncode, out.decode(), err.decode())


@pytest.fixture
async def simulator() -> AsyncIterator[str]:
    async with serve_simulator(SimulatorConfig(latency=0.01, tokens=DEMO_TOKENS)) as (url, _):
        yield url


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / ".env").write_text("")  # an empty .env of our own: nothing from the developer's
    return tmp_path


async def test_find_prints_a_readable_summary(simulator: str, workdir: Path) -> None:
    env = {"WOLKVOX_BASE_URL": simulator, "WOLKVOX_TOKEN": TOKEN}
    phone, by_id, one_campaign, spaced, nothing = await asyncio.gather(
        run_bot(workdir, "find", "3001234567", **env),
        run_bot(workdir, "find", "id", "1020304050", **env),
        run_bot(workdir, "find", "3001234567", "campaign", "42", **env),
        run_bot(workdir, "find", "+57", "300", "123", "4567", **env),
        run_bot(workdir, "find", "3009999999", **env),
    )
    for run in (phone, by_id, one_campaign, spaced, nothing):
        assert run.code == 0, run
        assert run.err == "", run
        run.check_clean(TOKEN)

    lines = phone.out.splitlines()
    assert lines[0] == "Wolkvox: 3001234567"
    assert lines[1].startswith("6 record(s) in 3 campaign(s) (live, Wolkvox took ")
    assert lines[2].startswith("- Cobranza Q4 [42]: María Fernanda Gómez Restrepo · last 2026-")
    assert "Promesa de pago" in lines[2] and "call(s)" in lines[2]
    assert {line.split(" [")[0] for line in lines[2:]} == {
        "- Cobranza Q4",
        "- Ventas Hogar",
        "- Encuesta NPS",
    }

    assert by_id.out.splitlines()[0] == "Wolkvox: id 1020304050"
    assert by_id.out.splitlines()[1:] and "María Fernanda" in by_id.out
    assert one_campaign.out.splitlines()[0] == "Wolkvox: 3001234567 campaign 42"
    assert "in 1 campaign(s)" in one_campaign.out
    assert "Ventas Hogar" not in one_campaign.out
    assert spaced.out.splitlines()[0] == "Wolkvox: 3001234567"
    assert nothing.out.splitlines()[0] == "Wolkvox: 3009999999"
    assert nothing.out.splitlines()[1].startswith("No records found (live")


async def test_bad_input_and_settings_exit_2_with_one_line(simulator: str, workdir: Path) -> None:
    env = {"WOLKVOX_BASE_URL": simulator, "WOLKVOX_TOKEN": TOKEN}
    runs = await asyncio.gather(
        run_bot(workdir, "find", "abc", **env),
        run_bot(workdir, "find", "id", **env),
        run_bot(workdir, "find", "3001234567", "campaign", "x", **env),
        run_bot(workdir, "find", "12", **env),
        run_bot(workdir, "find", "3001234567", WOLKVOX_BASE_URL=simulator),  # no token
        run_bot(workdir, "find", "3001234567", WOLKVOX_TOKEN=TOKEN),  # no server
        run_bot(workdir, "find", "3001234567", WOLKVOX_MAX_CONCURRENCY="3", **env),
        run_bot(workdir, "find", "3001234567", **{**env, "WOLKVOX_BASE_URL": simulator + "?a=b"}),
        run_bot(workdir, "find", "3001234567", WOLKVOX_TOKENS=f"{TOKEN},{TOKEN}"),
    )
    expected_starts = [
        "bad query: 'abc' is not a phone number",
        "bad query: missing customer id",
        "bad query: 'x' is not a campaign id",
        "bad query: phone number too short",
        "configuration error: WOLKVOX_TOKEN: ",
        "configuration error: WOLKVOX_SERVER: ",
        "configuration error: WOLKVOX_MAX_CONCURRENCY: ",
        "configuration error: WOLKVOX_BASE_URL: ",
        "configuration error: WOLKVOX_TOKENS: ",
    ]
    for run, start in zip(runs, expected_starts, strict=True):
        assert run.code == 2, run
        assert run.out == "", run
        assert run.err_lines[0].startswith(start), run
        run.check_clean(TOKEN)
    for run in runs[:4]:  # bad queries: the message, then the usage
        assert len(run.err_lines) == 2 and run.err_lines[1].startswith("usage: "), run
    for run in runs[4:]:
        assert len(run.err_lines) == 1, run


async def test_no_arguments_prints_usage(workdir: Path) -> None:
    run = await run_bot(workdir, "find")
    assert run.code == 2
    assert run.err_lines == [run.err_lines[0]] and run.err.startswith("usage: python -m bot find")


async def test_upstream_failures_exit_1_with_one_line(simulator: str, workdir: Path) -> None:
    env = {"WOLKVOX_BASE_URL": simulator, "WOLKVOX_TOKEN": TOKEN}
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    runs = await asyncio.gather(
        run_bot(
            workdir, "find", "3001234567", WOLKVOX_BASE_URL=simulator, WOLKVOX_TOKEN=UNKNOWN_TOKEN
        ),
        run_bot(workdir, "find", "3000000403", **env),
        run_bot(workdir, "find", "3000000429", **env),
        run_bot(workdir, "find", "3000000503", **env),
        run_bot(workdir, "find", "3000000206", **env),
        run_bot(workdir, "find", "3001234567", WOLKVOX_BASE_URL=closed, WOLKVOX_TOKEN=TOKEN),
    )
    expected = [
        "lookup failed: Wolkvox rejected the token (check WOLKVOX_TOKEN)",
        "lookup failed: Wolkvox rejected the token (check WOLKVOX_TOKEN)",
        "lookup failed: the token's daily quota is spent; try again after midnight",
        "lookup failed: Wolkvox is unavailable (maintenance or network); try again shortly",
        "lookup failed: Wolkvox gave a broken answer",
        "lookup failed: Wolkvox is unavailable (maintenance or network); try again shortly",
    ]
    for run, line in zip(runs, expected, strict=True):
        assert run.code == 1, run
        assert run.out == "", run
        assert run.err_lines == [line], run
        run.check_clean(TOKEN, UNKNOWN_TOKEN)


async def test_simulator_subcommand_serves_find_and_stops_on_sigterm(workdir: Path) -> None:
    """`python -m bot simulator --port 0` in its own process, then `find` against it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "simulator",
        "--port",
        "0",
        "--latency",
        "0",
        cwd=workdir,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": str(workdir)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            banner = (await proc.stdout.readline()).decode()
        assert banner.startswith("Wolkvox simulator on http://127.0.0.1:"), banner
        url = banner.split()[3]
        run = await run_bot(
            workdir, "find", "3001234567", WOLKVOX_BASE_URL=url, WOLKVOX_TOKEN=TOKEN
        )
        assert run.code == 0, run
        assert "6 record(s) in 3 campaign(s)" in run.out
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            _, err = await proc.communicate()
    assert proc.returncode == 0, err
    assert b"Traceback" not in err


async def test_unknown_command(workdir: Path) -> None:
    run = await run_bot(workdir, "frobnicate")
    assert run.code == 2
    assert run.err_lines == [
        "unknown command 'frobnicate'; commands: serve (default), run, find, simulator, demo"
    ]


# --- formatting (pure) ------------------------------------------------------------------------


def _summary(**overrides: object) -> CampaignSummary:
    values: dict[str, object] = {
        "campaign_id": "42",
        "customer_name": "Ana Pérez",
        "customer_id": "1020304050",
        "phone": "3001234567",
        "last_date": datetime(2026, 1, 16, 14, 3),
        "last_date_raw": "2026-01-16 14:03:27",
        "last_result": "Promesa de pago",
        "calls": 4,
        "calls_raw": "4",
        "conn_id": "1768590207.15",
        "records": 3,
        "campaign_name": "Cobranza Q4",
    }
    values.update(overrides)
    return CampaignSummary(**values)  # type: ignore[arg-type]


def _result(*campaigns: CampaignSummary, from_cache: bool = False) -> LookupResult:
    answer = FindAnswer(
        total_records=sum(c.records for c in campaigns), campaigns=campaigns, records=()
    )
    return LookupResult(
        query=Query(phone="3001234567"),
        answer=answer,
        fetched_at=1000.0,
        from_cache=from_cache,
        shared=False,
        upstream_ms=1234.0,
    )


def test_format_result_live_and_cached() -> None:
    live = format_result(_result(_summary()), now=1000.0)
    assert live.splitlines() == [
        "Wolkvox: 3001234567",
        "3 record(s) in 1 campaign(s) (live, Wolkvox took 1.23 s)",
        "- Cobranza Q4 [42]: Ana Pérez · last 2026-01-16 14:03 · Promesa de pago · 4 call(s)"
        " · call id 1768590207.15 · 3 record(s)",
    ]
    assert "(from cache, 42 s ago)" in format_result(_result(_summary(), from_cache=True), 1042.0)
    assert "(from cache, 3 min ago)" in format_result(_result(_summary(), from_cache=True), 1200.0)
    assert "No records found (from cache, 0 s ago)." in format_result(
        _result(from_cache=True), 1000.0
    )


def test_format_result_gaps_and_control_characters() -> None:
    text = format_result(
        _result(
            _summary(
                campaign_name="",
                customer_name="Ana\x1b[31m\nPérez",
                last_date=None,
                last_date_raw="",
                last_result="",
                calls=None,
                calls_raw="n/a",
                conn_id="",
            )
        ),
        now=1000.0,
    )
    line = text.splitlines()[2]
    assert len(text.splitlines()) == 3  # a newline in a field cannot break the layout
    assert "\x1b" not in text
    assert line.startswith("- campaign [42]: Ana [31m Pérez · last no date · no result")
    assert "n/a call(s) · call id -" in line


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (TokenRejected("403"), "Wolkvox rejected the token (check WOLKVOX_TOKEN)"),
        (QuotaExceeded(""), "the token's daily quota is spent; try again after midnight"),
        (CircuitOpen(""), "Wolkvox keeps failing; not asking again for a moment"),
        (Busy(""), "every token was busy for too long (WOLKVOX_QUEUE_TIMEOUT)"),
        (UpstreamError(code="500", message="oops"), "Wolkvox answered with an error: 500 oops"),
        (LookupFailure("weird"), "unexpected error"),
    ],
)
def test_describe_failure(error: LookupFailure, text: str) -> None:
    assert describe_failure(error) == text

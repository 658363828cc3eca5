"""`python -m bot find …` end to end: a real subprocess against the simulator on a loopback port.

Exit 0 with the card as text on an answer (no records included), 2 with one line on bad input
or settings, 1 with one line on an upstream failure; never a traceback, never the token. The
text is the card's, in WOLKVOX_LANG (English here unless a test says otherwise).
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

from bot.config import load_settings
from bot.devtools.process import free_port
from bot.devtools.wolkvox_sim.server import DEMO_TOKENS, SimulatorConfig, serve_simulator
from bot.errors import Busy, LookupFailure
from bot.query import Query
from bot.terminal import format_failure, format_result
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
        "WOLKVOX_LANG": "en",
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
    assert lines[0] == "🔎 3001234567"
    assert lines[2].startswith("6 records in 3 campaigns · last contact ")
    assert "Promesa de pago" in lines[2]
    assert "  Customer: María Fernanda Gómez Restrepo" in lines
    assert "Result: ANSWER" not in phone.out and "  Result: Answered" in lines
    assert lines[-1].startswith("  Live · Wolkvox took ")
    campaigns = [line for line in lines if " · campaign " in line and not line.startswith("6 ")]
    assert campaigns == [
        "Cobranza Q4 · campaign 42",
        "Encuesta NPS · campaign 78",
        "Ventas Hogar · campaign 57",
    ]
    assert "[" not in phone.out  # no buttons in a terminal

    assert by_id.out.splitlines()[0] == "🔎 id 1020304050"
    assert "María Fernanda" in by_id.out
    assert one_campaign.out.splitlines()[0] == "🔎 3001234567 · campaign 42"
    assert "3 records in 1 campaign" in one_campaign.out
    assert "Ventas Hogar" not in one_campaign.out
    assert spaced.out.splitlines()[0] == "🔎 3001234567"
    assert nothing.out.splitlines()[0] == "🔎 3009999999"
    assert "No records" in nothing.out and "Live · Wolkvox took" in nothing.out


async def test_find_speaks_the_configured_language(simulator: str, workdir: Path) -> None:
    """The card's words, not raw codes: ANSWER is "Contestada" in Spanish."""
    run = await run_bot(
        workdir,
        "find",
        "3001234567",
        WOLKVOX_BASE_URL=simulator,
        WOLKVOX_TOKEN=TOKEN,
        WOLKVOX_LANG="es",
    )
    assert run.code == 0, run
    assert "6 registros en 3 campañas" in run.out
    assert "  Resultado: Contestada" in run.out.splitlines()
    assert "ANSWER" not in run.out and "Answered" not in run.out


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
        "“abc” isn't a phone number.",
        "Give the customer id after “id”",
        "“x” isn't a campaign.",
        "That phone number is too short",
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
        "🔑 Wolkvox rejected the bot's token — ",
        "🔑 Wolkvox rejected the bot's token — ",
        "⏳ Today's Wolkvox quota is spent — ",
        "🛠️ Wolkvox is unavailable — ",
        "⚠️ Wolkvox gave a broken answer — ",
        "🛠️ Wolkvox is unavailable — ",
    ]
    for run, start in zip(runs, expected, strict=True):
        assert run.code == 1, run
        assert run.out == "", run
        assert len(run.err_lines) == 1 and run.err_lines[0].startswith(start), run
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
        assert "6 records in 3 campaigns" in run.out
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
    assert run.err_lines[0].startswith("usage: python -m bot ")
    assert "invalid choice: 'frobnicate'" in run.err_lines[-1]
    for name in ("serve", "run", "demo", "find", "simulator"):
        assert f"'{name}'" in run.err_lines[-1]


@pytest.mark.parametrize("command", ["", "serve", "run", "demo", "find", "simulator"])
async def test_every_command_has_help_without_settings(workdir: Path, command: str) -> None:
    run = await run_bot(workdir, *(c for c in (command, "--help") if c))
    assert run.code == 0, run
    assert run.out.startswith(f"usage: python -m bot {command}".rstrip()), run
    assert run.err == "", run


async def test_version(workdir: Path) -> None:
    from bot import __version__

    run = await run_bot(workdir, "--version")
    assert (run.code, run.out.strip()) == (0, f"wolkvox-slack {__version__}")


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


SETTINGS = load_settings({"WOLKVOX_LANG": "en", "WOLKVOX_TIMEZONE": "UTC"}, dotenv=False)


def test_format_result_live_and_cached() -> None:
    live = format_result(_result(_summary()), SETTINGS, now=1000.0)
    lines = live.splitlines()
    assert lines[0] == "🔎 3001234567"
    assert lines[2] == (
        "3 records in 1 campaign · last contact 16 Jan 2026 14:03 · Promesa de pago"
        " · Cobranza Q4 · campaign 42"
    )
    assert "  Call id: 1768590207.15" in lines and "  Calls: 4" in lines
    assert lines[-1] == "  Live · Wolkvox took 1.2 s"
    cached = format_result(_result(_summary(), from_cache=True), SETTINGS, 1042.0)
    assert "From cache" in cached and "Live" not in cached
    assert "No records" in format_result(_result(from_cache=True), SETTINGS, 1000.0)


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
        SETTINGS,
        now=1000.0,
    )
    assert "\x1b" not in text
    assert not any(line.strip() == "Pérez" for line in text.splitlines())  # no broken layout
    assert "Ana [31m Pérez" in text
    assert "  Calls: n/a" in text.splitlines()


@pytest.mark.parametrize(
    ("error", "start"),
    [
        (TokenRejected("403"), "🔑 Wolkvox rejected the bot's token — "),
        (QuotaExceeded(""), "⏳ Today's Wolkvox quota is spent — "),
        (CircuitOpen(""), "🛠️ "),
        (Busy(""), "⏳ "),
        (UpstreamError(code="500", message="oops"), "⚠️ "),
        (LookupFailure("weird"), "😓 "),
    ],
)
def test_format_failure_is_one_line_of_the_error_card(error: LookupFailure, start: str) -> None:
    line = format_failure(error, SETTINGS)
    assert "\n" not in line and line.startswith(start), line
    assert "weird" not in line and "oops" not in line  # details are for logs, not the operator

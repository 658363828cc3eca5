"""Socket Mode end to end: the real `python -m bot serve` with SLACK_APP_TOKEN set.

The bot runs as a subprocess against FakeSlack (Web API, response URLs and the Socket Mode
websocket) and the Wolkvox simulator, both in this process, all on 127.0.0.1. Slack's side of the
protocol is played by FakeSlack: `apps.connections.open` with the app-level token, `hello`,
envelopes pushed with `socket_send`, acks read back with `socket_ack`, a `refresh_requested`
disconnect. No signing secret is set: over the socket there is nothing to sign.

One session (module fixture) drives every surface once, asks the bot to reconnect, then sends
SIGTERM with a lookup in flight; the tests read what it recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest

from bot.devtools.fakeslack import requests as sr
from bot.devtools.fakeslack.server import FakeSlack, HookPost, SocketEnvelope
from bot.devtools.process import clean_env, start_bot
from bot.devtools.stack import AGENT, CHANNEL, TEAM, slash_command
from bot.devtools.wolkvox_sim.server import (
    STATS,
    QueryKey,
    SimulatorConfig,
    SimulatorStats,
    serve_simulator,
)
from tests.blockkit import assert_valid_message, assert_valid_modal

ACK_LIMIT = 3.0  # Slack's window for acking an envelope
LATENCY = 0.8  # per Wolkvox call: long enough that each answer follows its ack
BOT_TOKEN = "xoxb-socket-test-7Rp2Kx9QmZ4w"
APP_TOKEN = "xapp-1-A0WOLKVOX-4242-socketmodetestV8n3Jq6T"
WOLKVOX_TOKEN = "WVTOKEN-socket-5Lm8Hd2Xc"
SHOWCASE_NAME = "María Fernanda Gómez Restrepo"
COMMAND_PHONE = "3001234567"
MENTION_PHONE = "3104567890"
REFRESH_PHONE = "3009999999"
DRAIN_ID = "1020304050"


@dataclass
class Session:
    fs: FakeSlack
    stats: SimulatorStats
    returncode: int | None = None
    exited_at: float = 0.0
    sigterm_at: float = 0.0
    command: str = ""  # envelope ids
    command_url: str = ""
    mention: str = ""
    mention_ts: str = ""
    retries: list[str] = field(default_factory=list)
    shortcut: str = ""
    refresh: str = ""
    refresh_url: str = ""
    drain: str = ""
    drain_url: str = ""
    stdout: str = ""
    stderr: str = ""

    def envelope(self, envelope_id: str) -> SocketEnvelope:
        return self.fs.socket_envelope(envelope_id)

    def answers(self, url: str) -> list[HookPost]:
        return self.fs.responses(url)

    def lookups(self, phone: str = "", customer_id: str = "") -> int:
        return self.stats.queries[QueryKey("find_record", "", phone, customer_id)]


def bot_env(wolkvox_url: str, fs: FakeSlack) -> dict[str, str]:
    """The parent's environment minus anything of the bot's or a proxy's, plus this session's."""
    return clean_env(
        {
            "WOLKVOX_BASE_URL": wolkvox_url,
            "WOLKVOX_TOKEN": WOLKVOX_TOKEN,
            "WOLKVOX_SHUTDOWN_GRACE": "15",
            "WOLKVOX_LANG": "en",
            "SLACK_API_URL": fs.api_url,
            "SLACK_BOT_TOKEN": fs.token,
            "SLACK_APP_TOKEN": fs.app_token,
        },
        drop_proxies=True,
    )


def command_payload(fs: FakeSlack, text: str) -> tuple[dict[str, str], str]:
    """A slash command's fields as Socket Mode carries them (the HTTP form, as a JSON object)."""
    body, url = slash_command(fs, text)
    return dict(parse_qsl(body, keep_blank_values=True)), url


def mention_payload(fs: FakeSlack, text: str, *, event_id: str, ts: str) -> dict[str, Any]:
    body = sr.app_mention_event_body(
        text,
        event_id=event_id,
        channel=CHANNEL,
        user=AGENT,
        ts=ts,
        team_id=TEAM,
        bot_user_id=fs.bot_user_id,
    )
    payload: dict[str, Any] = json.loads(body)
    return payload


def shortcut_payload(fs: FakeSlack) -> dict[str, Any]:
    body = sr.global_shortcut_body(
        user_id=AGENT, team_id=TEAM, trigger_id=fs.new_trigger_id(user_id=AGENT)
    )
    payload: dict[str, Any] = json.loads(dict(parse_qsl(body))["payload"])
    return payload


async def eventually(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.02)


async def run_session(tmp: Path) -> Session:
    async with (
        serve_simulator(SimulatorConfig(latency=LATENCY)) as (wolkvox_url, sim),
        FakeSlack(token=BOT_TOKEN, app_token=APP_TOKEN) as fs,
    ):
        fs.add_user(AGENT, name="ana.agente", locale="en-US")
        out = Session(fs=fs, stats=sim[STATS])
        stdout, stderr = tmp / "stdout.log", tmp / "stderr.log"
        with stdout.open("wb") as out_file, stderr.open("wb") as err_file:
            proc = await start_bot(
                bot_env(wolkvox_url, fs), cwd=tmp, stdout=out_file, stderr=err_file
            )
            try:
                await drive(out, fs, sim[STATS], proc)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
        out.stdout = stdout.read_text(encoding="utf-8", errors="replace")
        out.stderr = stderr.read_text(encoding="utf-8", errors="replace")
    return out


async def drive(out: Session, fs: FakeSlack, stats: SimulatorStats, proc: Any) -> None:
    connect = asyncio.create_task(fs.wait_for_socket(timeout=30))
    exited = asyncio.create_task(proc.wait())
    await asyncio.wait({connect, exited}, return_when=asyncio.FIRST_COMPLETED)
    if exited.done():
        raise AssertionError(f"the bot exited at start-up with {proc.returncode}")
    await connect

    # /wolkvox find: acked over the socket with "searching…", the card follows at response_url.
    payload, out.command_url = command_payload(fs, f"find {COMMAND_PHONE}")
    out.command = await fs.socket_send("slash_commands", payload)
    await fs.socket_ack(out.command, timeout=10)
    await fs.wait_for_response(out.command_url, timeout=10)

    # A mention, then Slack's retry of the same event while the first is still being answered.
    out.mention_ts = "1764000100.000100"
    event_id = "Ev0SOCKET0001"
    mention = mention_payload(fs, f"find {MENTION_PHONE}", event_id=event_id, ts=out.mention_ts)
    out.mention = await fs.socket_send("events_api", mention)
    await fs.socket_ack(out.mention, timeout=10)
    out.retries.append(
        await fs.socket_send("events_api", mention, retry_attempt=1, retry_reason="timeout")
    )
    await fs.wait_for("chat.update", ok=True, timeout=10)
    out.retries.append(
        await fs.socket_send("events_api", mention, retry_attempt=2, retry_reason="timeout")
    )
    for retry in out.retries:
        await fs.socket_ack(retry, timeout=10)

    # The global shortcut opens the search modal within the trigger's 3 s.
    out.shortcut = await fs.socket_send("interactive", shortcut_payload(fs))
    await fs.socket_ack(out.shortcut, timeout=10)
    await fs.wait_for("views.open", timeout=10)

    # Slack refreshes the connection: the bot must open a new one and keep serving on it.
    await fs.socket_disconnect("refresh_requested")
    await fs.wait_for_socket(count=2, timeout=20)
    await eventually(lambda: not fs.socket_connections()[0].open, "first socket closed")
    payload, out.refresh_url = command_payload(fs, f"find {REFRESH_PHONE}")
    out.refresh = await fs.socket_send("slash_commands", payload)
    await fs.socket_ack(out.refresh, timeout=10)
    await fs.wait_for_response(out.refresh_url, timeout=10)

    # SIGTERM with a lookup at Wolkvox: its card must still arrive, then the process exits 0.
    payload, out.drain_url = command_payload(fs, f"find id {DRAIN_ID}")
    before = stats.total_requests
    out.drain = await fs.socket_send("slash_commands", payload)
    await fs.socket_ack(out.drain, timeout=10)
    await eventually(lambda: stats.total_requests > before, "drain lookup at Wolkvox")
    assert fs.responses(out.drain_url) == [], "the lookup finished before SIGTERM; raise LATENCY"
    out.sigterm_at = time.monotonic()  # FakeSlack's clock
    proc.send_signal(signal.SIGTERM)
    out.returncode = await asyncio.wait_for(proc.wait(), 40)
    out.exited_at = time.monotonic()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """One real process in Socket Mode (≈6 s): shared by the tests below."""
    return asyncio.run(run_session(tmp_path_factory.mktemp("socket_mode")))


def card_text(node: Any) -> str:
    return json.dumps(node, ensure_ascii=False)


def is_searching(card: dict[str, Any]) -> bool:
    return str(card.get("text", "")).startswith("🔎 Searching")


def test_connects_with_the_app_token_and_answers_pings(session: Session) -> None:
    fs = session.fs
    opens = fs.calls("apps.connections.open")
    # The token check at start-up, the first connection, the refresh's; nothing else.
    assert [c.ok for c in opens] == [True, True, True]
    assert [c.http_method for c in opens] == ["POST", "POST", "POST"]
    first, second = fs.socket_connections()
    assert first.pings >= 1 and second.pings >= 1  # slack_sdk pings each new link; both ponged
    assert fs.stray_acks() == []  # every frame the bot sent acked one envelope, once
    assert all(call.ok for call in fs.calls()), [(c.method, c.response) for c in fs.calls()]


def test_slash_command_is_acked_over_the_socket_then_the_card_follows(session: Session) -> None:
    envelope = session.envelope(session.command)
    assert envelope.accepts_response_payload
    assert envelope.ack_seconds is not None and envelope.ack_seconds < ACK_LIMIT
    ack = envelope.ack
    assert ack is not None and ack["envelope_id"] == session.command
    assert is_searching(ack["payload"]), ack
    assert COMMAND_PHONE[-4:] in card_text(ack["payload"])
    assert_valid_message(ack["payload"]["blocks"])

    [post] = session.answers(session.command_url)
    assert envelope.acked_at is not None
    assert post.accepted and post.at > envelope.acked_at
    assert post.body["response_type"] == "ephemeral"  # private by default
    assert SHOWCASE_NAME in card_text(post.body)
    assert not is_searching(post.body)
    assert_valid_message(post.body["blocks"])
    assert session.lookups(phone=COMMAND_PHONE) == 1


def test_mention_is_answered_in_its_thread(session: Session) -> None:
    fs = session.fs
    envelope = session.envelope(session.mention)
    assert not envelope.accepts_response_payload
    assert envelope.ack == {"envelope_id": session.mention}  # an empty ack: no payload
    assert envelope.ack_seconds is not None and envelope.ack_seconds < ACK_LIMIT

    [posted] = fs.calls("chat.postMessage")
    assert posted.args["thread_ts"] == session.mention_ts and is_searching(posted.args)
    [update] = fs.calls("chat.update")
    assert update.args["ts"] == posted.response["ts"]  # the "searching…" reply became the card
    [message] = fs.messages(CHANNEL)
    assert message["thread_ts"] == session.mention_ts
    text = card_text(message["blocks"])
    assert MENTION_PHONE[-4:] in text and MENTION_PHONE not in text  # masked in a channel
    assert_valid_message(message["blocks"])


def test_retried_event_envelopes_cause_no_second_lookup_or_reply(session: Session) -> None:
    fs = session.fs
    for retry in session.retries:
        envelope = session.envelope(retry)
        assert envelope.ack == {"envelope_id": retry}  # acked, so Slack stops retrying
        assert envelope.ack_seconds is not None and envelope.ack_seconds < ACK_LIMIT
    assert session.lookups(phone=MENTION_PHONE) == 1
    assert len(fs.calls("chat.postMessage")) == 1
    assert len(fs.calls("chat.update")) == 1
    assert len(fs.messages(CHANNEL)) == 1


def test_global_shortcut_envelope_opens_the_search_modal(session: Session) -> None:
    envelope = session.envelope(session.shortcut)
    assert envelope.ack == {"envelope_id": session.shortcut}
    [opened] = session.fs.calls("views.open")
    assert opened.ok  # FakeSlack refuses a trigger id older than 3 s or used twice
    assert_valid_modal(opened.args["view"])
    assert opened.args["view"]["callback_id"]


def test_after_a_refresh_the_bot_serves_on_the_new_connection(session: Session) -> None:
    fs = session.fs
    first, second = fs.socket_connections()
    assert first.closed_by == "app"  # it hung up the old link itself, within Slack's grace
    envelope = session.envelope(session.refresh)
    assert envelope.connection_id == second.id
    assert envelope.ack is not None and is_searching(envelope.ack["payload"])
    [post] = session.answers(session.refresh_url)
    assert post.accepted and "No records" in card_text(post.body)


def test_sigterm_closes_the_socket_lets_the_lookup_in_flight_answer_then_exits_0(
    session: Session,
) -> None:
    assert session.returncode == 0, session.stderr[-3000:]
    fs = session.fs
    envelope = session.envelope(session.drain)
    assert envelope.ack is not None and is_searching(envelope.ack["payload"])
    [post] = session.answers(session.drain_url)
    assert post.accepted and SHOWCASE_NAME in card_text(post.body), post.body
    assert "restarting" not in card_text(post.body)
    assert session.sigterm_at < post.at < session.exited_at
    # No new work after SIGTERM: the bot hung up before the card went out and never reconnected.
    link = fs.socket_connections()[-1]
    assert link.closed_by == "app"
    assert link.closed_at is not None and link.closed_at <= post.at
    assert len(fs.calls("apps.connections.open")) == 3  # no reconnecting while draining
    assert session.lookups(customer_id=DRAIN_ID) == 1


def test_logs_hold_no_secret(session: Session) -> None:
    logs = session.stderr + session.stdout
    assert "connected to Slack (Socket Mode)" in session.stderr + session.stdout
    for secret in (BOT_TOKEN, APP_TOKEN, WOLKVOX_TOKEN):
        assert secret not in logs
        assert secret[-8:] not in logs
    assert "Traceback" not in logs


# ---------------------------------------------------------------- FakeSlack keeps Slack's rules


async def test_fakeslack_socket_mode_follows_slacks_rules() -> None:
    async with FakeSlack(app_token=APP_TOKEN) as fs, aiohttp.ClientSession() as http:
        open_url = f"{fs.api_url}apps.connections.open"

        async def call(url: str, token: str, *, header: bool = True) -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {token}"} if header else {}
            data = {} if header else {"token": token}
            async with http.post(url, headers=headers, data=data) as resp:
                body: dict[str, Any] = await resp.json()
                return body

        assert (await call(open_url, fs.token))["error"] == "not_allowed_token_type"
        assert (await call(open_url, "xapp-1-A0-0-wrong"))["error"] == "invalid_auth"
        assert (await call(open_url, APP_TOKEN, header=False))["error"] == "not_authed"
        post_url = f"{fs.api_url}chat.postMessage"
        assert (await call(post_url, APP_TOKEN))["error"] == "not_allowed_token_type"
        opened = await call(open_url, APP_TOKEN)
        assert opened["ok"] and opened["url"].startswith("ws://127.0.0.1:")
        assert APP_TOKEN not in json.dumps([c.args for c in fs.calls()])

        async with http.ws_connect(opened["url"], autoping=False) as ws:
            hello = await ws.receive_json(timeout=5)
            assert hello["type"] == "hello" and hello["num_connections"] == 1
            assert hello["connection_info"] == {"app_id": fs.app_id}
            await ws.ping(b"sdk-ping-pong:1")
            pong = await ws.receive(timeout=5)
            assert (pong.type, pong.data) == (aiohttp.WSMsgType.PONG, b"sdk-ping-pong:1")

            envelope_id = await fs.socket_send("events_api", {"type": "event_callback"})
            sent = await ws.receive_json(timeout=5)
            assert sent["envelope_id"] == envelope_id and sent["type"] == "events_api"
            assert (sent["accepts_response_payload"], sent["retry_attempt"]) == (False, 0)
            await ws.send_json({"envelope_id": envelope_id})
            assert await fs.socket_ack(envelope_id) == {"envelope_id": envelope_id}
            await ws.send_json({"envelope_id": envelope_id})  # a second ack is a stray one
            await eventually(lambda: len(fs.stray_acks()) == 1, "stray ack recorded", 5)

            assert await fs.socket_disconnect("warning") == 1
            assert (await ws.receive_json(timeout=5))["reason"] == "warning"
            await fs.socket_disconnect("refresh_requested", close_after=0.05)
            assert (await ws.receive_json(timeout=5))["reason"] == "refresh_requested"
            closing = await ws.receive(timeout=5)
            assert closing.type == aiohttp.WSMsgType.CLOSE
        await eventually(lambda: not fs.socket_connections()[0].open, "socket closed", 5)
        assert fs.socket_connections()[0].closed_by == "slack"

        with contextlib.suppress(aiohttp.WSServerHandshakeError):  # a ticket works only once
            async with http.ws_connect(opened["url"]):
                raise AssertionError("a used Socket Mode URL was accepted again")


async def test_a_wrong_app_token_stops_the_bot_with_one_clear_line(tmp_path: Path) -> None:
    """No reconnect loop logging tracebacks: Slack's refusal is a start-up error naming the
    variable, and the token itself is never printed."""
    async with (
        serve_simulator(SimulatorConfig(latency=0.01)) as (wolkvox_url, _),
        FakeSlack(token=BOT_TOKEN, app_token=APP_TOKEN) as fs,
    ):
        wrong = "xapp-1-A0WOLKVOX-4242-notthetokenSlackKnows"
        env = {**bot_env(wolkvox_url, fs), "SLACK_APP_TOKEN": wrong}
        proc = await start_bot(
            env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    text = (out + err).decode()
    assert proc.returncode == 2, text
    assert "SLACK_APP_TOKEN: Slack refused it (invalid_auth)" in text
    assert "Traceback" not in text
    assert wrong not in text and wrong[-8:] not in text


# ------------------------------------------------------------ a direct message over the socket


async def run_dm_session(tmp: Path) -> tuple[SocketEnvelope, list[Any], int | None]:
    """One DM (`message.im`) pushed over the socket: acked at once, answered in the DM."""
    async with (
        serve_simulator(SimulatorConfig(latency=0.05)) as (wolkvox_url, _),
        FakeSlack(token=BOT_TOKEN, app_token=APP_TOKEN) as fs,
    ):
        fs.add_user(AGENT, name="ana.agente", locale="en-US")
        with (tmp / "dm.log").open("wb") as err_file:
            proc = await start_bot(
                bot_env(wolkvox_url, fs),
                cwd=tmp,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=err_file,
            )
            try:
                await fs.wait_for_socket(timeout=30)
                body = sr.direct_message_event_body(
                    f"hola, ¿me ayudas con el {COMMAND_PHONE}?",
                    event_id="Ev0SOCKETDM1",
                    channel="D0AGENTDM1",
                    user=AGENT,
                    ts="1764000200.000100",
                    team_id=TEAM,
                )
                sent = await fs.socket_send("events_api", json.loads(body))
                await fs.socket_ack(sent, timeout=10)
                updates = await fs.wait_for("chat.update", ok=True, timeout=10)
                proc.send_signal(signal.SIGTERM)
                returncode = await asyncio.wait_for(proc.wait(), 30)
                return fs.socket_envelope(sent), updates, returncode
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()


def test_a_direct_message_over_socket_mode_is_answered_in_the_dm(tmp_path: Path) -> None:
    envelope, updates, returncode = asyncio.run(run_dm_session(tmp_path))
    assert envelope.ack_seconds is not None and envelope.ack_seconds < ACK_LIMIT
    [update] = updates
    assert update.args["channel"] == "D0AGENTDM1"
    text = card_text(update.args["blocks"])
    assert COMMAND_PHONE in text  # private: in full
    assert_valid_message(update.args["blocks"])
    assert returncode == 0


# ------------------------------------------------------------ a workflow step over the socket


async def run_workflow_session(
    tmp: Path,
) -> tuple[SocketEnvelope, dict[str, Any], int | None, str]:
    """One `function_executed` pushed over the socket: acked, then completed with outputs; and
    /metrics scraped on PORT, which Socket Mode serves too."""
    import socket

    import aiohttp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with (
        serve_simulator(SimulatorConfig(latency=0.05)) as (wolkvox_url, _),
        FakeSlack(token=BOT_TOKEN, app_token=APP_TOKEN) as fs,
    ):
        with (tmp / "workflow.log").open("wb") as err_file:
            proc = await start_bot(
                {**bot_env(wolkvox_url, fs), "PORT": str(port), "HOST": "127.0.0.1"},
                cwd=tmp,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=err_file,
            )
            try:
                await fs.wait_for_socket(timeout=30)
                execution_id, run_token = fs.new_function_execution()
                body = sr.function_executed_body(
                    {"phone": COMMAND_PHONE},
                    function_execution_id=execution_id,
                    bot_access_token=run_token,
                    event_id="Ev0SOCKETWF1",
                    team_id=TEAM,
                )
                sent = await fs.socket_send("events_api", json.loads(body))
                await fs.socket_ack(sent, timeout=10)
                result = await fs.wait_for_function_result(execution_id, timeout=10)
                async with (
                    aiohttp.ClientSession() as session,
                    session.get(f"http://127.0.0.1:{port}/metrics") as resp,
                ):
                    page = await resp.text() if resp.status == 200 else ""
                proc.send_signal(signal.SIGTERM)
                returncode = await asyncio.wait_for(proc.wait(), 30)
                return fs.socket_envelope(sent), result, returncode, page
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()


def test_a_workflow_step_over_socket_mode_completes_with_outputs(tmp_path: Path) -> None:
    envelope, result, returncode, page = asyncio.run(run_workflow_session(tmp_path))
    assert 'wolkvox_lookups_total{outcome="ok",surface="workflow"} 1.0' in page
    assert envelope.ack_seconds is not None and envelope.ack_seconds < ACK_LIMIT
    outputs = result["outputs"]
    assert outputs["found"] is True and outputs["campaign_count"] >= 1
    assert outputs["summary"]
    assert returncode == 0

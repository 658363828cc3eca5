"""What an attacker without the signing secret can still do: nothing.

Every payload type (command, event, block_actions, message and global shortcut,
view_submission), with malformed, missing, repeated and out-of-window timestamps and
signatures, gets a bodiless 401 before bolt sees it: no apology card to the response_url the
attacker wrote, no Web API call, no log line with the body. Compressed bodies are refused
unread (415); signed bodies the app cannot read are a 400 with one line, never a traceback.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import logging
import time
import zlib
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlencode

import pytest
from aiohttp import web

from bot.devtools.fakeslack import requests as sr
from bot.devtools.stack import AGENT, CHANNEL, TEAM, Stack
from tests.e2e.conftest import SHOWCASE_PHONE, command_answer, settle, upstream_requests


@pytest.fixture
async def trap() -> AsyncIterator[tuple[str, list[str]]]:
    """A URL an attacker controls: any request the bot makes to it is recorded."""
    hits: list[str] = []

    async def record(request: web.Request) -> web.Response:
        hits.append(await request.text())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/hook", hits
    await runner.cleanup()


def form(payload: dict[str, object]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def payloads(s: Stack, hook: str) -> dict[str, tuple[str, str]]:
    """One body per payload type, each naming the attacker's URL where Slack would put its own."""
    user = {"id": AGENT, "name": "agent", "team_id": TEAM}
    return {
        "command": (
            sr.slash_command_body(
                f"find {SHOWCASE_PHONE}",
                user_id=AGENT,
                channel_id=CHANNEL,
                team_id=TEAM,
                response_url=hook,
                trigger_id="1.2.3",
            ),
            sr.FORM,
        ),
        "event": (
            sr.app_mention_event_body(
                f"find {SHOWCASE_PHONE}",
                event_id="Ev0FORGED02",
                channel=CHANNEL,
                user=AGENT,
                ts=s.next_ts(),
                team_id=TEAM,
            ),
            sr.JSON,
        ),
        "block_actions": (
            form(
                {
                    "type": "block_actions",
                    "user": user,
                    "team": {"id": TEAM},
                    "channel": {"id": CHANNEL},
                    "container": {"type": "message", "is_ephemeral": True},
                    "trigger_id": "1.2.3",
                    "response_url": hook,
                    "actions": [{"action_id": "refresh_card", "type": "button", "value": "x"}],
                }
            ),
            sr.FORM,
        ),
        "message_shortcut": (
            form(
                {
                    "type": "message_action",
                    "callback_id": "find_in_wolkvox",
                    "user": user,
                    "team": {"id": TEAM},
                    "channel": {"id": CHANNEL},
                    "trigger_id": "1.2.3",
                    "response_url": hook,
                    "message": {"type": "message", "text": SHOWCASE_PHONE, "ts": "1.2"},
                }
            ),
            sr.FORM,
        ),
        "global_shortcut": (
            form(
                {
                    "type": "shortcut",
                    "callback_id": "wolkvox_search",
                    "user": user,
                    "team": {"id": TEAM},
                    "trigger_id": "1.2.3",
                }
            ),
            sr.FORM,
        ),
        "view_submission": (
            form(
                {
                    "type": "view_submission",
                    "user": user,
                    "team": {"id": TEAM},
                    "trigger_id": "1.2.3",
                    "response_urls": [{"response_url": hook, "channel_id": CHANNEL}],
                    "view": {
                        "id": "V0FORGED",
                        "type": "modal",
                        "callback_id": "wolkvox_search_submit",
                        "state": {"values": {"phone": {"phone": {"value": SHOWCASE_PHONE}}}},
                    },
                }
            ),
            sr.FORM,
        ),
    }


Headers = list[tuple[str, str]]


def signed(body: str, secret: str, timestamp: str | None = None) -> Headers:
    good = sr.sign(body, secret)
    stamp = timestamp if timestamp is not None else good["X-Slack-Request-Timestamp"]
    return [("X-Slack-Request-Timestamp", stamp), ("X-Slack-Signature", good["X-Slack-Signature"])]


def with_stamp(stamp: str) -> Callable[[str, str], Headers]:
    return lambda body, secret: signed(body, secret, stamp)


ATTACKS: dict[str, Callable[[str, str], Headers]] = {
    "stamp_abc": with_stamp("abc"),
    "stamp_float": with_stamp("1.5"),
    "stamp_exponent": with_stamp("1e3"),
    "stamp_400_digits": with_stamp("9" * 400),
    "stamp_empty": with_stamp(""),
    "stamp_negative": with_stamp("-5"),
    "stamp_unicode_digits": with_stamp("١٧٠٠٠٠٠٠٠٠"),
    "stamp_stale": with_stamp(str(int(time.time()) - 301 - 5)),
    "stamp_future": with_stamp(str(int(time.time()) + 301 + 5)),
    "stamp_missing": lambda b, s: [h for h in signed(b, s) if h[0] != "X-Slack-Request-Timestamp"],
    "stamp_twice": lambda b, s: [*signed(b, s), ("X-Slack-Request-Timestamp", "1")],
    "signature_missing": lambda b, s: [h for h in signed(b, s) if h[0] != "X-Slack-Signature"],
    "signature_twice": lambda b, s: [*signed(b, s), ("X-Slack-Signature", "v0=" + "0" * 64)],
    "signature_garbage": lambda b, s: [signed(b, s)[0], ("X-Slack-Signature", "v0=zz")],
    "signature_v1": lambda b, s: [signed(b, s)[0], ("X-Slack-Signature", "v1=" + "0" * 64)],
    "signature_wrong_secret": lambda b, s: signed(b, "not-the-secret"),
    "nothing": lambda b, s: [],
}


async def post(s: Stack, body: bytes, headers: Headers) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    async with s.session.post(s.events_url, data=body, headers=headers) as response:
        return response.status, await response.read(), time.perf_counter() - started


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_unsigned_requests_of_every_type_get_a_bare_401_and_cause_nothing(
    stack: Stack,
    trap: tuple[str, list[str]],
    attack: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook, hits = trap
    with caplog.at_level(logging.DEBUG):
        for name, (body, content_type) in payloads(stack, hook).items():
            headers = [("Content-Type", content_type), *ATTACKS[attack](body, stack.signing_secret)]
            status, answer, elapsed = await post(stack, body.encode(), headers)
            assert (status, answer) == (401, b""), f"{name}: HTTP {status} {answer[:80]!r}"
            assert elapsed < 3
        await settle(stack)
    assert hits == []  # the bot never POSTed to a URL from an unverified body
    assert stack.slack.calls() == [] and stack.slack.responses() == []
    assert upstream_requests(stack) == 0
    assert SHOWCASE_PHONE not in caplog.text and "payload" not in caplog.text
    assert "Traceback" not in caplog.text


async def test_the_same_bodies_signed_are_verified_and_reach_the_app(
    stack: Stack, trap: tuple[str, list[str]]
) -> None:
    """The control: each body above passes verification when signed."""
    hook, _ = trap
    for name, (body, content_type) in payloads(stack, hook).items():
        headers = [("Content-Type", content_type), *signed(body, stack.signing_secret)]
        status, _, _ = await post(stack, body.encode(), headers)
        assert status == 200, name


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "identity", "gzip, gzip"])
async def test_any_content_encoding_is_refused_unread(stack: Stack, encoding: str) -> None:
    body, content_type = payloads(stack, "http://127.0.0.1:9/")["command"]
    packed = gzip.compress(body.encode()) if encoding.startswith("gzip") else body.encode()
    headers = [
        ("Content-Type", content_type),
        ("Content-Encoding", encoding),
        *signed(body, stack.signing_secret),
    ]
    status, answer, _ = await post(stack, packed, headers)
    assert (status, answer) == (415, b"")
    await settle(stack)
    assert upstream_requests(stack) == 0 and stack.slack.calls() == []


async def test_a_compression_bomb_costs_the_event_loop_nothing(stack: Stack) -> None:
    """1 MB that would inflate to 1 GB: refused from its headers, while an agent's command is
    acked as usual."""
    bomb = zlib.compress(b"\0" * (1024 * 1024 * 1024), 9)
    assert len(bomb) < 1024 * 1024
    headers = [("Content-Type", sr.FORM), ("Content-Encoding", "deflate")]
    statuses = [(await post(stack, bomb, headers))[0] for _ in range(4)]
    assert statuses == [415] * 4
    status, _, elapsed, _ = await stack.command("help")
    assert status == 200 and elapsed < 1.0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"text=\xff\xfe&command=%2Fwolkvox", sr.FORM),
        (b"payload=" + b"%5B%5D", sr.FORM),  # payload=[]
        (b"payload=%22text%22", sr.FORM),  # a JSON string
        (b"payload=" + b"%5B" * 50_000 + b"%5D" * 50_000, sr.FORM),  # deep JSON
        (b"payload=%7Bnot+json", sr.FORM),
        (b"[1, 2]", sr.JSON),
        (b'{"type": ' * 20_000, sr.JSON),
        ('{"x": "caf\u00e9"}'.encode("latin-1"), sr.JSON),
    ],
)
async def test_signed_but_malformed_bodies_are_a_400_with_one_line(
    stack: Stack, body: bytes, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    stamp = str(int(time.time()))
    digest = hmac.new(
        stack.signing_secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256
    ).hexdigest()
    headers = [
        ("Content-Type", content_type),
        ("X-Slack-Request-Timestamp", stamp),
        ("X-Slack-Signature", f"v0={digest}"),
    ]
    with caplog.at_level(logging.INFO):
        status, answer, _ = await post(stack, body, headers)
    assert (status, answer) == (400, b"")
    assert "Traceback" not in caplog.text and "ERROR" not in caplog.text
    refused = [r for r in caplog.records if "refused a request" in r.getMessage()]
    assert len(refused) == 1 and len(refused[0].getMessage()) < 120


async def test_a_flood_of_rejected_requests_is_a_few_short_log_lines(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    body = ("text=find+" + SHOWCASE_PHONE + "&x=" + "y" * 100_000).encode()
    with caplog.at_level(logging.DEBUG):
        for _ in range(100):
            status, _, _ = await post(stack, body, [("Content-Type", sr.FORM)])
            assert status == 401
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) <= 10, lines[:5]
    assert sum(len(line) for line in lines) < 2000
    assert SHOWCASE_PHONE not in caplog.text


async def test_a_captured_request_replayed_in_the_window_is_answered_with_nothing(
    stack: Stack,
) -> None:
    """Five replays of one signed Refresh click: one lookup, one answer."""
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    before = upstream_requests(stack)
    url = stack.slack.new_response_url(channel_id=CHANNEL, user_id=AGENT)
    body = sr.block_actions_body(
        action_id="refresh_card",
        user_id=AGENT,
        team_id=TEAM,
        trigger_id=stack.slack.new_trigger_id(user_id=AGENT),
        message={"ts": stack.next_ts(), **card},
        channel_id=CHANNEL,
        response_url=url,
        is_ephemeral=True,
    )
    headers = [("Content-Type", sr.FORM), *signed(body, stack.signing_secret)]
    answers = [await post(stack, body.encode(), headers) for _ in range(6)]
    assert [(status, text) for status, text, _ in answers] == [(200, b"")] * 6
    await stack.slack.wait_for_response(url)
    await settle(stack)
    assert upstream_requests(stack) - before == 1  # a refresh skips the cache: one call
    assert len(stack.slack.responses(url)) == 1

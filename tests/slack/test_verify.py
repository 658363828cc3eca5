"""Request verification as pure functions: headers and body in, a refusal (or None) out."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from bot.slack.verify import (
    Rejection,
    RejectionLog,
    body_rejection,
    encoding_rejection,
    signature_rejection,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_700_000_000.0


def headers(*pairs: tuple[str, str]) -> CIMultiDictProxy[str]:
    return CIMultiDictProxy(CIMultiDict(pairs))


def sign(body: bytes, stamp: str, secret: str = SECRET) -> str:
    return (
        "v0="
        + hmac.new(
            secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
    )


def test_slacks_own_example_verifies() -> None:
    """The example from Slack's "Verifying requests" page: secret, timestamp, body, signature."""
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
        b"-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977"
        b"00885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d"
        b"10d2c447fce8b6703c"
    )
    stamp = "1531420618"
    signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    h = headers(("X-Slack-Request-Timestamp", stamp), ("X-Slack-Signature", signature))
    assert signature_rejection(h, body, SECRET, float(stamp) + 10) is None
    assert signature_rejection(h, body + b"x", SECRET, float(stamp) + 10) == Rejection(
        401, "bad signature"
    )


@pytest.mark.parametrize(
    "stamp", ["abc", "1.5", "1e3", "9" * 400, "", "-1", "١٧٠٠٠٠٠٠٠٠", " 17 00"]
)
def test_malformed_timestamps_are_refused_without_raising(stamp: str) -> None:
    h = headers(("X-Slack-Request-Timestamp", stamp), ("X-Slack-Signature", sign(b"x", stamp)))
    rejection = signature_rejection(h, b"x", SECRET, NOW)
    assert rejection is not None and rejection.status == 401


def test_window_repeats_and_format() -> None:
    stamp = str(int(NOW))
    ok = headers(("X-Slack-Request-Timestamp", stamp), ("X-Slack-Signature", sign(b"b", stamp)))
    assert signature_rejection(ok, b"b", SECRET, NOW + 300) is None
    assert signature_rejection(ok, b"b", SECRET, NOW + 301) == Rejection(
        401, "timestamp outside the window"
    )
    twice = headers(
        ("X-Slack-Request-Timestamp", stamp),
        ("X-Slack-Signature", sign(b"b", stamp)),
        ("X-Slack-Signature", sign(b"b", stamp)),
    )
    assert signature_rejection(twice, b"b", SECRET, NOW) is not None
    upper = headers(
        ("X-Slack-Request-Timestamp", stamp), ("X-Slack-Signature", sign(b"b", stamp).upper())
    )
    assert signature_rejection(upper, b"b", SECRET, NOW) == Rejection(401, "malformed signature")


def test_any_content_encoding_is_refused() -> None:
    assert encoding_rejection(headers()) is None
    for value in ("gzip", "identity", ""):
        assert encoding_rejection(headers(("Content-Encoding", value))) == Rejection(
            415, "content-encoding"
        )


@pytest.mark.parametrize(
    ("content_type", "body", "ok"),
    [
        ("application/x-www-form-urlencoded", b"command=%2Fwolkvox&text=find+300", True),
        ("application/x-www-form-urlencoded", b"payload=%7B%22type%22%3A%22x%22%7D", True),
        ("application/json", b'{"type": "event_callback"}', True),
        ("application/x-www-form-urlencoded", b"text=\xff", False),
        ("application/x-www-form-urlencoded", b"payload=%5B%5D", False),
        ("application/json", b"[]", False),
        ("application/json", b"[" * 100_000 + b"]" * 100_000, False),
    ],
)
def test_bodies_the_app_could_not_read(content_type: str, body: bytes, ok: bool) -> None:
    assert (body_rejection(content_type, body) is None) is ok


def test_rejection_log_is_short_and_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    log = RejectionLog(per_second=1, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING):
        for _ in range(50):
            log.note(Rejection(401, "bad signature"))
        now[0] = 1.5
        log.note(Rejection(401, "bad signature"))
    assert [r.getMessage() for r in caplog.records] == [
        "refused a request: HTTP 401, bad signature",
        "refused a request: HTTP 401, bad signature (+49 more refused)",
    ]

"""Sealed button values: a query goes round trip, and a tampered, foreign, stale or garbage value
opens as None (never an exception)."""

from __future__ import annotations

import base64
import time

import pytest

from bot.query import Query
from bot.slack.sealed import MAX_AGE, DialTarget, Opened, Sealer

SECRET = "8f14e45fceea167a5a36dedd4bea2543"
QUERIES = [
    Query(phone="3001234567"),
    Query(customer_id="1020304050"),
    Query(phone="3001234567", customer_id="AB-12.34_x", campaign_id="42"),
    Query(phone="9" * 15, customer_id="Z" * 40, campaign_id="1" * 12),
    Query(phone="3001234567", operation="ec"),  # a search narrowed to one operation stays so
    Query(phone="3001234567", operation="co,pa"),  # a pinned channel's operations
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.kind}-{q.operation}")
def test_round_trip(query: Query) -> None:
    sealer = Sealer(SECRET)
    value = sealer.seal(query)
    assert sealer.open(value) == Opened(query, concealed=False)
    # another instance (a restart) with the same secret
    assert Sealer(SECRET).open(value) == Opened(query, concealed=False)
    concealed = sealer.seal(query, concealed=True)
    assert sealer.open(concealed) == Opened(query, concealed=True)


def test_value_hides_the_query_and_fits_a_button() -> None:
    query = QUERIES[3]  # the longest
    value = Sealer(SECRET).seal(query)
    assert value.isascii()
    assert len(value) <= 2000  # Slack's limit on a button's value
    for part in (query.phone, query.customer_id, "3001234567"):
        assert part not in value
    raw = base64.urlsafe_b64decode(value.encode())
    assert query.phone.encode() not in raw and query.customer_id.encode() not in raw


def test_two_seals_of_the_same_query_differ() -> None:
    sealer = Sealer(SECRET)
    assert sealer.seal(QUERIES[0]) != sealer.seal(QUERIES[0])


def test_tampering_opens_as_none() -> None:
    sealer = Sealer(SECRET)
    value = sealer.seal(QUERIES[2])
    raw = bytearray(base64.urlsafe_b64decode(value.encode()))
    for position in (0, 9, 30, len(raw) // 2, len(raw) - 1):  # version, time, iv, body, mac
        forged = bytearray(raw)
        forged[position] ^= 0x01
        assert sealer.open(base64.urlsafe_b64encode(bytes(forged)).decode()) is None
    assert sealer.open(value[:-4]) is None  # cut short
    assert sealer.open(value + "AAAA") is None  # lengthened


def test_a_different_secret_opens_as_none() -> None:
    value = Sealer(SECRET).seal(QUERIES[0])
    assert Sealer(SECRET + "x").open(value) is None
    assert Sealer("another-signing-secret").open(value) is None


@pytest.mark.parametrize(
    "garbage", ["", "not a token", "ñandú", "{}", "A" * 5000, "gAAAAA", "\x00\x01"]
)
def test_garbage_opens_as_none(garbage: str) -> None:
    assert Sealer(SECRET).open(garbage) is None


@pytest.mark.parametrize(
    "payload", [b"not json", b"[1, 2]", b'"text"', b"42", b'{"p": "1"}', b"\xff\xfe"]
)
def test_authentic_but_malformed_payload_opens_as_none(payload: bytes) -> None:
    """Even a value this bot sealed (say, by an older version) must not raise when opened."""
    sealer = Sealer(SECRET)
    value = sealer._fernet.encrypt(payload).decode()
    assert sealer.open(value) is None


def test_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    sealer = Sealer(SECRET)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - MAX_AGE + 60)
    recent = sealer.seal(QUERIES[0])  # sealed just under a week ago
    monkeypatch.setattr(time, "time", lambda: now - MAX_AGE - 60)
    stale = sealer.seal(QUERIES[0])  # sealed just over a week ago
    monkeypatch.setattr(time, "time", lambda: now)
    assert sealer.open(recent) == Opened(QUERIES[0], concealed=False)
    assert sealer.open(stale) is None


def test_a_dial_target_is_sealed_to_its_user_and_opens_whole() -> None:
    sealer = Sealer(SECRET)
    target = DialTarget("U0AGENT01", "ec", "593991234567", "1020304050", "María Fernanda")
    value = sealer.seal_dial(target)
    assert "593991234567" not in value and "U0AGENT01" not in value
    assert Sealer(SECRET).open_dial(value) == target
    assert sealer.open(value) is None  # a dial value is no search value, and the reverse
    assert sealer.open_dial(sealer.seal(Query(phone="3001234567"))) is None
    assert Sealer("another-secret-000000000000000000").open_dial(value) is None
    tampered = value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]
    assert sealer.open_dial(tampered) is None

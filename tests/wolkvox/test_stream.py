"""FindRecordStream: the body decoded as it arrives gives exactly what the whole-body decoder
gives (the same answer, or the same kind of failure), however the body is cut into chunks,
and it never holds the body whole."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.devtools.wolkvox_sim.data import big_answer_body
from bot.errors import LookupFailure
from bot.wolkvox.records import FindAnswer, decode_find_record
from bot.wolkvox.stream import BATCH_BYTES, CARRY_LIMIT, FindRecordStream
from tests.wolkvox.test_records import DOCUMENTED_ERRORS, VALID, body_of, envelope_fields, rec


def streamed(body: bytes, chunk: int) -> FindAnswer:
    stream = FindRecordStream()
    for start in range(0, len(body), max(1, chunk)):
        stream.feed(body[start : start + chunk])
    return stream.finish()


def outcome(decode: Any, *args: Any) -> FindAnswer | tuple[str, type[LookupFailure]]:
    try:
        return decode(*args)  # type: ignore[no-any-return]
    except LookupFailure as failure:
        return (failure.kind, type(failure))


def assert_same(body: bytes, *chunks: int) -> FindAnswer | None:
    whole = outcome(decode_find_record, body)
    for chunk in chunks or (1, 2, 7, 64, 4096, len(body) or 1):
        assert outcome(streamed, body, chunk) == whole, f"chunk {chunk}"
    return whole if isinstance(whole, FindAnswer) else None


SHAPES = {
    "plain": body_of([rec(campaign_id=i, date=f"2026-01-0{i} 10:00") for i in range(1, 6)]),
    "brace-comma in strings": body_of(
        [rec(campaign_id="1", opt1='}, {"x": 1}', date="2026-01-02"), rec(result="},},")]
    ),
    "nested objects": body_of([{"campaign_id": "1", "opt2": {"a": {"b": [1, {"c": 2}]}}}] * 3),
    "pretty printed": json.dumps(
        {"code": "200", "error": None, "msg": "x", "data": [rec(), rec(campaign_id="7")]},
        indent=4,
    ).encode(),
    "spaces around": b' { "code" : "200" , "data" : [ {"campaign_id": "1"} , {"x": 2} ] } ',
    "code after data": b'{"data": [{"campaign_id": "1"}], "code": "200", "msg": "late"}',
    "error code after data": b'{"data": [{"a": 1}], "code": "403", "error": "FORBIDDEN",'
    b' "msg": "PLEASE VALIDATE TOKEN"}',
    "data key in msg": b'{"msg": "\\"data\\": [", "code": "200", "data": [{"campaign_id": "2"}]}',
    "empty data": body_of([]),
    "null data": body_of(None),
    "no data": b'{"code": "200", "msg": "x"}',
    "data not a list": body_of({"a": 1}),
    "404 code": body_of([], code="404"),
    "int code": body_of([rec()], code=200),
    "bom": b"\xef\xbb\xbf" + body_of([rec()]),
    "html": b"<html><body>502 Bad Gateway</body></html>",
    "empty body": b"",
    "truncated": body_of([rec(), rec()])[:-7],
    "record a number": b'{"code": "200", "data": [{"date": "x"}, 5]}',
    "record a list": b'{"code": "200", "data": [[1]]}',
    "bad record inside a batch": b'{"code": "200", "data": [{"a": 1}, 5, {"b": 2},{"c": 3}]}',
    "nested date inside a batch": b'{"data": [{"date": {"y": 2026}}, {"b": 2},{"c": 3}]}',
    "deep": b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "deep record": b'{"data": [{"a": 1}, ' + b"[" * 5000 + b"]" * 5000 + b"]}",
    "bad utf-8 in msg": b'{"code": "200", "msg": "\xff", "data": []}',
    "bad utf-8 in date": b'{"code": "200", "data": [{"date": "\xc3"}]}',
    "bad utf-8 in a field": b'{"code": "200", "data": [{"a": 1}, {"opt1": "\xc3"}]}',
    "huge number": b'{"code": 200, "data": [{"date": "2026-01-18", "opt1": 1e400}]}',
    "trailing garbage": body_of([rec()]) + b"xx",
}


@pytest.mark.parametrize("name", SHAPES)
def test_every_shape_decodes_as_the_whole_body_does(name: str) -> None:
    assert_same(SHAPES[name])


@pytest.mark.parametrize("space", [b"\x0b", b"\x0c"])
def test_only_jsons_own_whitespace_opens_the_data(space: bytes) -> None:
    """Found by the property test below: the stream took a vertical tab or form feed before
    `[` for whitespace, which JSON is not; the whole-body decoder calls that body broken."""
    body = body_of([rec()]).replace(b'"data": [', b'"data":' + space + b"[")
    assert outcome(decode_find_record, body)[0] == "broken_answer"  # type: ignore[index]
    assert_same(body)


@pytest.mark.parametrize(("code", "error", "msg", "kind"), DOCUMENTED_ERRORS)
def test_error_bodies_fail_the_same(code: str, error: str, msg: str, kind: type) -> None:
    body = body_of([rec()], code=code, error=error, msg=msg)
    whole = outcome(decode_find_record, body)
    assert isinstance(whole, tuple) and whole[1] is kind
    assert_same(body)


def test_the_big_answer_streams_without_holding_the_body() -> None:
    body = big_answer_body(60_000, "")
    stream = FindRecordStream()
    held = 0
    for start in range(0, len(body), 65_536):
        stream.feed(body[start : start + 65_536])
        held = max(held, stream.held)
        assert stream.streaming
    assert held < 2 * 65_536  # a chunk and a record's worth, never the 38 MB body
    assert stream.finish() == decode_find_record(body)


def test_records_that_never_split_fall_back_and_still_decode() -> None:
    # Records separated by " , " have no "}," to cut at: the stream stops trying past
    # CARRY_LIMIT and decodes the rest in one piece at the end.
    items = b" , ".join(
        json.dumps(rec(opt1="x" * 500, campaign_id=i % 3)).encode() for i in range(3000)
    )
    body = b'{"code": "200", "data": [' + items + b"]}"
    assert len(body) > CARRY_LIMIT
    answer = assert_same(body, 4096, 65_536)
    assert answer is not None and answer.total_records == 3000


def test_a_record_longer_than_a_batch_is_cut_after_it() -> None:
    items = [rec(campaign_id=i % 2, date=f"2026-01-{1 + i % 28:02d}") for i in range(400)]
    items[150]["opt1"] = "x" * (3 * BATCH_BYTES)
    body = body_of(items)
    answer = assert_same(body, 4096, 65_536)
    assert answer is not None and answer.total_records == 400


def test_an_error_code_before_data_is_left_to_the_whole_body_decoder() -> None:
    stream = FindRecordStream()
    stream.feed(body_of([rec()], code="403", error="FORBIDDEN", msg="TOKEN LIMIT EXCEEDED"))
    assert not stream.streaming


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(envelope_fields, st.integers(1, 64))
def test_arbitrary_envelopes_stream_as_they_decode(fields: dict[str, Any], chunk: int) -> None:
    data = fields.pop("data")
    assert_same(body_of(data, **fields), chunk)


@settings(max_examples=200)
@given(
    cut=st.integers(0, len(VALID)),
    at=st.integers(0, len(VALID) - 1),
    byte=st.integers(0, 255),
    chunk=st.integers(1, 40),
)
def test_cut_or_mangled_bodies_stream_as_they_decode(
    cut: int, at: int, byte: int, chunk: int
) -> None:
    assert_same(VALID[:cut], chunk)
    assert_same(VALID[:at] + bytes([byte]) + VALID[at + 1 :], chunk)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200), st.integers(1, 30))
def test_arbitrary_bytes_stream_as_they_decode(body: bytes, chunk: int) -> None:
    assert_same(body, chunk)

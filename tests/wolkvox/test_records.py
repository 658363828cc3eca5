"""The find_record decoder: every documented quirk, error mapping, summaries, and robustness."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.devtools.wolkvox_sim.data import big_answer_body
from bot.errors import LookupFailure
from bot.wolkvox import errors
from bot.wolkvox import records as records_module
from bot.wolkvox.records import (
    KEPT_RECORDS,
    FindAnswer,
    Record,
    decode_find_record,
    error_for,
    parse_date,
)


def body_of(data: Any, code: Any = "200", error: Any = None, msg: Any = "ok") -> bytes:
    return json.dumps({"code": code, "error": error, "msg": msg, "data": data}).encode()


def rec(**fields: Any) -> dict[str, Any]:
    base = {"customer_name": "Ana", "customer_last_name": "Ruiz", "tel1": "3001234567"}
    base.update(fields)
    return base


# --- envelope quirks ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["200", 200, "", 200.0, " 200 "])
def test_success_codes_as_text_int_or_empty(code: Any) -> None:
    answer = decode_find_record(body_of([rec(campaign_id="1", date="2026-01-18 19:34:31")], code))
    assert answer.total_records == 1
    assert answer.campaigns[0].campaign_id == "1"


@pytest.mark.parametrize("data", [None, [], {}, ""])
def test_null_or_empty_data_is_no_records(data: Any) -> None:
    answer = decode_find_record(body_of(data, msg="0 records were found"))
    assert answer == FindAnswer(
        total_records=0, campaigns=(), records=(), code="200", msg="0 records were found"
    )
    assert answer.latest is None


def test_missing_data_and_keys_is_no_records() -> None:
    assert decode_find_record(b"{}").total_records == 0
    assert decode_find_record(b'{"code": 200, "msg": "x"}').code == "200"


def test_body_code_404_without_data_is_no_records() -> None:
    answer = decode_find_record(body_of(None, code=404, msg="No records"))
    assert answer.total_records == 0
    assert answer.code == "404"


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_accepts_any_buffer(kind: Any) -> None:
    raw = body_of([rec(campaign_id="5", date="2026-01-18")])
    assert decode_find_record(kind(raw)).campaigns[0].campaign_id == "5"


# --- values ---------------------------------------------------------------------------------------


def test_values_of_every_json_type_become_text() -> None:
    item = {
        "customer_id": 1020304050,
        "calls": 3.0,
        "opt1": 2.5,
        "opt2": True,
        "opt3": False,
        "opt4": None,
        "tel1": 3001234567,
        "campaign_id": 42,
        "date": "2026-01-18 19:34:31",
        "conn_id": {"nested": [1, "a"]},
        "result": ["answer"],
    }
    answer = decode_find_record(body_of([item]))
    (record,) = answer.records
    assert record.customer_id == "1020304050"
    assert record.calls == "3"
    assert (record.opt1, record.opt2, record.opt3, record.opt4) == ("2.5", "true", "false", "")
    assert record.tel1 == "3001234567"
    assert record.campaign_id == "42"
    assert json.loads(record.conn_id) == {"nested": [1, "a"]}
    assert json.loads(record.result) == ["answer"]
    summary = answer.campaigns[0]
    assert (summary.campaign_id, summary.calls, summary.calls_raw) == ("42", 3, "3")


def test_int_and_text_campaign_ids_group_together() -> None:
    answer = decode_find_record(
        body_of([rec(campaign_id=7, date="2026-01-01"), rec(campaign_id="7", date="2026-01-02")])
    )
    assert [(c.campaign_id, c.records) for c in answer.campaigns] == [("7", 2)]


def test_every_documented_field_is_read() -> None:
    documented = [name for name in Record.__struct_fields__ if name != "extra"]
    item = {name: f"v-{name}" for name in documented}
    (record,) = decode_find_record(body_of([item])).records
    for name in documented:
        assert getattr(record, name) == f"v-{name}"
    assert record.extra == {}


def test_unknown_fields_are_kept_as_text() -> None:
    item = rec(agent_id=17, skill="ventas", extra="x", weird=None, more={"a": 1})
    (record,) = decode_find_record(body_of([item])).records
    assert record.extra == {
        "agent_id": "17",
        "skill": "ventas",
        "extra": "x",
        "weird": "",
        "more": '{"a":1}',
    }


def test_capital_and_custom_results_are_kept_as_written() -> None:
    answer = decode_find_record(
        body_of(
            [
                rec(campaign_id="1", date="2026-01-01", result="ANSWER"),
                rec(campaign_id="2", date="2026-01-02", result="Promesa de pago"),
            ]
        )
    )
    assert [c.last_result for c in answer.campaigns] == ["Promesa de pago", "ANSWER"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("7", 7), (" 12 ", 12), ("0", 0), ("", None), ("-1", None), ("2.5", None), ("tres", None)],
)
def test_calls_as_number_only_when_a_count(raw: str, expected: int | None) -> None:
    summary = decode_find_record(body_of([rec(calls=raw)])).campaigns[0]
    assert summary.calls == expected
    assert summary.calls_raw == raw


def test_summary_name_and_phone() -> None:
    item = rec(customer_name=" Ana ", customer_last_name="", tel1="", tel2=" ", tel3="6011234567")
    summary = decode_find_record(body_of([item])).campaigns[0]
    assert summary.customer_name == "Ana"
    assert summary.phone == "6011234567"


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-01-18 19:34:31", datetime(2026, 1, 18, 19, 34, 31)),
        ("2026-01-18 19:34", datetime(2026, 1, 18, 19, 34)),
        ("2026-01-18", datetime(2026, 1, 18)),
        ("2026-01-18-19", datetime(2026, 1, 18, 19)),
        ("2026-01-18T19:34:31", datetime(2026, 1, 18, 19, 34, 31)),
        ("2026-01-18T19:34:31Z", datetime(2026, 1, 18, 19, 34, 31)),
        ("2026-01-18T19:34:31-05:00", datetime(2026, 1, 18, 19, 34, 31)),
        ("2026-01-18 19:34:31.250", datetime(2026, 1, 18, 19, 34, 31, 250000)),
        ("2026/01/18 19:34:31", datetime(2026, 1, 18, 19, 34, 31)),
        ("2026/01/18", datetime(2026, 1, 18)),
        ("2026/1/8 9:04", datetime(2026, 1, 8, 9, 4)),
        ("18/01/2026 19:34", datetime(2026, 1, 18, 19, 34)),
        ("18/01/2026", datetime(2026, 1, 18)),
        ("18-01-2026 19:34:31", datetime(2026, 1, 18, 19, 34, 31)),
        ("8/1/2026 7:05 p.m.", datetime(2026, 1, 8, 19, 5)),
        ("2026-01-18 12:10:00 AM", datetime(2026, 1, 18, 0, 10)),
        ("2026-01-18 12:10 pm", datetime(2026, 1, 18, 12, 10)),
        ("  2026-01-18 19:34:31 ", datetime(2026, 1, 18, 19, 34, 31)),
        ("20260118", datetime(2026, 1, 18)),
    ],
)
def test_parse_date_formats(raw: str, expected: datetime) -> None:
    parsed = parse_date(raw)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is None


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "  ",
        "ayer",
        "0000-00-00 00:00:00",
        "0001-01-01 00:00:00",
        "2026-13-01",
        "31/02/2026",
        "2026-01-18 25:00",
        "2026-01-18 13:00 pm",
        "18/01/26",
    ],
)
def test_parse_date_unparseable(raw: str) -> None:
    assert parse_date(raw) is None


def test_unparseable_date_keeps_raw_text() -> None:
    summary = decode_find_record(body_of([rec(date="ayer por la tarde")])).campaigns[0]
    assert summary.last_date is None
    assert summary.last_date_raw == "ayer por la tarde"


def test_each_date_format_ranks_in_a_scan() -> None:
    dates = ["18/01/2026 19:34", "2026/01/17 10:00", "2026-01-19-08", "2026-01-16T23:59:59"]
    items = [rec(campaign_id=str(i), date=d, conn_id=str(i)) for i, d in enumerate(dates)]
    answer = decode_find_record(body_of(items))
    assert [c.campaign_id for c in answer.campaigns] == ["2", "0", "1", "3"]
    assert [r.conn_id for r in answer.records] == ["2", "0", "1", "3"]
    assert answer.campaigns[0].last_date == datetime(2026, 1, 19, 8)


# --- summaries ------------------------------------------------------------------------------------


def test_latest_per_campaign_and_counts() -> None:
    items = [
        rec(campaign_id="10", date="2026-01-05 10:00:00", conn_id="a", result="busy"),
        rec(campaign_id="10", date="2026-01-07 09:00:00", conn_id="b", result="answer"),
        rec(campaign_id="10", date="2026-01-06 09:00:00", conn_id="c"),
        rec(campaign_id="9", date="2026-01-06 12:00:00", conn_id="d", calls="4"),
    ]
    answer = decode_find_record(body_of(items))
    assert answer.total_records == 4
    assert [(c.campaign_id, c.records, c.conn_id) for c in answer.campaigns] == [
        ("10", 3, "b"),
        ("9", 1, "d"),
    ]
    latest = answer.latest
    assert latest is not None
    assert latest.last_result == "answer"
    assert latest.last_date == datetime(2026, 1, 7, 9)
    assert latest.customer_name == "Ana Ruiz"
    assert latest.campaign_name == ""


def test_tie_goes_to_the_later_record_in_the_answer() -> None:
    items = [
        rec(campaign_id="1", date="2026-01-05 10:00:00", conn_id="first"),
        rec(campaign_id="1", date="2026-01-05 10:00:00", conn_id="second"),
        rec(campaign_id="1", date="2026-01-04 10:00:00", conn_id="older"),
    ]
    answer = decode_find_record(body_of(items))
    assert answer.campaigns[0].conn_id == "second"
    assert [r.conn_id for r in answer.records] == ["second", "first", "older"]


def test_undated_loses_to_dated_even_when_later() -> None:
    items = [
        rec(campaign_id="1", date="2026-01-05", conn_id="dated"),
        rec(campaign_id="1", date="", conn_id="undated"),
        rec(campaign_id="1", date="nunca", conn_id="garbage"),
    ]
    answer = decode_find_record(body_of(items))
    assert answer.campaigns[0].conn_id == "dated"
    assert [r.conn_id for r in answer.records] == ["dated", "garbage", "undated"]


def test_undated_campaign_uses_its_last_record() -> None:
    items = [rec(campaign_id="1", date="", conn_id="x"), rec(campaign_id="1", conn_id="y")]
    assert decode_find_record(body_of(items)).campaigns[0].conn_id == "y"


def test_campaign_order_recent_first_undated_last_then_by_id() -> None:
    items = [
        rec(campaign_id="b", date=""),
        rec(campaign_id="10", date="2026-01-01"),
        rec(campaign_id="9", date="2026-01-01"),
        rec(campaign_id="300", date="2026-03-01"),
        rec(campaign_id="a", date="?"),
        rec(campaign_id="2", date=""),
        rec(campaign_id="", date="2025-12-31"),
    ]
    answer = decode_find_record(body_of(items))
    assert [c.campaign_id for c in answer.campaigns] == ["300", "9", "10", "", "2", "a", "b"]


def test_kept_records_cap_most_recent_first() -> None:
    n = KEPT_RECORDS * 3 + 7
    items = [
        rec(campaign_id=str(i % 4), date=f"2026-01-01 00:{(i * 37) % 60:02d}:{i % 60:02d}", n=i)
        for i in range(n)
    ]
    answer = decode_find_record(body_of(items))
    assert answer.total_records == n
    assert len(answer.records) == KEPT_RECORDS
    expected = sorted(range(n), key=lambda i: (items[i]["date"], i), reverse=True)
    assert [int(r.extra["n"]) for r in answer.records] == expected[:KEPT_RECORDS]
    assert sum(c.records for c in answer.campaigns) == n


def test_kept_records_follow_the_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records_module, "KEPT_RECORDS", 2)
    items = [rec(date=f"2026-01-0{d}", conn_id=str(d)) for d in (3, 1, 5, 4)]
    assert [r.conn_id for r in decode_find_record(body_of(items)).records] == ["5", "4"]
    monkeypatch.setattr(records_module, "KEPT_RECORDS", 0)
    answer = decode_find_record(body_of(items))
    assert answer.records == ()
    assert answer.campaigns[0].conn_id == "5"


def test_sixty_thousand_records_summarised_correctly() -> None:
    body = big_answer_body(60_000, campaigns=6, seed=3, undocumented=True)
    answer = decode_find_record(body)
    data = json.loads(body)["data"]
    counts: dict[str, int] = defaultdict(int)
    latest: dict[str, tuple[str, int]] = {}
    for i, item in enumerate(data):
        counts[item["campaign_id"]] += 1
        latest[item["campaign_id"]] = max(
            latest.get(item["campaign_id"], ("", -1)), (item["date"], i)
        )
    assert answer.total_records == 60_000
    assert {c.campaign_id: c.records for c in answer.campaigns} == counts
    assert len(answer.campaigns) == 6
    for summary in answer.campaigns:
        date, index = latest[summary.campaign_id]
        assert summary.last_date_raw == date
        assert summary.conn_id == data[index]["conn_id"]
        assert summary.last_result == data[index]["result"]
    assert [c.last_date_raw for c in answer.campaigns] == sorted(
        (d for d, _ in latest.values()), reverse=True
    )
    top = sorted(range(len(data)), key=lambda i: (data[i]["date"], i), reverse=True)
    assert [r.conn_id for r in answer.records] == [data[i]["conn_id"] for i in top[:KEPT_RECORDS]]
    assert answer.records[0].extra["source"] == "api"


def test_sample_data_is_deterministic_and_shaped() -> None:
    body = big_answer_body(50, campaigns=3, seed=7, undocumented=True)
    assert body == big_answer_body(50, campaigns=3, seed=7, undocumented=True)
    assert body != big_answer_body(50, campaigns=3, seed=8, undocumented=True)
    data = json.loads(body)["data"]
    assert len(data) == 50
    assert len({item["campaign_id"] for item in data}) == 3
    assert all(len(item) == 45 and parse_date(item["date"]) for item in data)


# --- broken answers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML"),
        (b"  <html>" + b"x" * 10_000, "HTML"),
        (b'{"code": "200", "data": [{"date": "2026-01-18"', "truncated"),
        (b'{"code": "200", "data": [{"date": "2026-01-18"}]} trailing', "not JSON"),
        (b"not json", "not JSON"),
        (b"0\x00", "not JSON"),
        (b'{"code": "200", "data": 5 x}', "not JSON"),
        (b'[{"code": "200"}', "truncated"),
        (b"[]", "a list"),
        (b'"text"', "a string"),
        (b"42", "a number"),
        (b"null", "null"),
        (b'{"code": "200", "data": "records"}', "`data` is a string"),
        (b'{"code": "200", "data": 3}', "`data` is a number"),
        (b'{"code": "200", "data": {"a": 1}}', "`data` is an object"),
        (b'{"code": "200", "data": [{"date": "x"}, 5]}', "record 1 is a number"),
        (b'{"code": "200", "data": [[1]]}', "record 0 is a list"),
        (b'{"code": "200", "data": [null]}', "record 0 is null"),
        (b'{"code": "200", "data": ["a"]}', "record 0 is a string"),
        (b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested"),
        (b'{"code": "200", "msg": "\xff", "data": []}', "UTF-8"),
        (b'{"code": "200", "data": [{"date": "\xc3"}]}', "UTF-8"),
        (b'{"code": "200", "data": [{"opt1": "\xc3"}]}', "UTF-8"),
    ],
)
def test_broken_answers(body: bytes, says: str) -> None:
    with pytest.raises(errors.BrokenAnswer) as caught:
        decode_find_record(body)
    assert says in caught.value.detail
    assert len(caught.value.detail) < 200
    assert caught.value.retryable


def test_numbers_beyond_float_range_do_not_break_a_record() -> None:
    body = b'{"code": 200, "data": [{"date": "2026-01-18", "opt1": 1e400, "x": -1e999}]}'
    (record,) = decode_find_record(body).records
    assert (record.opt1, record.extra["x"]) == ("inf", "-inf")


# --- error answers --------------------------------------------------------------------------------

DOCUMENTED_ERRORS = [
    ("401", "UNAUTHORIZED", "PLEASE ENTER THE WOLKVOX-TOKEN", errors.TokenMissing),
    ("403", "FORBIDDEN", "PLEASE VALIDATE TOKEN", errors.TokenRejected),
    ("403", "FORBIDDEN", "TOKEN LIMIT EXCEEDED", errors.QuotaExceeded),
    (
        "403",
        "FORBIDDEN",
        "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)",
        errors.SimultaneousLimit,
    ),
    ("403", "FORBIDDEN", "API DISABLED FOR MAINTENANCE", errors.Unavailable),
    ("403", "FORBIDDEN", "", errors.Unavailable),
    ("400", "BAD REQUEST", "THE API YOU WANT TO CONSULT DOES NOT EXIST", errors.UpstreamError),
    ("400", "BAD REQUEST", "SOME PARAMETERS ARE REQUIRED", errors.UpstreamError),
]


@pytest.mark.parametrize(("code", "error", "msg", "kind"), DOCUMENTED_ERRORS)
@pytest.mark.parametrize("as_int", [False, True])
def test_error_bodies_map_to_typed_errors(
    code: str, error: str, msg: str, kind: type[errors.WolkvoxError], as_int: bool
) -> None:
    body = body_of(None, code=int(code) if as_int else code, error=error, msg=msg)
    with pytest.raises(kind) as caught:
        decode_find_record(body)
    assert type(caught.value) is kind
    if msg:
        assert msg in caught.value.detail


def test_error_body_wins_over_a_broken_data_shape() -> None:
    body = body_of("nothing", code="403", error="FORBIDDEN", msg="PLEASE VALIDATE TOKEN")
    with pytest.raises(errors.TokenRejected):
        decode_find_record(body)


def test_error_field_with_code_200_is_an_error() -> None:
    with pytest.raises(errors.QuotaExceeded):
        decode_find_record(body_of([rec()], code="200", error="TOKEN LIMIT EXCEEDED", msg=""))


def test_unknown_body_code_is_upstream_error_with_code_and_message() -> None:
    with pytest.raises(errors.UpstreamError) as caught:
        decode_find_record(body_of(None, code="400", error="BAD REQUEST", msg="WHATEVER"))
    assert (caught.value.code, caught.value.message) == ("400", "WHATEVER")
    assert not caught.value.retryable


def test_error_message_is_cut_short() -> None:
    with pytest.raises(errors.UpstreamError) as caught:
        decode_find_record(body_of(None, code="499", error="E", msg="x" * 100_000))
    assert len(caught.value.detail) < 500


@pytest.mark.parametrize(
    ("status", "code", "error", "msg", "kind"),
    [
        (401, "", "", "", errors.TokenMissing),
        (403, "", "FORBIDDEN", "PLEASE VALIDATE TOKEN", errors.TokenRejected),
        (403, "", "FORBIDDEN", "token limit exceeded", errors.QuotaExceeded),
        (403, "", "", "", errors.Unavailable),
        (403, "", "FORBIDDEN", "Servidor en mantenimiento", errors.Unavailable),
        (429, "", "", "", errors.SimultaneousLimit),
        (500, "", "", "", errors.Unavailable),
        (503, "", "", "<html>", errors.Unavailable),
        (504, "", "", "", errors.UpstreamTimeout),
        (408, "", "", "", errors.UpstreamTimeout),
        (400, "", "BAD REQUEST", "SOME PARAMETERS ARE REQUIRED", errors.UpstreamError),
        (418, "", "", "", errors.UpstreamError),
        (500, "", "", "PLEASE VALIDATE TOKEN", errors.TokenRejected),  # the message is more precise
        (None, "401", "", "", errors.TokenMissing),
        (None, "503", "", "", errors.Unavailable),
        (None, "E42", "SOMETHING", "odd", errors.UpstreamError),
        (None, "", "", "", errors.UpstreamError),
    ],
)
def test_error_for(
    status: int | None, code: str, error: str, msg: str, kind: type[errors.WolkvoxError]
) -> None:
    failure = error_for(status, code, error, msg)
    assert type(failure) is kind


def test_error_for_keeps_code_and_message() -> None:
    failure = error_for(400, "", "BAD REQUEST", "THE API YOU WANT TO CONSULT DOES NOT EXIST")
    assert isinstance(failure, errors.UpstreamError)
    assert failure.code == "400"
    assert failure.message == "THE API YOU WANT TO CONSULT DOES NOT EXIST"


# --- never anything but a LookupFailure -----------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)
field_names = st.sampled_from(["date", "campaign_id", "calls", "tel1", "result", "extra", "zz"])
record_like = st.dictionaries(field_names, json_values, max_size=6)


def decode_or_failure(body: bytes) -> FindAnswer | LookupFailure:
    try:
        return decode_find_record(body)
    except LookupFailure as failure:
        assert len(failure.detail) < 600
        return failure


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_fail_as_lookup_failures(body: bytes) -> None:
    decode_or_failure(body)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_only_fails_as_lookup_failure(value: Any) -> None:
    decode_or_failure(json.dumps(value).encode())


# Envelopes of any field values: bodies with the fields' values to check them against.
envelope_fields = st.fixed_dictionaries(
    {
        "code": json_values,
        "error": json_values,
        "msg": json_values,
        "data": st.lists(record_like | json_values, max_size=6) | json_values,
    }
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(envelope_fields)
def test_arbitrary_envelopes_only_fail_as_lookup_failures(fields: dict[str, Any]) -> None:
    data = fields.pop("data")
    outcome = decode_or_failure(body_of(data, **fields))
    if isinstance(outcome, FindAnswer):
        assert outcome.total_records == (len(data) if isinstance(data, list) else 0)
        assert sum(c.records for c in outcome.campaigns) == outcome.total_records
        assert len(outcome.records) == min(outcome.total_records, KEPT_RECORDS)


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(record_like, min_size=1, max_size=6))
def test_arbitrary_records_always_summarise(items: list[dict[str, Any]]) -> None:
    answer = decode_find_record(body_of(items))
    assert answer.total_records == len(items)
    assert len({c.campaign_id for c in answer.campaigns}) == len(answer.campaigns)
    dated = [c.last_date for c in answer.campaigns if c.last_date is not None]
    assert dated == sorted(dated, reverse=True)
    assert all(c.last_date is not None for c in answer.campaigns[: len(dated)])


VALID = body_of(
    [rec(campaign_id=i, date=f"2026-01-0{i} 10:00", calls=i, x=[i]) for i in range(1, 4)],
    code=200,
)


@settings(max_examples=300)
@given(
    cut=st.integers(0, len(VALID)),
    at=st.integers(0, len(VALID) - 1),
    byte=st.integers(0, 255),
)
def test_cut_or_mangled_bodies_only_fail_as_lookup_failures(cut: int, at: int, byte: int) -> None:
    decode_or_failure(VALID[:cut])
    outcome = decode_or_failure(VALID[:at] + bytes([byte]) + VALID[at + 1 :])
    if isinstance(outcome, FindAnswer):
        assert outcome.total_records in (0, 3)


@given(st.text(max_size=40))
def test_parse_date_never_raises(raw: str) -> None:
    parsed = parse_date(raw)
    assert parsed is None or (parsed.tzinfo is None and parsed.year >= 1900)


# --- CSV export ----------------------------------------------------------------------------------


def test_write_csv_has_every_documented_column_then_the_extras() -> None:
    import csv
    import io

    from bot.wolkvox.records import EXPORT_COLUMNS, write_csv

    body = (
        b'{"code":200,"data":['
        b'{"customer_name":"Ana","tel1":"3001234567","date":"2026-01-02 10:00:00","vip":"si"},'
        b'{"customer_name":"=HYPERLINK(\\"x\\")","tel2":"+57 300","campaign_id":42,"zona_b":"n"}'
        b"]}"
    )
    out = io.StringIO()
    assert write_csv(body, out, mask=None) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == [*EXPORT_COLUMNS, "vip", "zona_b"]
    first = dict(zip(rows[0], rows[1], strict=True))
    second = dict(zip(rows[0], rows[2], strict=True))
    assert first["tel1"] == "3001234567" and first["vip"] == "si" and first["zona_b"] == ""
    assert second["customer_name"].startswith("'=")  # never a spreadsheet formula
    assert second["tel2"] == "+57 300"  # a number, not a formula: unchanged
    assert second["campaign_id"] == "42"


def test_write_csv_masks_phones_when_asked_and_raises_for_an_error_answer() -> None:
    import io

    import pytest

    from bot.query import mask_phone
    from bot.wolkvox.records import write_csv

    out = io.StringIO()
    write_csv(b'{"code":200,"data":[{"tel1":"3001234567"}]}', out, mask=mask_phone)
    assert "3001234567" not in out.getvalue() and "4567" in out.getvalue()
    with pytest.raises(errors.WolkvoxError):
        write_csv(b'{"code":"403","error":"PLEASE VALIDATE TOKEN"}', io.StringIO(), mask=None)
    with pytest.raises(errors.WolkvoxError):
        write_csv(b'{"code":200,"data":[{"tel1":', io.StringIO(), mask=None)


def test_write_csv_defuses_the_header_row_like_its_cells() -> None:
    """An extra field's *name* comes from Wolkvox too: a formula there runs just the same."""
    import csv
    import io

    from bot.wolkvox.records import write_csv

    out = io.StringIO()
    body = b'{"code":200,"data":[{"tel1":"3001234567","=HYPERLINK(\\"x\\")":"1"}]}'
    write_csv(body, out, mask=None)
    header = next(csv.reader(io.StringIO(out.getvalue())))
    assert '\'=HYPERLINK("x")' in header
    assert not any(name.startswith(("=", "+", "-", "@")) for name in header)

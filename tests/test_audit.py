"""The audit line: its fields, the query masked unless WOLKVOX_AUDIT_PII=full, the optional file,
and a broken file or stream never costing an agent their answer."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.audit import AuditLog, AuditRecord
from bot.query import Query
from bot.wolkvox.errors import QuotaExceeded
from bot.wolkvox.lookup import Gap, LookupResult
from bot.wolkvox.records import CampaignSummary, FindAnswer

NOW = 1_768_833_000.123  # 2026-01-19T14:30:00.123Z
QUERY = Query(phone="3001234567", customer_id="1020304050", campaign_id="42")

FIELDS = {
    "audit",
    "time",
    "team",
    "user",
    "channel",
    "surface",
    "query_kind",
    "query",
    "campaign",
    "operation",
    "gaps",
    "refresh",
    "outcome",
    "records",
    "campaigns",
    "cache_hit",
    "shared",
    "upstream_ms",
    "elapsed_ms",
    "error_id",
}


def _summary(campaign_id: str) -> CampaignSummary:
    return CampaignSummary(
        campaign_id=campaign_id,
        customer_name="María Gómez",
        customer_id="1020304050",
        phone="3001234567",
        last_date=None,
        last_date_raw="",
        last_result="ANSWER",
        calls=1,
        calls_raw="1",
        conn_id="1.2",
        records=2,
    )


def _result(*, records: int = 4, from_cache: bool = False, shared: bool = False) -> LookupResult:
    campaigns = (_summary("42"), _summary("57")) if records else ()
    return LookupResult(
        query=QUERY,
        answer=FindAnswer(total_records=records, campaigns=campaigns, records=()),
        fetched_at=NOW - 5,
        from_cache=from_cache,
        shared=shared,
        upstream_ms=812.349,
    )


def _record(
    result: LookupResult | None = None,
    error: QuotaExceeded | None = None,
    query: Query = QUERY,
    **overrides: Any,
) -> AuditRecord:
    args: dict[str, Any] = {
        "actor_team": "T0123ABCD",
        "actor_user": "U0123ABCD",
        "actor_channel": "C0123ABCD",
        "surface": "command",
        "query": query,
        "refresh": False,
        "result": result,
        "error": error,
        "error_id": None,
        "elapsed_ms": 901.26,
        "now": NOW,
    }
    args.update(overrides)
    return AuditRecord.for_lookup(**args)


def _line(record: AuditRecord, pii: str = "masked") -> dict[str, Any]:
    stream = io.StringIO()
    AuditLog(pii=pii, stream=stream).write(record)
    text = stream.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1  # exactly one line
    data: dict[str, Any] = json.loads(text)
    return data


def test_a_successful_lookup() -> None:
    data = _line(_record(_result()))
    assert set(data) == FIELDS
    assert data["audit"] == "lookup"
    assert data["time"] == "2026-01-19T14:30:00.123+00:00"
    assert (data["team"], data["user"], data["channel"]) == ("T0123ABCD", "U0123ABCD", "C0123ABCD")
    assert data["surface"] == "command"
    assert data["query_kind"] == "phone+id"
    assert data["campaign"] == "42"
    assert data["refresh"] is False
    assert data["outcome"] == "ok"
    assert (data["records"], data["campaigns"]) == (4, 2)
    assert data["cache_hit"] is False and data["shared"] is False
    assert data["upstream_ms"] == 812.3
    assert data["elapsed_ms"] == 901.3
    assert (data["operation"], data["gaps"]) == ("", "")
    assert data["error_id"] is None


def test_no_records_cache_hit_and_shared() -> None:
    data = _line(_record(_result(records=0, from_cache=True)))
    assert data["outcome"] == "no_records"
    assert (data["records"], data["campaigns"]) == (0, 0)
    assert data["cache_hit"] is True
    assert data["upstream_ms"] is None  # nobody asked Wolkvox for this one
    assert _line(_record(_result(shared=True)))["shared"] is True


def test_a_failure_has_its_kind_and_error_id() -> None:
    data = _line(_record(error=QuotaExceeded("spent"), error_id="E-7Q2K", refresh=True))
    assert data["outcome"] == "quota_exceeded"
    assert data["error_id"] == "E-7Q2K"
    assert data["refresh"] is True
    assert (data["records"], data["campaigns"], data["cache_hit"]) == (0, 0, False)
    assert data["upstream_ms"] is None


def test_query_is_masked_by_default() -> None:
    stream = io.StringIO()
    AuditLog(stream=stream).write(_record(_result()))
    text = stream.getvalue()
    assert "3001234567" not in text
    assert "1020304050" not in text
    data = json.loads(text)
    assert data["query"] == "••••••4567 id ••••••4050 campaign 42"
    assert "query_full" not in data


def test_query_in_full_only_when_asked() -> None:
    data = _line(_record(_result()), pii="full")
    assert data["query"] == "3001234567 id 1020304050 campaign 42"
    assert set(data) == FIELDS


@pytest.mark.parametrize(
    ("query", "kind", "masked"),
    [
        (Query(phone="3001234567"), "phone", "••••••4567"),
        (Query(customer_id="AB-99"), "id", "id •B-99"),
        (Query(customer_id="12"), "id", "id ••"),
    ],
)
def test_query_kinds_and_short_values(query: Query, kind: str, masked: str) -> None:
    data = _line(_record(query=query))
    assert data["query_kind"] == kind
    assert data["query"] == masked


def test_unicode_and_markup_stay_one_json_line() -> None:
    data = _line(_record(actor_user='U0"\n\u2028<!channel>', surface="mención"))
    assert data["user"] == 'U0"\n\u2028<!channel>'
    assert data["surface"] == "mención"


def test_goes_to_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    AuditLog().write(_record(_result()))
    out = capsys.readouterr().out
    assert json.loads(out)["audit"] == "lookup"


def test_also_appends_to_the_audit_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    stream = io.StringIO()
    audit = AuditLog(path=str(path), stream=stream)
    audit.write(_record(_result()))
    audit.write(_record(error=QuotaExceeded("spent")))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["outcome"] for line in lines] == ["ok", "quota_exceeded"]
    assert stream.getvalue().splitlines() == lines
    assert "3001234567" not in path.read_text(encoding="utf-8")


def test_an_unwritable_file_does_not_raise(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stream = io.StringIO()
    for path in (tmp_path / "missing-dir" / "audit.jsonl", tmp_path):  # no such dir; a dir
        audit = AuditLog(path=str(path), stream=stream)
        with caplog.at_level(logging.ERROR, logger="bot.audit"):
            audit.write(_record(_result()))
    assert len(stream.getvalue().splitlines()) == 2  # stdout still got both lines
    assert sum("not writable" in r.getMessage() for r in caplog.records) == 2


def test_a_broken_stream_does_not_raise(tmp_path: Path) -> None:
    stream = io.StringIO()
    stream.close()
    path = tmp_path / "audit.jsonl"
    AuditLog(path=str(path), stream=stream).write(_record(_result()))
    assert path.read_text(encoding="utf-8").count("\n") == 1  # the file still got it


def test_the_audit_file_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    """It names who looked whom up: 0600, whatever the process umask."""
    import os
    import stat

    path = tmp_path / "audit.jsonl"
    old = os.umask(0o022)
    try:
        AuditLog(path=str(path), stream=io.StringIO()).write(_record(_result()))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_search_over_several_operations_names_them_and_their_gaps() -> None:
    result = dataclasses.replace(
        _result(),
        operations=("co", "pa"),
        gaps=(Gap("ec", "Ecuador", "timeout"), Gap("mx", "México", "still_searching")),
    )
    data = _line(_record(result))
    assert data["operation"] == "co,pa"
    assert data["gaps"] == "ec:timeout,mx:still_searching"  # keys, never the display names

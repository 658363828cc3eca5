"""Wolkvox JSON → records and per-campaign summaries. Pure: bytes in, values out.

INTERIM: types are final (other modules build on them); `decode_find_record` is being
implemented (fast typed decoding, summarising while parsing, lean on 60,000 records).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

KEPT_RECORDS = 100  # records kept on a result besides the summaries (most recent first)


class Record(msgspec.Struct, frozen=True, omit_defaults=True):
    """One documented `find_record` item; every value as text (Wolkvox documents strings)."""

    customer_name: str = ""
    customer_last_name: str = ""
    customer_id: str = ""
    country: str = ""
    state: str = ""
    city: str = ""
    zone: str = ""
    address: str = ""
    tel1: str = ""
    tel2: str = ""
    tel3: str = ""
    tel4: str = ""
    tel5: str = ""
    tel6: str = ""
    tel7: str = ""
    tel8: str = ""
    tel9: str = ""
    tel10: str = ""
    opt1: str = ""
    opt2: str = ""
    opt3: str = ""
    opt4: str = ""
    opt5: str = ""
    opt6: str = ""
    opt7: str = ""
    opt8: str = ""
    opt9: str = ""
    opt10: str = ""
    opt11: str = ""
    opt12: str = ""
    date: str = ""
    calls: str = ""
    conn_id: str = ""
    result: str = ""
    campaign_id: str = ""
    extra: dict[str, str] = {}  # undocumented fields, kept as text


class CampaignSummary(msgspec.Struct, frozen=True):
    """The customer's last interaction in one campaign."""

    campaign_id: str
    customer_name: str  # first and last name joined
    customer_id: str
    phone: str  # tel1 of the latest record
    last_date: datetime | None  # naive, in the operation's time zone; None when unparseable
    last_date_raw: str
    last_result: str  # as Wolkvox wrote it
    calls: int | None  # of the latest record; None when not a number
    calls_raw: str
    conn_id: str
    records: int  # how many records this campaign had in the answer
    campaign_name: str = ""  # filled by the lookup service from `campaigns()`


class FindAnswer(msgspec.Struct, frozen=True):
    """A decoded `find_record` answer: summaries for every campaign, a bounded sample of records."""

    total_records: int
    campaigns: tuple[CampaignSummary, ...]  # most recent first; undated last
    records: tuple[Record, ...]  # at most KEPT_RECORDS, most recent first
    code: str = ""
    msg: str = ""

    @property
    def latest(self) -> CampaignSummary | None:
        return self.campaigns[0] if self.campaigns else None


class Fetched(msgspec.Struct, frozen=True):
    """A FindAnswer with when and how fast it was fetched: what the cache stores."""

    answer: FindAnswer
    fetched_at: float  # unix time
    upstream_ms: float


def parse_date(raw: str) -> datetime | None:
    """Lenient: `2026-01-18 19:34:31`, `2026-01-18-19`, ISO forms; None when unparseable."""
    raise NotImplementedError


def decode_find_record(body: bytes | bytearray | memoryview) -> FindAnswer:
    """Decode a 200 answer's body; raise `BrokenAnswer` / `UpstreamError` when it is not one."""
    raise NotImplementedError

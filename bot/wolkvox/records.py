"""Wolkvox JSON → records and per-campaign summaries. Pure: bytes in, values out.

Built for the largest answer Wolkvox may send (60,000 records, ~40 MB). `Summary` ranks records
by their date and campaign alone (a two-field struct; every other field is skipped unparsed),
keeping per campaign its count and latest record and the KEPT_RECORDS most recent; only the
records that end up on the answer are fully decoded. Two ways in: `decode_find_record` for a
whole body (the envelope with `data` as a list of `msgspec.Raw` slices), and
`Summary.add_batch` for the lists of complete records that bot.wolkvox.stream cuts from an
answer as it arrives. On the 60k body either takes ~90-120 ms; a plain `json.loads` takes
~450-800 ms and ~190 MB.
"""

from __future__ import annotations

import contextlib
import csv
import heapq
import json
import math
import re
from collections import deque
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import msgspec

from bot.wolkvox.errors import (
    BrokenAnswer,
    QuotaExceeded,
    SimultaneousLimit,
    TokenMissing,
    TokenRejected,
    Unavailable,
    UpstreamError,
    UpstreamTimeout,
    WolkvoxError,
)

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
    operation: str = ""  # the operation's name when several are searched ("Colombia")


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


# ---------------------------------------------------------------------------------------------
# Dates


_TIME_TAIL = (
    r"(?:[ T_\-]+(\d{1,2})(?:[:h.](\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d*)?)?)?)?"
    r"\s*(?:([aApP])\.?\s*[mM]\.?)?"
    r"\s*(?:Z|[+-]\d{2}:?\d{2})?"
)
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME_TAIL)
_DAY_FIRST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _TIME_TAIL)
_MIN_YEAR = 1900  # older "dates" are placeholders (`0000-00-00`, `0001-01-01`): undated
_NO_DATE = datetime.min  # sorts below every parsed date


def _parse_iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.replace(tzinfo=None)
    return parsed if parsed.year >= _MIN_YEAR else None


def parse_date(raw: str) -> datetime | None:
    """Lenient: `2026-01-18 19:34:31`, `2026-01-18-19`, ISO forms; None when unparseable.

    Also `2026/01/18 19:34`, day-first `18/01/2026 19:34` (the Latin American order), `a.m./p.m.`
    and fractions. A zone suffix is dropped: Wolkvox writes the operation's wall clock, and the
    result is always naive. Years before 1900 count as no date.
    """
    try:
        parsed = datetime.fromisoformat(raw)  # C-fast; also takes `2026-01-18-19` (any separator)
    except ValueError:
        return _parse_date_slow(raw)
    except TypeError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.replace(tzinfo=None)
    return parsed if parsed.year >= _MIN_YEAR else None


def _parse_date_slow(raw: str) -> datetime | None:
    text = raw.strip()
    if len(text) >= 10:  # the common non-ISO orders, rewritten for the C parser
        iso = None
        if text[2] in "/-." and text[5] == text[2] and text[6:10].isdigit():
            iso = f"{text[6:10]}-{text[3:5]}-{text[0:2]}{text[10:]}"  # 18/01/2026 19:34
        elif text[4] in "/." and text[7] == text[4]:
            iso = f"{text[0:4]}-{text[5:7]}-{text[8:10]}{text[10:]}"  # 2026/01/18 19:34
        if iso is not None:
            try:
                parsed = datetime.fromisoformat(iso)
            except ValueError:
                pass
            else:
                if parsed.tzinfo is not None:
                    parsed = parsed.replace(tzinfo=None)
                return parsed if parsed.year >= _MIN_YEAR else None
    match = _YEAR_FIRST.fullmatch(text)
    if match is not None:
        year, month, day = match.group(1, 2, 3)
    else:
        match = _DAY_FIRST.fullmatch(text)
        if match is None:
            return _parse_iso(text)  # `20260118` and other ISO forms
        day, month, year = match.group(1, 2, 3)
    hour, minute, second, fraction, meridian = match.group(4, 5, 6, 7, 8)
    hh = int(hour or 0)
    if meridian is not None:
        if hour is None or not 1 <= hh <= 12:
            return None
        hh = hh % 12 + (12 if meridian in "pP" else 0)
    try:
        parsed = datetime(
            int(year),
            int(month),
            int(day),
            hh,
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        return None
    return parsed if parsed.year >= _MIN_YEAR else None


# ---------------------------------------------------------------------------------------------
# Values and errors


def as_text(value: object) -> str:
    """Any JSON value as the text Wolkvox meant: null → "", 3.0 → "3", nested → compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    try:
        return msgspec.json.encode(value).decode()
    except (TypeError, ValueError, msgspec.EncodeError):  # not reachable from decoded JSON
        return str(value)


def _calls(raw: str) -> int | None:
    text = raw.strip()
    return int(text) if text.isascii() and text.isdigit() else None


_MAX_MESSAGE = 200  # Wolkvox's text in an error's detail, at most


def error_for(status: int | None, code: str, error: str, msg: str) -> WolkvoxError:
    """The typed error for a Wolkvox error answer: by its message first, then by its status.

    Shared by the body decoder (status None: the body's `code` stands in for the status when it
    is a number) and the HTTP client (non-200 responses). The 403s are told apart by message
    only: token rejected, quota spent, simultaneous use; an unrecognised 403 is taken for the
    maintenance one, whose text is not published.
    """
    message = (msg or "").strip()[:_MAX_MESSAGE]
    error_text = (error or "").strip()[:_MAX_MESSAGE]
    code_text = (code or "").strip()[:_MAX_MESSAGE]
    said = f"{error_text} {message}".upper()
    if status is None and code_text.isascii() and code_text.isdigit() and len(code_text) == 3:
        status = int(code_text)
    shown = code_text or (str(status) if status is not None else "")
    detail = " ".join(part for part in (shown, error_text, message) if part)[:_MAX_MESSAGE]
    if "VALIDATE TOKEN" in said:
        return TokenRejected(detail)
    if "TOKEN LIMIT" in said:
        return QuotaExceeded(detail)
    if "SIMULTANEOUS" in said:
        return SimultaneousLimit(detail)
    if "ENTER THE WOLKVOX-TOKEN" in said or "WOLKVOX-TOKEN IS REQUIRED" in said:
        return TokenMissing(detail)
    if any(word in said for word in _MAINTENANCE_WORDS):
        return Unavailable(detail)
    if status == 401:
        return TokenMissing(detail)
    if status == 429:
        return SimultaneousLimit(detail)
    if status in (408, 504):
        return UpstreamTimeout(detail)
    if status == 403 or (status is not None and 500 <= status <= 599):
        return Unavailable(detail)
    return UpstreamError(detail, code=shown, message=message or error_text)


_MAINTENANCE_WORDS = (
    "MAINTENANCE",
    "MANTENIMIENTO",
    "BACKUP",
    "RESPALDO",
    "TEMPORARILY",
    "TEMPORALMENTE",
    "UNAVAILABLE",
    "NO DISPONIBLE",
    "DISABLED",
    "DESHABILITAD",
)


# ---------------------------------------------------------------------------------------------
# Decoding


_Scalar = str | int | float | bool | None


class _Envelope(msgspec.Struct):
    """The answer with `data` as unparsed slices of the body: one pass, no object per field."""

    code: object = ""
    error: object = None
    msg: object = ""
    data: list[msgspec.Raw] | None = None


class _LooseEnvelope(msgspec.Struct):
    """The answer when `data` is not a list: enough to read an error code or say what is wrong."""

    code: object = ""
    error: object = None
    msg: object = ""
    data: msgspec.Raw = msgspec.Raw(b"null")


class _Slim(msgspec.Struct, gc=False):
    """The two fields a summary ranks by; every other field is skipped unparsed. Scalars only,
    so not tracked by the garbage collector (a batch makes thousands at once)."""

    date: _Scalar = ""
    campaign_id: _Scalar = ""


_ENVELOPE = msgspec.json.Decoder(_Envelope)
_LOOSE_ENVELOPE = msgspec.json.Decoder(_LooseEnvelope)
_SLIM = msgspec.json.Decoder(_Slim)
_SLIMS = msgspec.json.Decoder(list[_Slim])
_RAWS = msgspec.json.Decoder(list[msgspec.Raw])
_ANY = msgspec.json.Decoder()
_DOCUMENTED = frozenset(Record.__struct_fields__) - {"extra"}
_MAX_DETAIL = 120
_MEMO_DATES = 4096
# Bytes of streamed batches kept whole for their kept records before the oldest is cut down
# to copies of those records: a little memory spares splitting most batches into records.
HELD_BYTES = 4 * 1024 * 1024


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def broken_json(body: bytes | bytearray | memoryview, exc: msgspec.DecodeError) -> BrokenAnswer:
    head = bytes(body[:64]).lstrip()
    if not head:
        return BrokenAnswer("empty body")
    if head.startswith(b"<"):
        return BrokenAnswer("an HTML page instead of JSON")
    return BrokenAnswer(f"not JSON: {str(exc)[:_MAX_DETAIL]}")


def check_status(code: object, error: object, msg: object) -> tuple[str, str]:
    """Raise the mapped error when the body says it failed; else give (code, msg) as text."""
    code_text, error_text, msg_text = as_text(code).strip(), as_text(error).strip(), as_text(msg)
    if error_text or code_text not in ("", "200", "404"):
        raise error_for(None, code_text, error_text, msg_text)
    return code_text, msg_text


def _any(data: bytes | bytearray | memoryview | msgspec.Raw) -> object:
    """Generic decode that fails only as BrokenAnswer. Numbers beyond a float's range (which
    msgspec refuses) fall back to the standard parser, which reads them as infinity."""
    try:
        return _ANY.decode(data)
    except msgspec.ValidationError:
        try:
            return json.loads(bytes(memoryview(data)))
        except (ValueError, RecursionError) as exc:
            raise BrokenAnswer(f"unreadable value: {str(exc)[:_MAX_DETAIL]}") from None
    except msgspec.DecodeError as exc:  # a type error was met before a syntax error
        raise broken_json(memoryview(data), exc) from None


def _slim_slow(raw: msgspec.Raw, index: int) -> tuple[str, str]:
    """An item the slim struct refused: not an object, or a nested value in date/campaign."""
    item = _any(raw)
    if not isinstance(item, dict):
        raise BrokenAnswer(f"record {index} is {_kind(item)}, not an object")
    return as_text(item.get("date")), as_text(item.get("campaign_id"))


def _record(raw: msgspec.Raw) -> Record:
    """A full Record: documented fields as text, every other field kept as text in `extra`."""
    item = _any(raw)
    if not isinstance(item, dict):  # pragma: no cover - the scan already refused these
        raise BrokenAnswer("a record is not an object")
    known: dict[str, str] = {}
    extra: dict[str, str] = {}
    for key, value in item.items():
        (known if key in _DOCUMENTED else extra)[key] = as_text(value)
    return Record(**known, extra=extra)


def _campaign_order(campaign_id: str) -> tuple[int, int, str]:
    return (0, int(campaign_id), campaign_id) if campaign_id.isdecimal() else (1, 0, campaign_id)


def _summary(record: Record, campaign_id: str, count: int) -> CampaignSummary:
    name = " ".join(
        part for part in (record.customer_name.strip(), record.customer_last_name.strip()) if part
    )
    phones = [getattr(record, f"tel{n}") for n in range(1, 11)]
    return CampaignSummary(
        campaign_id=campaign_id,
        customer_name=name,
        customer_id=record.customer_id,
        phone=next((tel for tel in phones if isinstance(tel, str) and tel.strip()), ""),
        last_date=parse_date(record.date),
        last_date_raw=record.date,
        last_result=record.result,
        calls=_calls(record.calls),
        calls_raw=record.calls,
        conn_id=record.conn_id,
        records=count,
    )


def decode_find_record(body: bytes | bytearray | memoryview) -> FindAnswer:
    """Decode a 200 answer's body; raise `BrokenAnswer` / `UpstreamError` when it is not one.

    An error code in the body raises the error `error_for` names (a body `code` of 404 with no
    data is "no records", like an HTTP 404). Summaries are built while scanning: per campaign
    the latest record (dated beats undated; on a tie the later in the answer wins) and its
    count; only the kept records are fully decoded.
    """
    with as_broken_answer(body):
        try:
            envelope = _ENVELOPE.decode(body)
        except msgspec.ValidationError:
            return _decode_loose(body)
        code, msg = check_status(envelope.code, envelope.error, envelope.msg)
        items = envelope.data
        del envelope
        if not items:
            return FindAnswer(total_records=0, campaigns=(), records=(), code=code, msg=msg)
        return _summarise(items, code, msg)


def _decode_loose(body: bytes | bytearray | memoryview) -> FindAnswer:
    """The answer did not fit the fast shape: say why, or find the error code it carries."""
    try:
        envelope = _LOOSE_ENVELOPE.decode(body)
        top: dict[str, object] = {"code": envelope.code, "error": envelope.error}
        top.update(msg=envelope.msg, data=_any(envelope.data))
    except msgspec.ValidationError:  # not an object, or a number out of range in the envelope
        decoded = _any(body)
        if not isinstance(decoded, dict):
            raise BrokenAnswer(f"the answer is {_kind(decoded)}, not an object") from None
        top = decoded
    code, msg = check_status(top.get("code", ""), top.get("error"), top.get("msg", ""))
    data = top.get("data")
    if data is None or (isinstance(data, list | dict | str) and not data):
        return FindAnswer(total_records=0, campaigns=(), records=(), code=code, msg=msg)
    if isinstance(data, list):  # the list itself was fine: a number out of range elsewhere
        raise BrokenAnswer("a value in the answer is out of range")
    raise BrokenAnswer(f"`data` is {_kind(data)}, not a list")


class _Batch:
    """Records that came together, starting at answer index `start`: kept entries point here.

    A whole body's batch is its list of slices. A streamed batch with a kept record holds its
    bytes (`hold`) while they are few; past the budget it is cut down (`cut_to`) to copies of
    the records still kept, which are often none by then (newer records pushed them out), so
    most batches are never split into records at all."""

    __slots__ = ("_body", "_kept", "_raws", "start")

    def __init__(self, start: int, raws: list[msgspec.Raw] | None = None) -> None:
        self.start = start
        self._raws = raws
        self._body: bytes | None = None
        self._kept: dict[int, msgspec.Raw] = {}

    def hold(self, body: bytes | bytearray | memoryview) -> int:
        self._body = bytes(body)
        return len(self._body)

    @property
    def held(self) -> int:
        return 0 if self._body is None else len(self._body)

    def cut_to(self, indices: set[int]) -> None:
        body, self._body = self._body, None
        if indices and body is not None:
            raws = _RAWS.decode(body)
            self._kept = {index: raws[index - self.start].copy() for index in indices}

    def raw(self, index: int) -> msgspec.Raw:
        if self._raws is None and self._body is not None:
            self._raws, self._body = _RAWS.decode(self._body), None
        return self._kept[index] if self._raws is None else self._raws[index - self.start]


class _Latest:
    """One campaign while scanning: its count and its latest record so far."""

    __slots__ = ("batch", "count", "index", "when")

    def __init__(self, when: datetime, index: int, batch: _Batch) -> None:
        self.count = 1
        self.when = when
        self.index = index
        self.batch = batch


_Kept = tuple[datetime, int, _Batch]  # (when, index, where the record is): a heap entry


@contextlib.contextmanager
def as_broken_answer(body: bytes | bytearray | memoryview | None = None) -> Iterator[None]:
    """What decoding can raise besides `BrokenAnswer`, as `BrokenAnswer`; a syntax error is
    described by the `body` it was found in (an HTML page, an empty body) when given."""
    try:
        yield
    except RecursionError:
        raise BrokenAnswer("JSON nested too deeply") from None
    except UnicodeDecodeError:  # msgspec checks UTF-8 only where it reads a string
        raise BrokenAnswer("text that is not UTF-8") from None
    except msgspec.DecodeError as exc:  # malformed (also past a point where the shape was wrong)
        if body is not None:
            raise broken_json(body, exc) from None
        raise BrokenAnswer(f"not JSON: {str(exc)[:_MAX_DETAIL]}") from None


def _summarise(items: list[msgspec.Raw], code: str, msg: str) -> FindAnswer:
    summary = Summary()
    summary.add(items)
    del items
    return summary.answer(code, msg)


class Summary:
    """The per-campaign summaries and the kept records, built as records come (the whole
    body's list at once, or a streamed answer's batches): per campaign its count and latest
    record (dated beats undated; on a tie the later in the answer wins), and the KEPT_RECORDS
    most recent. Records are ranked by their date and campaign alone; only those that end up
    on the answer are fully decoded, when the answer is built."""

    __slots__ = ("_campaigns", "_heap", "_held", "_held_bytes", "_not_iso", "total")

    def __init__(self) -> None:
        self._not_iso: dict[str, datetime] = {}  # "" and placeholders repeat: parse them once
        self._campaigns: dict[str, _Latest] = {}
        self._heap: list[_Kept] = []  # the kept sample, a min-heap
        self._held: deque[_Batch] = deque()  # streamed batches holding their bytes, oldest first
        self._held_bytes = 0
        self.total = 0

    def add(self, items: list[msgspec.Raw]) -> None:
        """The next records of the answer, already split; one that is not a record raises
        `BrokenAnswer`. Kept records stay slices of the buffer `items` came from."""
        batch = _Batch(self.total, items)
        with as_broken_answer():
            slim = _SLIM.decode
            slims: list[_Slim] = []
            for index, raw in enumerate(items, self.total):
                try:
                    slims.append(slim(raw))
                except msgspec.ValidationError:
                    slims.append(_Slim(*_slim_slow(raw, index)))
            self._rank(slims, batch)

    def add_batch(self, body: bytes | bytearray | memoryview) -> None:
        """The next records as one JSON list (a streamed answer's complete records), read in one
        pass for the two ranking fields; the list's bytes are copied only when some record of
        it is kept for now. Raises `msgspec.DecodeError` when `body` is not a JSON list (a
        wrong cut: the caller tries another), `BrokenAnswer` for a record that is not one."""
        try:
            slims = _SLIMS.decode(body)
        except msgspec.ValidationError:  # an odd record: the record-by-record path says why
            self.add([raw.copy() for raw in _RAWS.decode(body)])
            return
        batch = _Batch(self.total)
        with as_broken_answer():
            kept = self._rank(slims, batch)
        if kept:
            self._held.append(batch)
            self._held_bytes += batch.hold(body)
            while self._held_bytes > HELD_BYTES and len(self._held) > 1:
                self._cut(self._held.popleft())

    def answer(self, code: str, msg: str) -> FindAnswer:
        """The summaries and kept records of every record added."""
        with as_broken_answer():
            return self._answer(code, msg)

    # --- internals ---------------------------------------------------------------------------

    def _cut(self, batch: _Batch) -> None:
        """Keep only the records of `batch` that entries still point at."""
        indices = {entry[1] for entry in self._heap if entry[2] is batch}
        indices.update(c.index for c in self._campaigns.values() if c.batch is batch)
        self._held_bytes -= batch.held
        batch.cut_to(indices)

    def _rank(self, slims: list[_Slim], batch: _Batch) -> bool:
        """Count and rank the next records by date and campaign; True when one was kept."""
        keep = KEPT_RECORDS
        iso = datetime.fromisoformat
        not_iso = self._not_iso
        campaigns = self._campaigns
        heap = self._heap
        index = self.total
        kept = False
        for item in slims:
            date, campaign = item.date, item.campaign_id
            if type(date) is not str:
                date = as_text(date)
            if type(campaign) is not str:
                campaign = as_text(campaign)
            when = _NO_DATE
            if date[4:5] == "-":  # looks ISO: the C parser, no exception on the common path
                try:
                    when = iso(date)
                    if when.tzinfo is not None or when.year < _MIN_YEAR:
                        when = parse_date(date) or _NO_DATE
                except ValueError:
                    date_parsed = False
                else:
                    date_parsed = True
            else:
                date_parsed = not date
            if not date_parsed:
                found = not_iso.get(date)
                if found is None:
                    found = _parse_date_slow(date) or _NO_DATE
                    if len(not_iso) < _MEMO_DATES:
                        not_iso[date] = found
                when = found
            campaign = campaign.strip()
            latest = campaigns.get(campaign)
            if latest is None:
                campaigns[campaign] = _Latest(when, index, batch)
                kept = True
            else:
                latest.count += 1
                if when >= latest.when:  # a tie goes to the later record
                    latest.when, latest.index, latest.batch = when, index, batch
                    kept = True
            if len(heap) < keep:
                heapq.heappush(heap, (when, index, batch))
                kept = True
            elif keep and when >= heap[0][0]:  # a tie goes to the later record
                heapq.heapreplace(heap, (when, index, batch))
                kept = True
            index += 1
        self.total = index
        return kept

    def _answer(self, code: str, msg: str) -> FindAnswer:
        decoded: dict[int, Record] = {}

        def record_at(index: int, batch: _Batch) -> Record:
            found = decoded.get(index)
            if found is None:
                found = decoded[index] = _record(batch.raw(index))
            return found

        kept = tuple(
            record_at(i, batch) for _, i, batch in sorted(self._heap, reverse=True, key=_heap_key)
        )
        ordered = sorted(self._campaigns.items(), key=lambda pair: _campaign_order(pair[0]))
        ordered.sort(key=lambda pair: pair[1].when, reverse=True)
        summaries = tuple(
            _summary(record_at(latest.index, latest.batch), campaign, latest.count)
            for campaign, latest in ordered
        )
        return FindAnswer(
            total_records=self.total, campaigns=summaries, records=kept, code=code, msg=msg
        )


def _heap_key(entry: _Kept) -> tuple[datetime, int]:
    return entry[0], entry[1]


# ---------------------------------------------------------------------------------------------
# Export: every record of an answer as CSV rows
# ---------------------------------------------------------------------------------------------

# Every documented field, in Wolkvox's documented order; undocumented fields follow.
EXPORT_COLUMNS: tuple[str, ...] = (
    "customer_name",
    "customer_last_name",
    "customer_id",
    "country",
    "state",
    "city",
    "zone",
    "address",
    *(f"opt{n}" for n in range(1, 13)),
    *(f"tel{n}" for n in range(1, 11)),
    "date",
    "calls",
    "conn_id",
    "result",
    "campaign_id",
)
_PHONE_COLUMNS = frozenset(f"tel{n}" for n in range(1, 11))
_DICT = msgspec.json.Decoder(dict[str, Any])


def write_csv(
    body: bytes | bytearray | memoryview, out: Any, *, mask: Callable[[str], str] | None
) -> int:
    """Write every record of a `find_record` 200 answer to the text stream `out` as CSV (a
    header first: the documented columns, then any extra field Wolkvox sent, in the order it
    first appears). Phones go through `mask` when given. Returns the rows written.

    One record is decoded at a time from its slice of the body, so memory stays the body plus
    one row; raises like `decode_find_record` for an error answer or a broken body."""
    with as_broken_answer(body):
        try:
            envelope = _ENVELOPE.decode(body)
        except msgspec.ValidationError:
            _decode_loose(body)  # raises the right error, or means "no records"
            envelope = _Envelope()
        check_status(envelope.code, envelope.error, envelope.msg)
        items = envelope.data or []
        del envelope
        extras: dict[str, None] = {}
        for raw in items:  # first pass: which undocumented fields exist (header first)
            for key in _DICT.decode(raw):
                if key not in _DOCUMENTED and key not in extras:
                    extras[key] = None
        columns = [*EXPORT_COLUMNS, *extras]
        writer = csv.writer(out)
        writer.writerow([_csv_safe(column) for column in columns])  # extras are Wolkvox's
        for raw in items:
            record = _DICT.decode(raw)
            row = []
            for column in columns:
                value = as_text(record.get(column, ""))
                if mask is not None and column in _PHONE_COLUMNS and value:
                    value = mask(value)
                row.append(_csv_safe(value))
            writer.writerow(row)
        return len(items)


def _csv_safe(value: str) -> str:
    """No spreadsheet formula from Wolkvox's data: a cell starting with = + - @ (or a tab or
    carriage return) is quoted with a leading apostrophe, as OWASP advises for CSV injection."""
    if value and value[0] in "=+-@\t\r" and not _NUMBER_RE.match(value):
        return "'" + value
    return value


_NUMBER_RE = re.compile(r"^[+-]?\d[\d .,]*$")  # "+57 300…", "-3": numbers, not formulas

"""Audit trail: one JSON line per lookup, on stdout (Heroku-style logs) and optionally a file.

Who looked whom up, from where, and what came back, so an auditor can answer "who saw this
customer's data?". The query is masked unless WOLKVOX_AUDIT_PII=full; nothing secret is ever
written.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.errors import LookupFailure
from bot.query import Query

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    time: str
    team: str
    user: str
    channel: str
    surface: str
    query_kind: str
    query: str  # masked unless audit_pii == "full"
    query_full: str | None
    campaign: str
    operation: str  # the keys of the operations that answered (or were asked), comma-joined
    gaps: str  # those that did not: "ec:timeout,pa:still_searching"
    refresh: bool
    outcome: str  # "ok", "no_records" or an error kind
    records: int
    campaigns: int
    cache_hit: bool
    shared: bool
    upstream_ms: float | None
    elapsed_ms: float
    error_id: str | None

    @classmethod
    def for_lookup(
        cls,
        *,
        actor_team: str,
        actor_user: str,
        actor_channel: str,
        surface: str,
        query: Query,
        refresh: bool,
        result: Any,
        error: LookupFailure | None,
        error_id: str | None,
        elapsed_ms: float,
        now: float,
    ) -> AuditRecord:
        records = result.answer.total_records if result is not None else 0
        if error is not None:
            outcome = error.kind
        else:
            outcome = "ok" if records else "no_records"
        return cls(
            time=datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
            team=actor_team,
            user=actor_user,
            channel=actor_channel,
            surface=surface,
            query_kind=query.kind,
            query=query.masked(),
            query_full=query.describe(),
            campaign=query.campaign_id,
            operation=",".join(result.operations) if result is not None else query.operation,
            gaps=",".join(f"{g.key}:{g.kind}" for g in result.gaps) if result is not None else "",
            refresh=refresh,
            outcome=outcome,
            records=records,
            campaigns=len(result.answer.campaigns) if result is not None else 0,
            cache_hit=bool(result is not None and result.from_cache),
            shared=bool(result is not None and result.shared),
            upstream_ms=(
                round(result.upstream_ms, 1)
                if result is not None and not result.from_cache
                else None
            ),
            elapsed_ms=round(elapsed_ms, 1),
            error_id=error_id,
        )


@dataclass(frozen=True, slots=True)
class DialRecord:
    """One press of *Call* (or its refusal): who, which operation and extension, the masked
    phone, how it ended (`dialled`, a refusal's kind, `dial_unknown`, `duplicate`, …) and
    Wolkvox's conn_id."""

    time: str
    team: str
    user: str
    channel: str
    surface: str  # always "dial"
    operation: str
    extension: str
    phone: str  # masked (full with WOLKVOX_AUDIT_PII=full)
    outcome: str
    conn_id: str
    elapsed_ms: float

    @classmethod
    def now(cls, now: float, **fields: Any) -> DialRecord:
        when = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
        return cls(time=when, surface="dial", **fields)


class AuditLog:
    def __init__(
        self, *, path: str = "", pii: str = "masked", stream: TextIO | None = None
    ) -> None:
        self.path = path
        self.pii = pii
        self.stream = stream
        self._lock = threading.Lock()

    def line(self, record: AuditRecord) -> str:
        data = asdict(record)
        if self.pii != "full":
            data.pop("query_full")
        else:
            data["query"] = data.pop("query_full")
        return json.dumps({"audit": "lookup", **data}, ensure_ascii=False, separators=(",", ":"))

    def dial_line(self, record: DialRecord, phone_full: str) -> str:
        data = asdict(record)
        if self.pii == "full":
            data["phone"] = phone_full
        return json.dumps({"audit": "dial", **data}, ensure_ascii=False, separators=(",", ":"))

    def write_dial(self, record: DialRecord, phone_full: str) -> None:
        self._emit(self.dial_line(record, phone_full))

    def write(self, record: AuditRecord) -> None:
        """Never raises: a full disk must not cost an agent their answer (it is logged)."""
        self._emit(self.line(record))

    def _emit(self, text: str) -> None:
        stream = self.stream or sys.stdout
        with self._lock:
            try:
                stream.write(text + "\n")
                stream.flush()
            except (OSError, ValueError):
                pass
            if self.path:
                try:
                    with open_private(self.path) as fh:
                        fh.write(text + "\n")
                except OSError as error:
                    log.error("audit file %s not writable: %s", self.path, error.strerror)


def open_private(path: str) -> TextIO:
    """Append to `path`, creating it readable by this user only (0600): the audit trail names
    who looked whom up. An existing file keeps its mode (the operator chose it)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8")

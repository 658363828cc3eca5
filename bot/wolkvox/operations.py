"""Several Wolkvox operations searched as one (WOLKVOX_OPERATIONS): every operation at once,
each through its own service (its tokens' guard, quota, breaker, cache and coalescing), and one
answer holding every operation's campaigns, each named by its operation. A partial answer is an
answer: operations that could not answer are named in it with the kind of failure, and one
still searching once another has answered and a grace has passed (WOLKVOX_STUCK_AFTER) is named
"still searching" while its lookup goes on to fill its cache; the lookup fails only when none
answers. `query.operation` narrows a search to one (`en ec`); a number typed with another
country's code (+593 …) goes to that country's operations, when the bot has any.

Dates come in each operation's own time zone and are shown as the same moments.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import IO, Any

import msgspec

from bot.errors import LookupFailure, QueryError
from bot.query import Query
from bot.store.base import PositionCallback, notify_position
from bot.wolkvox.lookup import SLOW, Gap, LookupResult, LookupService, LookupStats, ServiceStatus
from bot.wolkvox.phones import country_of
from bot.wolkvox.records import KEPT_RECORDS

CAMPAIGN_OF = ":"  # the picker's value for a campaign of one operation: `<key>:<id>`
DEFAULT_GRACE = 5.0  # seconds, when WOLKVOX_STUCK_AFTER is off
SPOOL_MEMORY = 4 * 1024 * 1024  # an operation's part of an export, in memory up to this


def _answered(task: asyncio.Future[LookupResult]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is None


def _retrieve(task: asyncio.Future[LookupResult]) -> None:
    if not task.cancelled():
        task.exception()  # a late failure is that operation's to log, not an unread error


class Operations:
    """The lookup side for several operations, as the Slack side uses one `LookupService`."""

    def __init__(self, services: Sequence[LookupService]) -> None:
        if not services:
            raise ValueError("at least one operation")
        self.services = tuple(services)
        self.first = self.services[0]
        # How long the card waits for the other operations once one has answered.
        stuck = self.first.settings.stuck_after
        self.grace = stuck if stuck > 0 else DEFAULT_GRACE
        self._behind: set[asyncio.Future[LookupResult]] = set()
        self.client = self.first.client  # /healthz's view of Wolkvox: the first operation's

    @property
    def stats(self) -> LookupStats:
        """Every operation's counts together (as `status()` shows them)."""
        return _summed([s.stats for s in self.services])

    def _chosen(self, query: Query) -> tuple[LookupService, ...]:
        """Every operation, or those `query.operation` names (one key, or several joined by
        commas when a channel or group is pinned to them); of those, a number typed with a
        country's code goes to that country's operations when there are any."""
        chosen = self.services
        if query.operation:
            keys = set(query.operation.split(","))
            chosen = tuple(s for s in self.services if s.operation.key in keys)
            if not chosen:
                known = ", ".join(s.operation.key for s in self.services)
                raise QueryError(
                    f"no operation {query.operation!r}",
                    field="operation",
                    reason="unknown_operation",
                    params={"key": query.operation[:12], "known": known},
                )
        country = country_of(query.phone, self.first.settings.phone_region)
        regional = tuple(s for s in chosen if s.operation.phone_region == country)
        return regional or chosen

    async def lookup(
        self, query: Query, *, refresh: bool = False, on_wait: PositionCallback | None = None
    ) -> LookupResult:
        chosen = self._chosen(query)
        plain = dataclasses.replace(query, operation="")
        tasks: dict[asyncio.Future[LookupResult], LookupService] = {}

        async def told(position: int) -> None:
            # "Wolkvox is slow" is news until some operation has answered; after that the
            # card names the slow one "still searching" itself.
            if position != SLOW or not any(_answered(t) for t in tasks):
                await notify_position(on_wait, position)

        for service in chosen:
            tasks[asyncio.ensure_future(service.lookup(plain, refresh=refresh, on_wait=told))] = (
                service
            )
        pending = set(tasks)
        # Until one operation answers (or all have failed), then a grace for the others: a
        # country whose Wolkvox is slow must not hold the answer of the rest.
        while pending and not any(_answered(t) for t in tasks if t.done()):
            _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=self.grace)
        for task in pending:  # it goes on and fills that operation's cache for the next search
            task.add_done_callback(_retrieve)
            self._behind.add(task)
            task.add_done_callback(self._behind.discard)
        settled = {t: s for t, s in tasks.items() if t not in pending}
        answered, gaps = _sorted_out(settled)
        behind = (tasks[t].operation for t in tasks if t in pending)
        gaps += [Gap(op.key, op.name, "still_searching") for op in behind]
        if not answered:  # every operation failed: the first one's failure
            raise next(error for t in settled if (error := t.exception()) is not None)
        late = None
        if pending:  # the whole answer, once the slow ones are done: a card updates to it
            late = asyncio.ensure_future(_completed(query, tasks))
            late.add_done_callback(_retrieve)
        return _merged(query, answered, tuple(gaps), late=late)

    async def export(
        self, query: Query, out: Any, *, mask: Callable[[str], str] | None = None
    ) -> int:
        """Every record of every chosen operation, in one CSV with an `operation` column first
        (each operation's call through its own guard, at once). All or nothing: a file missing
        a country would look complete, so one operation failing fails the export."""
        chosen = self._chosen(query)
        plain = dataclasses.replace(query, operation="")
        with contextlib.ExitStack() as files:
            parts = [
                files.enter_context(
                    tempfile.SpooledTemporaryFile(SPOOL_MEMORY, "w+", encoding="utf-8", newline="")
                )
                for _ in chosen
            ]
            done = await asyncio.gather(
                *(s.export(plain, part, mask=mask) for s, part in zip(chosen, parts, strict=True)),
                return_exceptions=True,
            )
            for outcome in done:
                if isinstance(outcome, BaseException):
                    raise outcome
            named = [(s.operation.name, part) for s, part in zip(chosen, parts, strict=True)]
            return await asyncio.to_thread(_joined_csv, named, out)

    def campaign_list(self) -> dict[str, str]:
        """Every operation's campaigns for the search modal's picker: `<key>:<id>` → "<operation
        name> · <campaign name>" (campaign ids are each operation's own: 42 may be in two)."""
        listed: dict[str, str] = {}
        for service in self.services:
            op = service.operation
            for cid, name in service.campaign_list().items():
                listed[f"{op.key}{CAMPAIGN_OF}{cid}"] = f"{op.name} · {name}" if name else op.name
        return listed

    async def refresh_campaign_list(self) -> bool:
        """Each operation's list (at most one call an hour each); True when all are at hand."""
        done = await asyncio.gather(
            *(s.refresh_campaign_list() for s in self.services), return_exceptions=True
        )
        return all(d is True for d in done)

    async def statuses(self) -> list[ServiceStatus]:
        """Each operation's status, in the order they are configured."""
        return list(await asyncio.gather(*(s.status() for s in self.services)))

    async def status(self) -> ServiceStatus:
        """All operations as one: summed queues, every token, the worst breaker, the latest
        error (each operation's own is in `statuses()`)."""
        return combined(await self.statuses())

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self.services), return_exceptions=True)

    def searched(self, query: Query) -> list[str]:
        """The keys of the operations `query` goes to."""
        return [s.operation.key for s in self._chosen(query)]

    def service_for(self, key: str) -> LookupService | None:
        """The operation `key` names (None when there is none such)."""
        return next((s for s in self.services if s.operation.key == key), None)


def _sorted_out(
    settled: Mapping[asyncio.Future[LookupResult], LookupService],
) -> tuple[list[tuple[LookupService, LookupResult]], list[Gap]]:
    """Finished operation lookups as answers and gaps (a failure's kind); a bug re-raised."""
    answered: list[tuple[LookupService, LookupResult]] = []
    gaps: list[Gap] = []
    for task, service in settled.items():
        error = task.exception()
        if isinstance(error, LookupFailure):
            gaps.append(Gap(service.operation.key, service.operation.name, error.kind))
        elif error is not None:
            raise error
        else:
            answered.append((service, task.result()))
    return answered, gaps


async def _completed(
    query: Query, tasks: Mapping[asyncio.Future[LookupResult], LookupService]
) -> LookupResult:
    """The answer once every operation has answered or failed (each bounded by its own
    lookup's budget)."""
    await asyncio.wait(tasks)
    answered, gaps = _sorted_out(tasks)
    return _merged(query, answered, tuple(gaps))


def _merged(
    query: Query,
    answered: Sequence[tuple[LookupService, LookupResult]],
    gaps: tuple[Gap, ...],
    *,
    late: asyncio.Future[LookupResult] | None = None,
) -> LookupResult:
    """One answer from several operations' answers: campaigns named by operation (a search
    narrowed to one too: the reader should know which country answered), the most recent first
    across them; the sample of records, each operation's in turn."""
    shown_tz = answered[0][0].settings.tz  # where the card reads naive dates (WOLKVOX_TIMEZONE)
    campaigns = [
        msgspec.structs.replace(
            c,
            operation=service.operation.name,
            last_date=_in_zone(c.last_date, service.operation.tz, shown_tz),
        )
        for service, result in answered
        for c in result.answer.campaigns
    ]
    campaigns.sort(
        key=lambda c: (c.last_date is not None, c.last_date or datetime.min), reverse=True
    )
    first = answered[0][1]
    answer = msgspec.structs.replace(
        first.answer,
        total_records=sum(r.answer.total_records for _, r in answered),
        campaigns=tuple(campaigns),
        records=tuple(rec for _, r in answered for rec in r.answer.records)[:KEPT_RECORDS],
    )
    return LookupResult(
        query=query,
        answer=answer,
        fetched_at=min(r.fetched_at for _, r in answered),
        from_cache=all(r.from_cache for _, r in answered),
        shared=any(r.shared for _, r in answered),
        upstream_ms=max(r.upstream_ms for _, r in answered),
        operations=tuple(service.operation.key for service, _ in answered),
        gaps=gaps,
        empty=tuple(s.operation.name for s, r in answered if not r.answer.total_records)
        if len(answered) > 1
        else (),
        late=late,
    )


Lookups = LookupService | Operations  # what the Slack side searches with

_BREAKER_WORST = ("open", "half-open", "unknown", "closed")


def _summed(stats: Sequence[LookupStats]) -> LookupStats:
    return LookupStats(
        cache_hits=sum(s.cache_hits for s in stats),
        cache_misses=sum(s.cache_misses for s in stats),
        upstream_calls=sum(s.upstream_calls for s in stats),
        shared=sum(s.shared for s in stats),
    )


def combined(statuses: Sequence[ServiceStatus]) -> ServiceStatus:
    """Several operations' statuses as one (they share the store)."""
    first = statuses[0]
    errors = [s for s in statuses if s.wolkvox_last_error_at is not None]
    latest = max(errors, key=lambda s: s.wolkvox_last_error_at or 0.0) if errors else None
    oks = [s.wolkvox_last_ok_at for s in statuses if s.wolkvox_last_ok_at is not None]
    breakers = {s.breaker for s in statuses}
    return ServiceStatus(
        backend=first.backend,
        backend_ok=all(s.backend_ok for s in statuses),
        queue_depth=sum(s.queue_depth for s in statuses),
        in_flight=sum(s.in_flight for s in statuses),
        tokens=[t for s in statuses for t in s.tokens],
        stats=_summed([s.stats for s in statuses]),
        breaker=next((b for b in _BREAKER_WORST if b in breakers), first.breaker),
        wolkvox_last_ok_at=max(oks) if oks else None,
        wolkvox_last_error=latest.wolkvox_last_error if latest else None,
        wolkvox_last_error_at=latest.wolkvox_last_error_at if latest else None,
        store_health=first.store_health,
    )


def _joined_csv(parts: Sequence[tuple[str, IO[str]]], out: IO[str]) -> int:
    """Several operations' CSV exports as one: an `operation` column holding each row's
    operation name, then every column any of them has (the documented ones first, as each
    wrote them). Rows written."""
    headers: list[list[str]] = []
    for _, part in parts:
        part.seek(0)
        headers.append(next(csv.reader(part), []))
    columns = list(dict.fromkeys(column for header in headers for column in header))
    writer = csv.writer(out)
    writer.writerow(["operation", *columns])
    rows = 0
    for (name, part), header in zip(parts, headers, strict=True):
        where = [header.index(c) if c in header else None for c in columns]
        for row in csv.reader(part):  # the header is read already
            writer.writerow([name, *(row[i] if i is not None else "" for i in where)])
            rows += 1
    return rows


def _in_zone(when: datetime | None, source: tzinfo, shown: tzinfo) -> datetime | None:
    """A naive date written in an operation's time zone, as the same moment in the zone the
    card reads dates in (so each reader's own clock shows it right)."""
    if when is None or source == shown:
        return when
    return when.replace(tzinfo=source).astimezone(shown).replace(tzinfo=None)

"""A user's recent lookups, for their home tab: at most 10, at most 24 h, no customer data.

Each entry holds what a shared card would show of the query (masked), when, the outcome in a
word, and the query sealed for *Search again* (only this bot can open it). No name, no id
beyond the masked query. Kept in the store (Redis when `REDIS_URL` is set) under a digest of
the user, so key listings name nobody; the list expires 24 h after its last lookup, and older
entries in it are dropped on read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal

import msgspec

from bot.errors import LookupFailure
from bot.slack.runtime import Actor, Outcome
from bot.slack.sealed import Sealer
from bot.store.base import Store

log = logging.getLogger(__name__)

RECENT_KEEP = 10
RECENT_TTL = 24 * 3600.0

Verdict = Literal["found", "none", "error"]


class RecentLookup(msgspec.Struct, frozen=True):
    masked: str  # phone and id as a shared card shows them: last 4 characters
    at: float  # unix time
    outcome: Verdict
    sealed: str  # the query, sealed for the Search again button
    campaign: str = ""  # the campaign searched in, shown in the reader's language


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(RecentLookup)


def verdict(outcome: Outcome) -> Verdict:
    if outcome.result is None:
        return "error"
    return "found" if outcome.result.answer.campaigns else "none"


class RecentLookups:
    def __init__(
        self,
        store: Store[Any],
        sealer: Sealer,
        digest: Callable[[str, str], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.digest = digest
        self.clock = clock

    def key(self, actor: Actor) -> str:
        """The user's list, under a keyed digest (Settings.digest): a key names nobody."""
        return "home:" + self.digest("home", f"{actor.team_id}:{actor.user_id}")

    async def record(self, actor: Actor, outcomes: Sequence[Outcome]) -> bool:
        """Remember these lookups for `actor`; False when there was nothing to remember (no
        user, as for a workflow step without one) or the store is down (logged)."""
        if not actor.user_id:
            return False
        now = self.clock()
        entries = []
        for outcome in outcomes:
            query = outcome.query or (outcome.result.query if outcome.result else None)
            if query is None:
                continue
            entries.append(
                RecentLookup(
                    masked=replace(query, campaign_id="").masked(),
                    campaign=query.campaign_id,
                    at=now,
                    outcome=verdict(outcome),
                    # A lookup whose card hid phones and ids (a shared card's Refresh) comes
                    # back the same way from Search again.
                    sealed=self.sealer.seal(query, concealed=outcome.disclosure.conceal),
                )
            )
        if not entries:
            return False
        try:
            for entry in entries:
                await self.store.recent_push(
                    self.key(actor), _ENCODER.encode(entry), RECENT_KEEP, RECENT_TTL
                )
        except LookupFailure as error:
            log.warning("recent lookups not saved: %s", error.kind)
            return False
        return True

    async def list(self, actor: Actor) -> list[RecentLookup]:
        """Newest first, none older than 24 h; [] when the store is down (logged)."""
        try:
            raw = await self.store.recent_list(self.key(actor))
        except LookupFailure as error:
            log.warning("recent lookups unavailable: %s", error.kind)
            return []
        oldest = self.clock() - RECENT_TTL
        out = []
        for item in raw:
            try:
                entry = _DECODER.decode(item)
            except msgspec.DecodeError:
                continue  # written by another version: skip, never fail the home tab
            if entry.at >= oldest:
                out.append(entry)
        return out[:RECENT_KEEP]

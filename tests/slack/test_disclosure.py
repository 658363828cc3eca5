"""The one disclosure rule, as a table: who reads the answer x what the origin allowed x the mask
mode → what the answer may show. Every surface goes through `decide` (the flow's `disclosure`)."""

from __future__ import annotations

import pytest

from bot.query import Query
from bot.slack.disclosure import HIDE_ALL, Audience, decide
from bot.slack.recent import RecentLookups
from bot.slack.runtime import Actor, Outcome
from bot.slack.sealed import Sealer
from bot.store.memory import MemoryStore

A, C, W = Audience.ASKER, Audience.CONVERSATION, Audience.WORKFLOW

# mode, audience, origin concealed, shared → conceal, mask phones, full detail (export, dial)
TABLE = [
    ("shared", A, False, False, False, False, True),
    ("shared", A, True, False, True, True, False),  # a button from a channel's card
    ("shared", C, False, False, True, True, False),  # a mention's card in the channel
    ("shared", C, False, True, True, True, False),  # Share
    ("shared", W, False, False, True, True, False),  # a workflow's outputs
    ("always", A, False, False, False, True, True),
    ("always", C, False, False, True, True, False),
    ("never", A, False, False, False, False, True),
    ("never", C, False, False, False, False, False),  # read by others: never full detail
    ("never", C, False, True, True, True, False),  # a shared card still hides
    ("never", A, True, False, True, True, False),  # the origin's bit is never lowered
    ("never", W, False, False, False, False, False),
]


@pytest.mark.parametrize(("mode", "audience", "origin", "shared", "conceal", "mask", "full"), TABLE)
def test_the_rule(
    mode: str,
    audience: Audience,
    origin: bool,
    shared: bool,
    conceal: bool,
    mask: bool,
    full: bool,
) -> None:
    seen = decide(mode, audience, origin_concealed=origin, shared=shared)  # type: ignore[arg-type]
    assert (seen.conceal, seen.mask_phones, seen.full_detail) == (conceal, mask, full)


def test_an_outcome_nobody_decided_hides_everything() -> None:
    assert Outcome().disclosure == HIDE_ALL
    assert HIDE_ALL.conceal and HIDE_ALL.mask_phones and not HIDE_ALL.full_detail


async def test_search_again_keeps_what_the_lookup_hid() -> None:
    """A Refresh on a shared card, remembered on the Home tab, comes back concealed."""
    sealer = Sealer("secret")
    recent = RecentLookups(MemoryStore(), sealer, lambda purpose, value: value)
    actor = Actor("T1", "U1", "C1", "refresh")
    hidden = Outcome(query=Query(phone="3001234567"), disclosure=decide("shared", C))
    shown = Outcome(query=Query(phone="3009999999"), disclosure=decide("shared", A))
    assert await recent.record(actor, [hidden, shown])
    entries = await recent.list(actor)
    opened = {e.masked: sealer.open(e.sealed) for e in entries}
    assert {k: v.concealed for k, v in opened.items() if v} == {
        Query(phone="3001234567").masked(): True,
        Query(phone="3009999999").masked(): False,
    }

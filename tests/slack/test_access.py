"""AccessControl: allowed users, user groups (resolved through a fake Slack web client, cached,
failing closed), channels (DMs answered privately always fine), and the per-user rate limit."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest

from bot.config import Settings
from bot.errors import StoreUnavailable
from bot.slack import access as access_module
from bot.slack.access import (
    GROUP_MEMBERS_RETRY,
    GROUP_MEMBERS_STALE_LIMIT,
    GROUP_MEMBERS_TTL,
    RATE_WINDOW,
    AccessControl,
    Denial,
)
from bot.store.memory import MemoryStore
from tests.doubles import StubWebClient

ALICE, BOB, CAROL = "U0ALICE01", "U0BOB0002", "U0CAROL03"
AGENTS, LEADS = "S0AGENTS1", "S0LEADS02"
SUPPORT, SALES, DM = "C0SUPPORT", "C0SALES00", "D0ALICEDM"


HOME = ("T0WOLKVOX",)  # the installing team (auth.test), as a payload names the user's


class Clock:
    def __init__(self) -> None:
        self.now = 5_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeWeb(StubWebClient):
    """slack_sdk's own client, its usergroups.users.list and users.info answered here.

    `groups`: each group's members; `fail_groups` makes the group reads fail, `users_down`
    the users.info ones; `teams`: users of another company (everyone else is the installing team's).
    """

    def __init__(self, groups: dict[str, Iterable[str]]) -> None:
        super().__init__()
        self.groups = {g: list(users) for g, users in groups.items()}
        self.teams: dict[str, str] = {}
        self.users_down = False
        self.answers["usergroups.users.list"] = self._members
        self.answers["users.info"] = self._user

    def _user(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.users_down:
            raise ConnectionError("slack is down")
        user = str(args.get("user"))
        return {"user": {"id": user, "team_id": self.teams.get(user, "T0WOLKVOX")}}

    def fail_groups(self, failing: bool) -> None:
        if failing:
            self.fail.add("usergroups.users.list")
        else:
            self.fail.discard("usergroups.users.list")

    def _members(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args.get("usergroup"))
        if group not in self.groups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"users": self.groups[group]}

    @property
    def group_reads(self) -> Counter[str]:
        return Counter(
            str(args.get("usergroup")) for m, args in self.calls if m == "usergroups.users.list"
        )

    @property
    def user_reads(self) -> int:
        return len(self.named("users.info"))


def settings(
    users: Iterable[str] = (),
    groups: Iterable[str] = (),
    channels: Iterable[str] = (),
    rate: int = 20,
) -> Settings:
    return Settings(
        allowed_users=frozenset(users),
        allowed_usergroups=frozenset(groups),
        allowed_channels=frozenset(channels),
        user_rate=rate,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def web() -> FakeWeb:
    return FakeWeb({AGENTS: [ALICE], LEADS: [BOB]})


def control(
    s: Settings, web: FakeWeb, clock: Clock, store: MemoryStore | None = None
) -> AccessControl:
    return AccessControl(s, web, store or MemoryStore(clock=clock), clock=clock)


# --- users ---------------------------------------------------------------------------------


async def test_unset_means_the_whole_workspace(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(), web, clock)
    assert not ac.restricted
    assert await ac.check(CAROL, SALES, visible=True, orgs=HOME) is None
    assert await ac.user_allowed("U0ANYBODY")
    assert web.group_reads.total() == 0


async def test_allowed_users(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(users=[ALICE]), web, clock)
    assert ac.restricted
    assert await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME) is None
    assert await ac.check(BOB, SUPPORT, visible=True, orgs=HOME) == Denial("user")
    assert await ac.check(BOB, DM, visible=False, orgs=HOME) == Denial(
        "user"
    )  # everywhere, DMs too
    assert web.group_reads.total() == 0


# --- user groups -----------------------------------------------------------------------------


async def test_usergroup_members_are_allowed(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(groups=[AGENTS, LEADS]), web, clock)
    assert await ac.user_allowed(ALICE)
    assert await ac.user_allowed(BOB)
    assert not await ac.user_allowed(CAROL)
    assert await ac.check(CAROL, SUPPORT, visible=True, orgs=HOME) == Denial("user")


async def test_a_listed_user_needs_no_group_lookup(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(users=[CAROL], groups=[AGENTS]), web, clock)
    assert await ac.user_allowed(CAROL)
    assert web.group_reads.total() == 0
    assert await ac.user_allowed(ALICE)
    assert web.group_reads[AGENTS] == 1


async def test_members_are_cached_for_a_few_minutes(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(groups=[AGENTS]), web, clock)
    for user in (ALICE, BOB, ALICE, CAROL):
        await ac.user_allowed(user)
    assert web.group_reads[AGENTS] == 1
    web.groups[AGENTS].append(CAROL)
    clock.advance(GROUP_MEMBERS_TTL - 1)
    assert not await ac.user_allowed(CAROL)  # still the cached list
    clock.advance(2)
    assert await ac.user_allowed(CAROL)  # refreshed
    assert web.group_reads[AGENTS] == 2


async def test_concurrent_checks_share_one_group_call(web: FakeWeb, clock: Clock) -> None:
    web.delay = 0.02
    ac = control(settings(groups=[AGENTS]), web, clock)
    allowed = await asyncio.gather(*(ac.user_allowed(u) for u in [ALICE, BOB, CAROL] * 5))
    assert allowed == [True, False, False] * 5
    assert web.group_reads[AGENTS] == 1


async def test_group_lookup_failure_fails_closed(web: FakeWeb, clock: Clock) -> None:
    web.fail_groups(True)
    ac = control(settings(groups=[AGENTS]), web, clock)
    assert not await ac.user_allowed(ALICE)
    assert await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME) == Denial("user")
    web.fail_groups(False)
    # A failed read is not retried by every waiter in turn: for a few seconds the answer
    # stays "no", then the next check asks Slack again.
    assert not await ac.user_allowed(ALICE)
    assert web.group_reads[AGENTS] == 1
    clock.advance(GROUP_MEMBERS_RETRY + 1)
    assert await ac.user_allowed(ALICE)
    assert web.group_reads[AGENTS] == 2


async def test_the_last_list_holds_only_for_a_bound_then_fails_closed(
    web: FakeWeb, clock: Clock
) -> None:
    """A member removed from the group keeps access while Slack's API fails, but only for
    GROUP_MEMBERS_STALE_LIMIT after the last good read."""
    ac = control(settings(groups=[AGENTS]), web, clock)
    assert await ac.user_allowed(ALICE)
    web.fail_groups(True)
    clock.advance(GROUP_MEMBERS_STALE_LIMIT - 60)
    assert await ac.user_allowed(ALICE)
    clock.advance(120)
    assert not await ac.user_allowed(ALICE)


async def test_many_checks_during_a_slack_hang_share_one_read(web: FakeWeb, clock: Clock) -> None:
    web.delay = 0.2
    ac = control(settings(groups=[AGENTS]), web, clock)
    results = await asyncio.gather(*(ac.user_allowed(ALICE) for _ in range(30)))
    assert all(results) and web.group_reads[AGENTS] == 1


async def test_group_lookup_failure_keeps_the_last_known_list(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(groups=[AGENTS]), web, clock)
    assert await ac.user_allowed(ALICE)
    web.fail_groups(True)
    clock.advance(GROUP_MEMBERS_TTL + 1)
    assert await ac.user_allowed(ALICE)
    assert not await ac.user_allowed(CAROL)
    assert web.group_reads[AGENTS] >= 2


async def test_slow_group_lookup_times_out_closed(
    web: FakeWeb, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access_module, "GROUP_MEMBERS_TIMEOUT", 0.02)
    web.delay = 5
    ac = control(settings(groups=[AGENTS]), web, clock)
    async with asyncio.timeout(3):
        assert not await ac.user_allowed(ALICE)


async def test_unknown_group_or_error_answer_allows_nobody(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(groups=["S0GONE000"]), web, clock)
    assert not await ac.user_allowed(ALICE)


# --- channels ---------------------------------------------------------------------------------


async def test_allowed_channels(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(channels=[SUPPORT]), web, clock)
    assert await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME) is None
    assert await ac.check(ALICE, SALES, visible=True, orgs=HOME) == Denial("channel")
    assert await ac.check(ALICE, SALES, visible=False, orgs=HOME) == Denial(
        "channel"
    )  # still that channel


async def test_dm_rule(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(channels=[SUPPORT]), web, clock)
    assert ac.channel_allowed(DM, visible=False)  # the user's own conversation, answered privately
    assert not ac.channel_allowed(DM, visible=True)  # something posted where others may see it
    assert ac.channel_allowed(None, visible=True)  # no conversation (e.g. the search modal)
    # A payload that lacked its channel where one belongs is refused, not waved through.
    assert not ac.channel_allowed("", visible=True)
    assert not ac.channel_allowed("", visible=False)
    assert control(settings(channels=[DM]), web, clock).channel_allowed(DM, visible=True)


async def test_channels_unset_means_everywhere(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(), web, clock)
    for channel in (SUPPORT, SALES, DM, "G0PRIVATE"):
        assert ac.channel_allowed(channel, visible=True)


async def test_user_rule_is_checked_before_the_channel(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(users=[ALICE], channels=[SUPPORT]), web, clock)
    assert await ac.check(BOB, SALES, visible=True, orgs=HOME) == Denial("user")
    assert await ac.check(ALICE, SALES, visible=True, orgs=HOME) == Denial("channel")


# --- rate limit -------------------------------------------------------------------------------


async def test_rate_limit_per_user(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(rate=3), web, clock)
    for _ in range(3):
        assert await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME) is None
    denial = await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME)
    assert denial is not None and denial.reason == "rate"
    assert 0 < denial.retry_after <= RATE_WINDOW
    assert (
        await ac.check(BOB, SUPPORT, visible=True, orgs=HOME) is None
    )  # someone else is not limited
    clock.advance(RATE_WINDOW)
    assert await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME) is None


async def test_rate_retry_after_counts_down(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(rate=2), web, clock)
    await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME)
    clock.advance(10)
    await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME)
    clock.advance(5)
    denial = await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME)
    assert denial == Denial("rate", retry_after=pytest.approx(RATE_WINDOW - 15))


async def test_checks_that_do_not_count(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(rate=1), web, clock)
    for _ in range(5):
        assert await ac.check(ALICE, SUPPORT, visible=True, count=False, orgs=HOME) is None
    assert await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME) is None
    denial = await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME)
    assert denial is not None and denial.reason == "rate"
    # Opening the modal is still allowed when over the rate; only lookups are counted.
    assert await ac.check(ALICE, SUPPORT, visible=True, count=False, orgs=HOME) is None


async def test_denied_attempts_do_not_use_up_the_rate(web: FakeWeb, clock: Clock) -> None:
    store = MemoryStore(clock=clock)
    ac = control(settings(users=[ALICE], channels=[SUPPORT], rate=2), web, clock, store)
    for _ in range(5):
        await ac.check(ALICE, SALES, visible=True, orgs=HOME)  # wrong channel
    assert await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME) is None
    assert await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME) is None


async def test_rate_is_shared_through_the_store(web: FakeWeb, clock: Clock) -> None:
    """Two instances (two processes on Redis) count the same user together."""
    store = MemoryStore(clock=clock)
    one = control(settings(rate=2), web, clock, store)
    two = control(settings(rate=2), web, clock, store)
    assert await one.check(ALICE, SUPPORT, visible=True, orgs=HOME) is None
    assert await two.check(ALICE, SUPPORT, visible=True, orgs=HOME) is None
    denial = await one.check(ALICE, SUPPORT, visible=True, orgs=HOME)
    assert denial is not None and denial.reason == "rate"


class LostStore(MemoryStore):
    async def rate_hit(self, key: str, limit: int, window: float) -> float:
        raise StoreUnavailable("redis is gone")


async def test_rate_unchecked_when_the_store_is_lost(web: FakeWeb, clock: Clock) -> None:
    """The lookup itself then fails with the clear "store unavailable" answer; not this check."""
    ac = control(settings(users=[ALICE], rate=1), web, clock, LostStore(clock=clock))
    assert await ac.check(ALICE, SUPPORT, visible=True, orgs=HOME) is None
    assert await ac.check(BOB, SUPPORT, visible=True, orgs=HOME) == Denial(
        "user"
    )  # access still enforced


# --- organisations --------------------------------------------------------------------------


async def test_a_user_named_by_id_only_is_checked_by_their_team(web: FakeWeb, clock: Clock) -> None:
    """A workflow's `requested_by` names no team: users.info tells, once an hour."""
    web.teams[BOB] = "T0OTHERCO"
    ac = control(settings(), web, clock)
    assert await ac.check(ALICE, None, visible=False, orgs=None) is None
    assert await ac.check(BOB, None, visible=False, orgs=None) == Denial("org")
    assert await ac.check(ALICE, None, visible=False, orgs=None) is None
    assert web.user_reads == 2


async def test_when_users_info_fails_a_user_named_by_id_is_refused(
    web: FakeWeb, clock: Clock
) -> None:
    web.users_down = True
    ac = control(settings(), web, clock)
    assert await ac.check(ALICE, None, visible=False, orgs=None) == Denial("org")


async def test_a_payloads_organisation_needs_no_users_info(web: FakeWeb, clock: Clock) -> None:
    ac = control(settings(), web, clock)
    assert await ac.check(ALICE, None, visible=False, orgs=("T0WOLKVOX",)) is None
    assert await ac.check(ALICE, None, visible=False, orgs=("T0OTHERCO",)) == Denial("org")
    assert web.user_reads == 0

"""Who may look customers up, and where; and how often.

Users are allowed by id (WOLKVOX_ALLOWED_USERS) or by membership of a user group
(WOLKVOX_ALLOWED_USERGROUPS, resolved with usergroups.users.list and cached a few minutes).
Channel-visible surfaces are limited to WOLKVOX_ALLOWED_CHANNELS. Unset means everyone /
everywhere. The per-user rate limit (WOLKVOX_USER_RATE a minute) lives in the shared store.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.errors import StoreUnavailable
from bot.slack.single_flight import SingleFlightCache
from bot.store.base import Store

log = logging.getLogger(__name__)

GROUP_MEMBERS_TTL = 300.0
GROUP_MEMBERS_TIMEOUT = 2.0  # one read of usergroups.users.list, shared by every waiter
GROUP_MEMBERS_RETRY = 10.0  # after a failed read, no new read for this long
# While Slack's API fails, the last list read stays in force this long, then the group counts as
# empty (fail closed): a member removed from the group keeps access for at most this long.
GROUP_MEMBERS_STALE_LIMIT = 1800.0
RATE_WINDOW = 60.0
HOME_ORGS_TTL = 3600.0  # the installing team and enterprise (auth.test) change only on reinstall
HOME_ORGS_STALE_LIMIT = 86_400.0

Reason = Literal["user", "channel", "rate", "nobody", "org"]


@dataclass(frozen=True, slots=True)
class Denial:
    reason: Reason
    retry_after: float = 0.0


class AccessControl:
    def __init__(
        self,
        settings: Settings,
        web: AsyncWebClient,
        store: Store[Any],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.web = web
        self.store = store
        self.clock = clock
        self._members: SingleFlightCache[str, frozenset[str]] = SingleFlightCache(
            ttl=GROUP_MEMBERS_TTL, maxsize=1000, clock=clock, retry_after=GROUP_MEMBERS_RETRY
        )
        self._home: SingleFlightCache[str, frozenset[str]] = SingleFlightCache(
            ttl=HOME_ORGS_TTL, maxsize=1, clock=clock, retry_after=GROUP_MEMBERS_RETRY
        )
        self._user_orgs: SingleFlightCache[str, tuple[str, ...]] = SingleFlightCache(
            ttl=HOME_ORGS_TTL, maxsize=5000, clock=clock, retry_after=GROUP_MEMBERS_RETRY
        )

    @property
    def restricted(self) -> bool:
        return bool(self.settings.allowed_users or self.settings.allowed_usergroups)

    @property
    def any_allow_list(self) -> bool:
        """Some allow-list is set (users, groups, channels or teams): then every request must
        name a person those rules can check, and nobody in particular is never enough."""
        s = self.settings
        return bool(
            s.allowed_users or s.allowed_usergroups or s.allowed_channels or s.allowed_teams
        )

    async def in_groups(self, user_id: str, groups: frozenset[str]) -> bool:
        """Is the user a member of any of `groups` (read as for the allow-list, cached)?"""
        for group in sorted(groups):
            if user_id in await self._group_members(group):
                return True
        return False

    async def user_allowed(self, user_id: str) -> bool:
        if not self.restricted:
            return True
        if user_id in self.settings.allowed_users:
            return True
        return await self.in_groups(user_id, self.settings.allowed_usergroups)

    def channel_allowed(self, channel_id: str | None, *, visible: bool) -> bool:
        """Channel rule (WOLKVOX_ALLOWED_CHANNELS): applies wherever an answer lands in a
        conversation. `None` means there is none (the search modal, a private card's button):
        the answer is the user's alone, like a DM answered privately, so it is allowed. An
        empty id where a conversation should be named is refused, never waved through."""
        allowed = self.settings.allowed_channels
        if not allowed or channel_id is None:
            return True
        if not channel_id:
            return False
        if not visible and channel_id.startswith("D"):
            return True
        return channel_id in allowed

    async def org_allowed(self, orgs: tuple[str, ...]) -> bool:
        """Is the user of the installing team or enterprise (auth.test), or of a team listed in
        WOLKVOX_ALLOWED_TEAMS? In a Slack Connect channel another company's members are not."""
        allowed = self.settings.allowed_teams | await self.home_orgs()
        return any(org in allowed for org in orgs)

    async def home_orgs(self) -> frozenset[str]:
        """The installing team and enterprise ids, from auth.test: read once an hour; while
        Slack fails, the last answer for a day, then none (fail closed)."""
        try:
            return await self._home.get("home", self._read_home)
        except Exception as error:
            log.warning("auth.test failed (%s)", type(error).__name__)
            return self._home.stale("home", HOME_ORGS_STALE_LIMIT) or frozenset()

    async def orgs_of(self, user_id: str) -> tuple[str, ...]:
        """A user's team and enterprise as users.info tells them, for a request whose payload
        names only a user id (a workflow step's `requested_by`, a form filled in a channel
        shared with another company). Read once an hour; while Slack fails, the last answer for
        a day, then none (fail closed)."""
        try:
            return await self._user_orgs.get(user_id, lambda: self._read_user_orgs(user_id))
        except Exception as error:
            log.warning("users.info failed for the user's team (%s)", type(error).__name__)
            return self._user_orgs.stale(user_id, HOME_ORGS_STALE_LIMIT) or ()

    async def _read_user_orgs(self, user_id: str) -> tuple[str, ...]:
        resp = await asyncio.wait_for(
            self.web.users_info(user=user_id), timeout=GROUP_MEMBERS_TIMEOUT
        )
        user = resp.get("user") or {}
        grid = user.get("enterprise_user") or {}
        ids = (user.get("team_id"), grid.get("enterprise_id") if isinstance(grid, dict) else None)
        return tuple(str(i) for i in ids if i)

    async def _read_home(self) -> frozenset[str]:
        resp = await asyncio.wait_for(self.web.auth_test(), timeout=GROUP_MEMBERS_TIMEOUT)
        ids = (resp.get("team_id"), resp.get("enterprise_id"))
        return frozenset(str(i) for i in ids if i)

    async def check(
        self,
        user_id: str,
        channel_id: str | None,
        *,
        visible: bool,
        count: bool = True,
        orgs: tuple[str, ...] | None,
    ) -> Denial | None:
        """None when this user may run one lookup here now; else why not.

        `count` False checks access only (e.g. opening the search modal costs no lookup).
        `orgs`: the user's organisation as their payload names it (see `org_allowed`); None
        when the payload names only the user, whose organisation users.info then tells.
        """
        if orgs is None:
            orgs = await self.orgs_of(user_id)
        if not await self.org_allowed(orgs):
            return Denial("org")
        if not await self.user_allowed(user_id):
            return Denial("user")
        if not self.channel_allowed(channel_id, visible=visible):
            return Denial("channel")
        return await self.rate(user_id) if count else None

    async def rate(self, bucket: str) -> Denial | None:
        """Count one lookup against `bucket` (a user id, or `workflow:<team>` for a workflow
        step run by nobody in particular): WOLKVOX_USER_RATE a minute."""
        try:
            key = f"rate:{self.settings.digest('rate', bucket, 24)}"  # no user id in clear
            wait = await self.store.rate_hit(key, self.settings.user_rate, RATE_WINDOW)
        except StoreUnavailable:
            # The lookup needs the store too (cache, guard) and fails with the clear "store
            # unavailable" card, never reaching Wolkvox; failing here would be a vague bug card.
            log.warning("rate limit not checked: the shared store is unavailable")
            return None
        return Denial("rate", retry_after=wait) if wait > 0 else None

    async def _group_members(self, group_id: str) -> frozenset[str]:
        """The group's members, read at most every few minutes, one read at a time."""
        try:
            return await self._members.get(group_id, lambda: self._read_members(group_id))
        except Exception as error:
            # Fail closed, but keep serving from the last list read if it is recent enough.
            log.warning("usergroups.users.list %s failed (%s)", group_id, type(error).__name__)
            return self._members.stale(group_id, GROUP_MEMBERS_STALE_LIMIT) or frozenset()

    async def _read_members(self, group_id: str) -> frozenset[str]:
        resp = await asyncio.wait_for(
            self.web.usergroups_users_list(usergroup=group_id), timeout=GROUP_MEMBERS_TIMEOUT
        )
        return frozenset(str(u) for u in (resp.get("users") or []))

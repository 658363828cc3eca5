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

Reason = Literal["user", "channel", "rate"]


@dataclass(frozen=True, slots=True)
class Denial:
    reason: Reason
    retry_after: float = 0.0


class AccessControl:
    def __init__(
        self,
        settings: Settings,
        web: Any,
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

    @property
    def restricted(self) -> bool:
        return bool(self.settings.allowed_users or self.settings.allowed_usergroups)

    async def user_allowed(self, user_id: str) -> bool:
        if not self.restricted:
            return True
        if user_id in self.settings.allowed_users:
            return True
        for group in sorted(self.settings.allowed_usergroups):
            if user_id in await self._group_members(group):
                return True
        return False

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

    async def check(
        self, user_id: str, channel_id: str | None, *, visible: bool, count: bool = True
    ) -> Denial | None:
        """None when this user may run one lookup here now; else why not.

        `count` False checks access only (e.g. opening the search modal costs no lookup).
        """
        if not await self.user_allowed(user_id):
            return Denial("user")
        if not self.channel_allowed(channel_id, visible=visible):
            return Denial("channel")
        return await self.rate(user_id) if count else None

    async def rate(self, bucket: str) -> Denial | None:
        """Count one lookup against `bucket` (a user id, or `workflow:<team>` for a workflow
        step run by nobody in particular): WOLKVOX_USER_RATE a minute."""
        try:
            wait = await self.store.rate_hit(f"rate:{bucket}", self.settings.user_rate, RATE_WINDOW)
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

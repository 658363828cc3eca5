"""The home tab of each user: published when they open it, and again when one of their own
lookups finishes (not on a timer), so the recent list is current the next time they look."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.errors import LookupFailure
from bot.slack import cards
from bot.slack.cards.home import render_home
from bot.slack.delivery import call_web_safely
from bot.slack.recent import RECENT_TTL, RecentLookups
from bot.slack.runtime import Actor, Outcome, SlackRuntime

log = logging.getLogger(__name__)


class HomeTab:
    def __init__(
        self,
        rt: SlackRuntime,
        status_card: Callable[[str], Awaitable[cards.Card]],
        may_search: Callable[[Actor], Awaitable[bool]],
        extensions: Callable[[Actor], Awaitable[list[tuple[str, str, str]]]] | None = None,
    ) -> None:
        self.rt = rt
        self.status_card = status_card
        self.may_search = may_search
        self.extensions = extensions  # (operation name, extension or "", how it is known)
        self.recent = RecentLookups(rt.store, rt.sealer, rt.settings.digest, rt.clock)

    async def opened(self, actor: Actor) -> None:
        """The user opened the tab: remember they use it (so lookups republish it), publish."""
        try:
            await self.rt.store.value_set(self._seen_key(actor), "1", RECENT_TTL)
        except LookupFailure as error:
            log.info("home tab use not remembered: %s", error.kind)
        await self.publish(actor)

    async def publish(self, actor: Actor) -> None:
        rt = self.rt
        lang = await rt.lang_for(actor)
        allowed = await self.may_search(actor)
        if allowed:
            recent = await self.recent.list(actor)
            status = await self.status_card(lang)
            mine = await self.extensions(actor) if self.extensions is not None else []
            view = render_home(
                lang,
                allowed=True,
                recent=recent,
                status=status,
                now=rt.clock(),
                extensions=mine,
                self_link=rt.settings.agent_self_link,
            )
        else:
            view = render_home(lang, allowed=False, now=rt.clock())
        await call_web_safely(rt.web, "views_publish", user_id=actor.user_id, view=view)

    async def lookups_done(self, actor: Actor, outcomes: Sequence[Outcome]) -> None:
        """Remember the user's lookups; republish their tab if they have ever opened it."""
        if not await self.recent.record(actor, outcomes):
            return
        try:
            seen = await self.rt.store.value_get(self._seen_key(actor))
        except LookupFailure:
            return
        if seen:
            await self.publish(actor)

    def _seen_key(self, actor: Actor) -> str:
        return self.recent.key(actor) + ":seen"

"""Lookups a stopping instance passes to the others (with Redis), so no agent waits in vain.

When the shutdown grace runs out, each lookup still waiting is written to the shared store as a
sealed `Handover` (authenticated and dated with the app's own key, bot.slack.sealed): who asked,
what, what the answer may show, and where it goes (a `Route`: the response_url, the thread
message to update, or the modal). Another instance opens it (a forged or stale item is dropped),
runs the gate again (access only: the search was counted where it started), the lookup, and
delivers the card there; a response_url only on Slack's hosts (bot.slack.delivery). A
response_url stays valid for 30 minutes, so a hand-over lives 25 at most. Without Redis, or
when the hand-over fails, the agent is told the bot restarted (see SlackRuntime.drain).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import msgspec
from slack_sdk.web.async_client import AsyncWebClient

from bot.query import Query
from bot.slack import cards
from bot.slack.delivery import HookClient, ResponseUrl, call_web_safely, message, respond_safely
from bot.slack.disclosure import Disclosure
from bot.slack.replies import CardStyle, Route, apology_card, searching_card
from bot.slack.runtime import HANDOVER_TTL, Actor, Outcome, Surface


class Handover(msgspec.Struct, frozen=True):
    team_id: str
    user_id: str
    channel_id: str
    surface: Surface
    lang: str
    phone: str
    customer_id: str
    campaign_id: str
    refresh: bool
    route: Route
    visible: bool = False
    max_blocks: int = 50
    actions: bool = True
    shared_by: str | None = None
    audience_lang: str | None = None
    conceal: bool = False
    handed_at: float = 0.0
    orgs: tuple[str, ...] | None = ()
    visible_ask: bool = False  # the channel rule's view of the original request
    ask_channel: str | None = ""  # None: the answer was the user's alone (a modal)
    operation: str = ""  # the operations a search was narrowed to (`en ec`, a channel's pins)

    @property
    def actor(self) -> Actor:
        return Actor(self.team_id, self.user_id, self.channel_id, self.surface, orgs=self.orgs)

    @property
    def query(self) -> Query:
        return Query(
            phone=self.phone,
            customer_id=self.customer_id,
            campaign_id=self.campaign_id,
            operation=self.operation,
        )


encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(Handover).decode


def decode(data: bytes) -> Handover | None:
    """A hand-over as written, or None for bytes this version cannot read."""
    try:
        return _decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def still_deliverable(handover: Handover, now: float | None = None) -> bool:
    return (now if now is not None else time.time()) - handover.handed_at < HANDOVER_TTL


class RoutedReply:
    """A `Reply` that answers along a `Route`, on whichever instance took the hand-over."""

    def __init__(self, web: AsyncWebClient, hooks: HookClient, handover: Handover) -> None:
        self.web = web
        self.hooks = hooks
        self.route = handover.route
        self.lang = handover.lang
        self.style = CardStyle(
            visible=handover.visible,
            max_blocks=handover.max_blocks,
            actions=handover.actions,
            shared_by=handover.shared_by,
            audience_lang=handover.audience_lang,
            follow_positions=handover.route.kind != "response_url",
            wait_for_locale=False,  # the hand-over carries the language already settled
        )

    async def _deliver(self, card: cards.Card, *, private: bool = False) -> None:
        route = self.route
        if route.kind == "response_url":
            response_type = "ephemeral" if private else route.response_type
            await respond_safely(
                ResponseUrl(route.url, self.hooks),
                **message(
                    card,
                    response_type=response_type,
                    replace_original=route.replace_original and not private,
                ),
            )
        elif route.kind == "thread":
            if route.ts:
                updated = await call_web_safely(
                    self.web, "chat_update", channel=route.channel, ts=route.ts, **message(card)
                )
                if updated is not None:
                    return
            await call_web_safely(
                self.web,
                "chat_postMessage",
                channel=route.channel,
                thread_ts=route.thread_ts or None,
                **message(card),
            )
        else:
            view = cards.result_modal(card, self.lang)
            await call_web_safely(self.web, "views_update", view_id=route.view_id, view=view)

    async def notice(self, card: cards.Card) -> None:
        await self._deliver(card, private=True)

    async def waiting(
        self, query: Query, position: int | None, *, lang: str, seen: Disclosure
    ) -> None:
        if position is None:
            return  # the agent already sees "searching…" from the first instance
        if self.route.kind == "thread" and self.route.ts:
            card = searching_card(query, position, lang, seen)
            await call_web_safely(
                self.web,
                "chat_update",
                channel=self.route.channel,
                ts=self.route.ts,
                **message(card),
            )
        elif self.route.kind == "view":
            view = cards.loading_modal(lang, position=position)
            await call_web_safely(self.web, "views_update", view_id=self.route.view_id, view=view)

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        # An error on a card for the whole conversation goes only to the one who asked.
        failed = any(o.result is None for o in outcomes)
        await self._deliver(card, private=failed and self.route.response_type == "in_channel")

    async def update(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        if self.route.response_type == "in_channel":
            return  # a shared card stays as the channel saw it (as ShareReply)
        await self.answer(card, outcomes)

    async def apologize(self, error_id: str) -> None:
        await self._deliver(apology_card(self.lang, error_id), private=True)

    async def interrupted(self, card: cards.Card) -> None:
        await self._deliver(card)

    def route_for_handover(self) -> Route | None:
        return self.route

"""Answers through a payload's `response_url` (and, for a slash command, its ack first).

`PrivateReply`: everything privately to the one who asked, never replacing the message the
payload came from (message shortcut, a button's notes). `ShareReply` and `RefreshReply` post the
card for the conversation or in place of the card. `AckReply`: the first answer is the ack.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.query import Query
from bot.slack import cards
from bot.slack.delivery import ResponseUrl, call_web_safely, message, respond_safely
from bot.slack.disclosure import Disclosure
from bot.slack.replies.base import BaseReply, CardStyle, Route, searching_card
from bot.slack.runtime import Outcome
from bot.wolkvox.lookup import SLOW


class PrivateReply(BaseReply):
    """Everything through the response_url, seen only by the one who asked; no placeholder (a
    shortcut shows itself running; a button's card stays as it is) and no positions: only a
    slow Wolkvox is told, in a note of its own."""

    style = CardStyle(follow_positions=False)

    def __init__(self, respond: ResponseUrl, lang: str) -> None:
        self.respond = respond
        self.lang = lang

    async def private(self, card: cards.Card) -> None:
        await respond_safely(
            self.respond, **message(card, response_type="ephemeral", replace_original=False)
        )

    async def notice(self, card: cards.Card) -> None:
        await self.private(card)

    async def waiting(
        self, query: Query, position: int | None, *, lang: str, seen: Disclosure
    ) -> None:
        if position == SLOW:
            await self.private(searching_card(query, position, lang, seen))

    def route_for_handover(self) -> Route | None:
        url = self.respond.url
        return Route("response_url", url=url) if url else None


class ShareReply(PrivateReply):
    """The card into the conversation, for everyone (masked, in the team's language); an
    error only to the one who pressed."""

    def __init__(
        self, respond: ResponseUrl, web: AsyncWebClient, channel: str, lang: str, style: CardStyle
    ) -> None:
        super().__init__(respond, lang)
        self.web = web
        self.channel = channel
        self.style = style

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        if any(o.result is None for o in outcomes):
            await self.private(card)
            return
        if await respond_safely(
            self.respond, **message(card, response_type="in_channel", replace_original=False)
        ):
            return
        await call_web_safely(self.web, "chat_postMessage", channel=self.channel, **message(card))

    async def update(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        return None  # the shared card stays as the channel saw it; Refresh completes it

    def route_for_handover(self) -> Route | None:
        url = self.respond.url
        return Route("response_url", url=url, response_type="in_channel") if url else None


class RefreshReply(PrivateReply):
    """The refreshed card replaces the old one (in its modal, or in its message); an error on
    a card the whole conversation sees goes only to the one who pressed."""

    def __init__(
        self,
        respond: ResponseUrl,
        web: AsyncWebClient,
        view_id: str | None,
        lang: str,
        style: CardStyle,
    ) -> None:
        super().__init__(respond, lang)
        self.web = web
        self.view_id = view_id
        self.style = style

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        if self.view_id is not None:
            view = cards.result_modal(card, self.lang)
            await call_web_safely(self.web, "views_update", view_id=self.view_id, view=view)
            return
        if self.style.visible and any(o.result is None for o in outcomes):
            await self.private(card)
            return
        await respond_safely(self.respond, **message(card, replace_original=True))

    def route_for_handover(self) -> Route | None:
        if self.view_id is not None:
            return Route("view", view_id=self.view_id)
        url = self.respond.url
        return Route("response_url", url=url, replace_original=True) if url else None


class AckReply(PrivateReply):
    """The first answer is the ack (Slack cannot replace it, so a queue position is told once,
    there); everything after goes to the response_url, privately (a slash command)."""

    def __init__(self, ack: AsyncAck, respond: ResponseUrl, lang: str, quick: float) -> None:
        super().__init__(respond, lang)
        self.style = CardStyle(quick=quick, follow_positions=False)
        self._ack = ack
        self._acked = False

    async def private(self, card: cards.Card) -> None:
        if not self._acked:
            self._acked = True
            await self._ack(**message(card))
            return
        await super().private(card)

    async def waiting(
        self, query: Query, position: int | None, *, lang: str, seen: Disclosure
    ) -> None:
        if not self._acked or position == SLOW:  # "Wolkvox is slow": a private note of its own
            await self.private(searching_card(query, position, lang, seen))

    def route_for_handover(self) -> Route | None:
        if not self._acked:
            return None  # the ack can only come from here
        return super().route_for_handover()

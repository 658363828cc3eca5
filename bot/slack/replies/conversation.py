"""Answers in a conversation (a mention's thread, a DM): notices are ephemeral there; the
lookup is a "searching…" post, updated with the queue position and then replaced by the card
(posted anew when the placeholder could not be posted or updated)."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.web.async_client import AsyncWebClient

from bot.query import Query
from bot.slack import cards
from bot.slack.delivery import call_web_safely, message
from bot.slack.disclosure import Disclosure
from bot.slack.replies.base import BaseReply, CardStyle, Route, apology_card, searching_card
from bot.slack.runtime import Actor, Outcome

PRIVATE = CardStyle()  # a DM: the conversation is the asker's alone


class ConversationReply(BaseReply):
    """Answers in a conversation (a mention's thread, a DM): notices are ephemeral there; the
    lookup is a "searching…" post, updated with the queue position and then replaced by the
    card (posted anew when the placeholder could not be posted or updated)."""

    def __init__(
        self,
        web: AsyncWebClient,
        actor: Actor,
        lang: str,
        *,
        thread_ts: str = "",
        style: CardStyle = PRIVATE,
    ) -> None:
        """In `actor`'s conversation (a thread of it when `thread_ts`), to `actor` privately."""
        self.web = web
        self.channel = actor.channel_id
        self.user = actor.user_id
        self.thread_ts = thread_ts
        self.lang = lang
        self.style = style
        self.placeholder_ts = ""

    async def notice(self, card: cards.Card) -> None:
        await call_web_safely(
            self.web,
            "chat_postEphemeral",
            channel=self.channel,
            user=self.user,
            thread_ts=self.thread_ts or None,
            **message(card),
        )

    async def waiting(
        self, query: Query, position: int | None, *, lang: str, seen: Disclosure
    ) -> None:
        card = searching_card(query, position, lang, seen)
        if position is None:
            posted = await call_web_safely(
                self.web,
                "chat_postMessage",
                channel=self.channel,
                thread_ts=self.thread_ts,
                **message(card),
            )
            self.placeholder_ts = str(posted.get("ts") or "") if posted else ""
        elif self.placeholder_ts:
            await call_web_safely(
                self.web,
                "chat_update",
                channel=self.channel,
                ts=self.placeholder_ts,
                **message(card),
            )

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        if self.placeholder_ts:
            updated = await call_web_safely(
                self.web,
                "chat_update",
                channel=self.channel,
                ts=self.placeholder_ts,
                **message(card),
            )
            if updated is not None:
                return
        posted = await call_web_safely(
            self.web,
            "chat_postMessage",
            channel=self.channel,
            thread_ts=self.thread_ts,
            **message(card),
        )
        if posted:  # an update (a late operation's answer) replaces this card, not a new one
            self.placeholder_ts = str(posted.get("ts") or "")

    async def apologize(self, error_id: str) -> None:
        await call_web_safely(
            self.web,
            "chat_postEphemeral",
            channel=self.channel,
            user=self.user,
            **message(apology_card(self.lang, error_id)),
        )

    def route_for_handover(self) -> Route | None:
        return Route(
            "thread", channel=self.channel, ts=self.placeholder_ts, thread_ts=self.thread_ts
        )

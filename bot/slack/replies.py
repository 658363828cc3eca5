"""How a surface answers: the `Reply` protocol every listener implements, how it shows a card
(`CardStyle`), and the small cards every surface may need (refusal, apology, restarting).

A leaf of the Slack side: the flow, the listeners and the hand-over all build on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import msgspec
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import LookupFailure, ShuttingDown
from bot.query import Query
from bot.slack import cards
from bot.slack.access import Denial
from bot.slack.delivery import call_web_safely, message
from bot.slack.ids import MAX_MESSAGE_BLOCKS, MAX_MODAL_BLOCKS
from bot.slack.runtime import Outcome


class Route(msgspec.Struct, frozen=True):
    """Where an answer goes, in a form any instance can use."""

    kind: Literal["response_url", "thread", "view"]
    url: str = ""  # response_url
    response_type: Literal["ephemeral", "in_channel"] = "ephemeral"
    replace_original: bool = False
    channel: str = ""  # thread
    ts: str = ""  # the "searching…" message to replace ("" to post anew)
    thread_ts: str = ""
    view_id: str = ""  # view


@dataclass(frozen=True, slots=True)
class CardStyle:
    """How a surface shows its answer.

    `visible`: the whole conversation reads the card (phones masked unless
    WOLKVOX_MASK_PHONES=never). `audience_lang`: the card's language when not the asker's (a
    card shared into a channel). `quick`: how long the first reply may wait for the answer
    itself (a slash command's ack can be the card); 0 shows the placeholder at once.
    `follow_positions`: tell queue positions after the first (where the placeholder can be
    updated). What the card may show is not the style's to say: the flow decides it
    (bot.slack.disclosure).
    """

    visible: bool = False
    max_blocks: int = MAX_MESSAGE_BLOCKS
    actions: bool = True
    shared_by: str | None = None
    audience_lang: str | None = None
    quick: float = 0.0
    follow_positions: bool = True


class Reply(Protocol):
    """How one surface answers. Every method is called at most as the flow says, never raises
    for a failed delivery (it logs), and may be called after the ack."""

    style: CardStyle

    async def notice(self, card: cards.Card) -> None:
        """A private answer that is not a lookup's: usage, help, status, refusal, restarting."""

    async def waiting(self, query: Query, position: int | None, *, lang: str, mask: bool) -> None:
        """The lookup is under way: `None` right after it starts (a placeholder), then its
        1-based place in the token's queue (when `style.follow_positions`), and SLOW (-1) once
        if Wolkvox takes `WOLKVOX_STUCK_AFTER` seconds over it (on every surface that can
        show it)."""

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        """The lookup's card (for several queries, their cards in one)."""

    async def apologize(self, error_id: str) -> None:
        """A bug cut the flow short: say sorry with the id an admin finds in the logs."""

    async def interrupted(self, card: cards.Card) -> None:
        """The bot stopped before the answer: put `card` ("restarted, search again") where
        the answer would have gone, replacing any "searching…" placeholder."""

    def route_for_handover(self) -> Route | None:
        """Where another instance could deliver this answer (a response_url, a thread message,
        a modal), or None when only this one can (an ack not yet sent, a dying trigger)."""


def denial_card(denial: Denial, lang: str) -> cards.Card:
    if denial.reason == "rate":
        return cards.render_rate_limited(lang, denial.retry_after)
    if denial.reason == "nobody":
        return cards.render_nobody_to_check(lang)
    return cards.render_refusal(lang)


def apology_card(lang: str, error_id: str) -> cards.Card:
    """Sorry, something went wrong on our side: with the id an admin finds in the logs."""
    return cards.render_error(LookupFailure("unexpected error"), lang=lang, error_id=error_id)


def shutting_down_card(lang: str) -> cards.Card:
    return cards.render_error(ShuttingDown("restarting"), lang=lang)


def restarted_card(lang: str) -> cards.Card:
    """For an agent whose lookup the bot's own restart cut short."""
    return cards.render_restarted(lang)


class ConversationReply:
    """Answers in a conversation (a mention's thread, a DM): notices are ephemeral there; the
    lookup is a "searching…" post, updated with the queue position and then replaced by the
    card (posted anew when the placeholder could not be posted or updated)."""

    def __init__(
        self,
        web: AsyncWebClient,
        channel: str,
        user: str,
        thread_ts: str,
        lang: str,
        style: CardStyle,
    ) -> None:
        self.web = web
        self.channel = channel
        self.user = user
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

    async def waiting(self, query: Query, position: int | None, *, lang: str, mask: bool) -> None:
        card = cards.render_searching(query, lang=lang, mask_phones=mask, position=position)
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
        await call_web_safely(
            self.web,
            "chat_postMessage",
            channel=self.channel,
            thread_ts=self.thread_ts,
            **message(card),
        )

    async def apologize(self, error_id: str) -> None:
        await call_web_safely(
            self.web,
            "chat_postEphemeral",
            channel=self.channel,
            user=self.user,
            **message(apology_card(self.lang, error_id)),
        )

    async def interrupted(self, card: cards.Card) -> None:
        await self.answer(card, ())

    def route_for_handover(self) -> Route | None:
        return Route(
            "thread", channel=self.channel, ts=self.placeholder_ts, thread_ts=self.thread_ts
        )


class ViewReply:
    """Answers in a modal already open (`view_id`): the queue position, then the card; with
    no modal (its trigger had expired) the card goes to the user's DM with the bot instead."""

    style = CardStyle(max_blocks=MAX_MODAL_BLOCKS, actions=False)

    def __init__(self, web: AsyncWebClient, view_id: str, user: str, lang: str) -> None:
        self.web = web
        self.view_id = view_id
        self.user = user
        self.lang = lang

    async def _show(self, card: cards.Card | None, *, position: int | None = None) -> None:
        if not self.view_id:
            if card is not None:
                await call_web_safely(
                    self.web, "chat_postMessage", channel=self.user, **message(card)
                )
            return
        view = (
            cards.result_modal(card, self.lang)
            if card is not None
            else cards.loading_modal(self.lang, position=position)
        )
        await call_web_safely(self.web, "views_update", view_id=self.view_id, view=view)

    async def notice(self, card: cards.Card) -> None:
        await self._show(card)

    async def waiting(self, query: Query, position: int | None, *, lang: str, mask: bool) -> None:
        if position is not None:
            await self._show(None, position=position)

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        await self._show(card)

    async def apologize(self, error_id: str) -> None:
        await self._show(apology_card(self.lang, error_id))

    async def interrupted(self, card: cards.Card) -> None:
        await self._show(card)

    def route_for_handover(self) -> Route | None:
        return Route("view", view_id=self.view_id) if self.view_id else None

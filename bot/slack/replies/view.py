"""Answers in a modal: one already open (`ViewReply`), the search modal's own submission
(`SubmissionReply`: the ack updates it, then views.update), or a new one a button opens
(`NewViewReply`: Show all, with a private message when its trigger has expired)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.query import Query
from bot.slack import cards
from bot.slack.delivery import ResponseUrl, call_web_safely, message
from bot.slack.disclosure import Disclosure
from bot.slack.ids import MAX_MODAL_BLOCKS
from bot.slack.replies.base import BaseReply, CardStyle, Route
from bot.slack.replies.response_url import PrivateReply
from bot.slack.runtime import Outcome


class ViewReply(BaseReply):
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

    async def waiting(
        self, query: Query, position: int | None, *, lang: str, seen: Disclosure
    ) -> None:
        if position is not None:
            await self._show(None, position=position)

    def route_for_handover(self) -> Route | None:
        return Route("view", view_id=self.view_id) if self.view_id else None


class SubmissionReply(BaseReply):
    """The first answer is the submission's ack (`response_action: update`); the modal is then
    updated with the queue position and the card (a modal has no conversation to share into
    or refresh in: no buttons)."""

    style = CardStyle(max_blocks=MAX_MODAL_BLOCKS, actions=False)

    def __init__(self, ack: AsyncAck, web: AsyncWebClient, view_id: str, lang: str) -> None:
        self._ack = ack
        self._web = web
        self._view_id = view_id
        self.lang = lang
        self._acked = False

    async def _show(self, view: dict[str, Any]) -> None:
        if not self._acked:
            self._acked = True
            await self._ack(response_action="update", view=view)
            return
        await call_web_safely(self._web, "views_update", view_id=self._view_id, view=view)

    async def notice(self, card: cards.Card) -> None:
        await self._show(cards.result_modal(card, self.lang))

    async def waiting(
        self, query: Query, position: int | None, *, lang: str, seen: Disclosure
    ) -> None:
        await self._show(cards.loading_modal(lang, position=position))

    def route_for_handover(self) -> Route | None:
        if not self._acked or not self._view_id:
            return None  # the submission's ack can only come from here
        return Route("view", view_id=self._view_id)


class NewViewReply(PrivateReply):
    """The card in a new modal (pushed onto the modal the button sits in); when the trigger has
    expired (a slow lookup), privately as a message, re-rendered by `as_message` within a
    message's 50 blocks. Notes go privately through the response_url."""

    style = CardStyle(
        max_blocks=MAX_MODAL_BLOCKS, actions=False, follow_positions=False, wait_for_locale=False
    )

    def __init__(
        self,
        respond: ResponseUrl,
        web: AsyncWebClient,
        trigger_id: str,
        pushed: bool,
        lang: str,
        as_message: Callable[[Outcome], cards.Card],
    ) -> None:
        super().__init__(respond, lang)
        self.web = web
        self.trigger_id = trigger_id
        self.method = "views_push" if pushed else "views_open"
        self.as_message = as_message

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        view = cards.result_modal(card, self.lang)
        if await call_web_safely(self.web, self.method, trigger_id=self.trigger_id, view=view):
            return
        await self.private(self.as_message(outcomes[0]) if outcomes else card)

    async def update(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        return None  # its trigger is spent: the modal cannot be pushed again

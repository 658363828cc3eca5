"""Shortcuts: `find_in_wolkvox` on a message, `wolkvox_search` (global) opening the modal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.query import Query
from bot.slack import cards, ids
from bot.slack.delivery import message, respond_safely
from bot.slack.flow import Ask, LookupFlow
from bot.slack.payloads import actor_from_body, message_text
from bot.slack.replies import CardStyle, Route, apology_card
from bot.slack.runtime import Outcome
from bot.wolkvox.lookup import SLOW

MAX_QUERIES_PER_MESSAGE = 3


class PrivateReply:
    """Everything through the response_url, seen only by the one who asked; no placeholder
    (Slack already shows the shortcut as running) and no position updates."""

    style = CardStyle(follow_positions=False)

    def __init__(self, respond: AsyncRespond, lang: str) -> None:
        self._respond = respond
        self._lang = lang

    async def notice(self, card: cards.Card) -> None:
        await respond_safely(self._respond, **message(card, response_type="ephemeral"))

    async def waiting(self, query: Query, position: int | None, *, lang: str, mask: bool) -> None:
        """A message shortcut has no message of its own to update: only a slow Wolkvox is told
        (privately)."""
        if position == SLOW:
            card = cards.render_searching(query, lang=lang, mask_phones=mask, position=position)
            await respond_safely(
                self._respond, **message(card, response_type="ephemeral", replace_original=False)
            )

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        await respond_safely(
            self._respond, **message(card, response_type="ephemeral", replace_original=False)
        )

    async def apologize(self, error_id: str) -> None:
        await respond_safely(
            self._respond,
            **message(
                apology_card(self._lang, error_id),
                response_type="ephemeral",
                replace_original=False,
            ),
        )

    async def interrupted(self, card: cards.Card) -> None:
        await self.answer(card, ())

    def route_for_handover(self) -> Route | None:
        url = self._respond.response_url
        return Route("response_url", url=url) if url else None


class ShortcutListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def on_message_shortcut(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        rt = self.flow.rt
        actor = actor_from_body(body, "message_shortcut")
        reply = PrivateReply(respond, rt.settings.lang)
        async with rt.tracked(apologize=reply.apologize):
            ask = Ask(actor, await rt.lang_for(actor), actor.channel_id)
            reply = PrivateReply(respond, ask.lang)
            text = message_text(body.get("message") or {})
            await self.flow.find_in_message(ask, text, MAX_QUERIES_PER_MESSAGE, reply)

    async def on_global_shortcut(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        rt = self.flow.rt
        actor = actor_from_body(body, "modal")
        ask = Ask(actor, rt.lang_now(actor), None)
        await self.flow.open_search(ask, str(body.get("trigger_id") or ""))


def register(app: AsyncApp, flow: LookupFlow) -> None:
    listener = ShortcutListener(flow)
    app.shortcut(ids.MESSAGE_SHORTCUT)(listener.on_message_shortcut)
    app.shortcut(ids.GLOBAL_SHORTCUT)(listener.on_global_shortcut)

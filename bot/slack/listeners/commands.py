"""`/wolkvox`: find, help, status. Private answers; the ack is the card when it is at hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.errors import QueryError
from bot.query import Query, parse_command
from bot.slack import cards, ids
from bot.slack.delivery import message, respond_safely
from bot.slack.flow import Ask, LookupFlow
from bot.slack.payloads import actor_from_body
from bot.slack.replies import CardStyle, Route, apology_card
from bot.slack.runtime import Outcome
from bot.wolkvox.lookup import SLOW

# How long the ack may wait for the lookup's first news: a cached card (then the card itself is
# the ack and no "searching…" message is left behind), its place in the token's queue, or word
# that it is being served. Usually that comes within a millisecond; this only bounds it.
ACK_WAIT = 0.04


class CommandReply:
    """The first answer is the ack (Slack cannot replace it, so a queue position is told once,
    there); everything after goes to the response_url, privately."""

    style = CardStyle(quick=ACK_WAIT, follow_positions=False)

    def __init__(self, ack: AsyncAck, respond: AsyncRespond, lang: str) -> None:
        self._ack = ack
        self._respond = respond
        self._lang = lang
        self._acked = False

    async def _send(self, card: cards.Card) -> None:
        if not self._acked:
            self._acked = True
            await self._ack(**message(card))
            return
        await respond_safely(
            self._respond, **message(card, response_type="ephemeral", replace_original=False)
        )

    async def notice(self, card: cards.Card) -> None:
        await self._send(card)

    async def waiting(self, query: Query, position: int | None, *, lang: str, mask: bool) -> None:
        if not self._acked or position == SLOW:  # "Wolkvox is slow": a private note of its own
            await self._send(
                cards.render_searching(query, lang=lang, mask_phones=mask, position=position)
            )

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        await self._send(card)

    async def apologize(self, error_id: str) -> None:
        await self._send(apology_card(self._lang, error_id))

    async def interrupted(self, card: cards.Card) -> None:
        await self._send(card)

    def route_for_handover(self) -> Route | None:
        if not self._acked or not self._respond.response_url:
            return None  # the ack can only come from here
        return Route("response_url", url=self._respond.response_url)


class CommandListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def on_wolkvox(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        rt = self.flow.rt
        actor = actor_from_body(body, "command")
        ask = Ask(actor, rt.lang_now(actor), actor.channel_id, fetch_locale=True)
        reply = CommandReply(ack, respond, ask.lang)
        settings = rt.settings
        try:
            command = parse_command(
                str(body.get("text") or ""), settings.phone_region, settings.wolkvox_campaign_id
            )
        except QueryError as error:
            await self.flow.usage(ask, error, reply)
            return
        await self.flow.command(ask, command, reply)


def register(app: AsyncApp, flow: LookupFlow) -> None:
    app.command(ids.COMMAND)(CommandListener(flow).on_wolkvox)

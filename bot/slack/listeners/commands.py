"""`/wolkvox`: find, help, status. Private answers; the ack is the card when it is at hand."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.errors import QueryError
from bot.query import parse_command
from bot.slack import ids
from bot.slack.flow import Ask, LookupFlow
from bot.slack.payloads import actor_from_body
from bot.slack.replies import AckReply
from bot.slack.runtime import Surface

# How long the ack may wait for the lookup's first news: a cached card (then the card itself is
# the ack and no "searching…" message is left behind), its place in the token's queue, or word
# that it is being served. Usually that comes within a millisecond; this only bounds it.
ACK_WAIT = 0.04


class CommandListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def on_wolkvox(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        rt = self.flow.rt
        actor = actor_from_body(body, Surface.COMMAND)
        ask = Ask(actor, rt.lang_now(actor), actor.channel_id)
        reply = AckReply(ack, rt.response_url(respond), ask.lang, quick=ACK_WAIT)
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

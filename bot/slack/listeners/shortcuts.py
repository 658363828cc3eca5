"""Shortcuts: `find_in_wolkvox` on a message, `wolkvox_search` (global) opening the modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.slack import ids
from bot.slack.flow import Ask, LookupFlow
from bot.slack.payloads import actor_from_body, message_text
from bot.slack.replies import PrivateReply
from bot.slack.runtime import Surface

MAX_QUERIES_PER_MESSAGE = 3


class ShortcutListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def on_message_shortcut(
        self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        rt = self.flow.rt
        actor = actor_from_body(body, Surface.MESSAGE_SHORTCUT)
        ask = Ask(actor, rt.lang_now(actor), actor.channel_id)
        reply = PrivateReply(rt.response_url(respond), ask.lang)
        async with rt.tracked(apologize=reply.apologize):
            text = message_text(body.get("message") or {})
            await self.flow.find_in_message(ask, text, MAX_QUERIES_PER_MESSAGE, reply)

    async def on_global_shortcut(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        rt = self.flow.rt
        actor = actor_from_body(body, Surface.MODAL)
        ask = Ask(actor, rt.lang_now(actor), None)
        await self.flow.open_search(ask, str(body.get("trigger_id") or ""))


def register(app: AsyncApp, flow: LookupFlow) -> None:
    listener = ShortcutListener(flow)
    app.shortcut(ids.MESSAGE_SHORTCUT)(listener.on_message_shortcut)
    app.shortcut(ids.GLOBAL_SHORTCUT)(listener.on_global_shortcut)

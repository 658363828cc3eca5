"""Buttons on a card: Share in channel, Refresh, Show all, Export CSV, Call.

The query behind a button is sealed (bot.slack.sealed). Whoever presses a button passes the
same access rules as for a new search: a card shared in a channel can be pressed by anyone
there, and only allowed users get an answer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.slack import cards, ids, payloads
from bot.slack.flow import Ask, LookupFlow
from bot.slack.replies import CardStyle, NewViewReply, PrivateReply, RefreshReply, ShareReply
from bot.slack.runtime import Surface


class ActionListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def _press(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        surface: Surface,
        reply: PrivateReply,
        *,
        visible: bool,
        refresh: bool = False,
    ) -> None:
        """Ack, open the sealed query, then the one lookup flow. `visible`: the answer is for
        the whole conversation (Share)."""
        await ack()
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, surface)
        # No users.info wait anywhere here: Show all's trigger id dies in 3 s.
        channel = actor.channel_id if visible or payloads.card_is_visible(body) else None
        async with rt.tracked(apologize=reply.apologize):
            opened = rt.sealer.open(payloads.button_value(body))
            if opened is None and rt.accepting:
                await reply.notice(cards.render_stale_button(reply.lang))
                return
            # What the card hid stays hidden on every path from it: the sealed value says so,
            # and the flow's disclosure rule holds to it.
            ask = Ask(
                actor,
                reply.lang,
                channel,
                visible=visible,
                refresh=refresh,
                origin_concealed=opened is not None and opened.concealed,
            )
            await self.flow.find(ask, [opened.query] if opened is not None else [], reply)

    async def on_share(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, Surface.SHARE)
        style = CardStyle(
            visible=True,
            shared_by=actor.user_id,
            audience_lang=rt.settings.lang,  # the whole channel reads it, not only the sharer
            follow_positions=False,
        )
        reply = ShareReply(
            rt.response_url(respond), rt.web, actor.channel_id, rt.lang_now(actor), style
        )
        await self._press(ack, body, Surface.SHARE, reply, visible=True)

    async def on_refresh(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, Surface.REFRESH)
        visible = payloads.card_is_visible(body)
        style = CardStyle(
            visible=visible, shared_by=actor.user_id if visible else None, follow_positions=False
        )
        view_id = str((body.get("view") or {}).get("id")) if payloads.in_view(body) else None
        reply = RefreshReply(rt.response_url(respond), rt.web, view_id, rt.lang_now(actor), style)
        await self._press(ack, body, Surface.REFRESH, reply, visible=False, refresh=True)

    async def on_show_all(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, Surface.SHOW_ALL)
        lang = rt.lang_now(actor)
        as_message = replace(NewViewReply.style, max_blocks=ids.MAX_MESSAGE_BLOCKS)
        reply = NewViewReply(
            rt.response_url(respond),
            rt.web,
            str(body.get("trigger_id") or ""),
            payloads.in_view(body),
            lang,
            lambda outcome: self.flow.card(outcome, as_message, lang),
        )
        await self._press(ack, body, Surface.SHOW_ALL, reply, visible=False)

    async def on_export(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """Ack, a private "preparing…", the gate (access, rate), then the export to the DM."""
        await ack()
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, Surface.EXPORT)
        lang = rt.lang_now(actor)
        reply = PrivateReply(rt.response_url(respond), lang)
        async with rt.tracked(apologize=reply.apologize):
            opened = rt.sealer.open(payloads.button_value(body))
            if opened is None:
                await reply.notice(cards.render_stale_button(lang))
                return
            visible = payloads.card_is_visible(body)
            ask = Ask(
                actor,
                lang,
                actor.channel_id if visible else None,
                visible=visible,
                origin_concealed=opened.concealed,
            )
            await self.flow.export(ask, opened.query, reply)

    async def on_dial(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """*Call*: ack at once (Slack showed its confirm dialog already), then the dial, its
        outcome told privately."""
        await ack()
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, Surface.DIAL)
        lang = rt.lang_now(actor)
        reply = PrivateReply(rt.response_url(respond), lang)
        visible = payloads.card_is_visible(body)
        async with rt.tracked(apologize=reply.apologize):
            # The channel the card is in, private or not: the channel allow-list holds here
            # as for the command that made the card.
            ask = Ask(actor, lang, actor.channel_id or None, visible=visible)
            await self.flow.dial(ask, payloads.button_value(body), reply)


def register(app: AsyncApp, flow: LookupFlow) -> None:
    listener = ActionListener(flow)
    app.action(ids.action_pattern(ids.ACTION_EXPORT_CSV))(listener.on_export)
    app.action(ids.action_pattern(ids.ACTION_SHARE))(listener.on_share)
    app.action(ids.action_pattern(ids.ACTION_REFRESH))(listener.on_refresh)
    app.action(ids.action_pattern(ids.ACTION_SHOW_ALL))(listener.on_show_all)
    app.action(ids.action_pattern(ids.ACTION_DIAL))(listener.on_dial)

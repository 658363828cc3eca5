"""Buttons on a card: Share in channel, Refresh, Show all.

The query behind a button is sealed (bot.slack.sealed). Whoever presses a button passes the
same access rules as for a new search: a card shared in a channel can be pressed by anyone
there, and only allowed users get an answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.query import Query
from bot.slack import cards, ids, payloads
from bot.slack.delivery import call_web_safely, message, respond_safely
from bot.slack.flow import Ask, LookupFlow
from bot.slack.replies import CardStyle, Route, apology_card
from bot.slack.runtime import Outcome
from bot.wolkvox.lookup import SLOW


class ButtonReply:
    """Answers for a pressed button: private notes through the response_url, never replacing
    the card the button sits on. Subclasses say where the card goes."""

    style = CardStyle(follow_positions=False)

    def __init__(self, respond: AsyncRespond, lang: str) -> None:
        self.respond = respond
        self.lang = lang

    async def private(self, card: cards.Card) -> None:
        await respond_safely(
            self.respond, **message(card, response_type="ephemeral", replace_original=False)
        )

    async def notice(self, card: cards.Card) -> None:
        await self.private(card)

    async def waiting(self, query: Query, position: int | None, *, lang: str, mask: bool) -> None:
        """The card stays as it is while the lookup runs; a slow Wolkvox gets a private note."""
        if position == SLOW:
            await self.private(
                cards.render_searching(query, lang=lang, mask_phones=mask, position=position)
            )

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        await self.private(card)

    async def apologize(self, error_id: str) -> None:
        await self.private(apology_card(self.lang, error_id))

    async def interrupted(self, card: cards.Card) -> None:
        await self.private(card)

    def route_for_handover(self) -> Route | None:
        url = self.respond.response_url
        return Route("response_url", url=url) if url else None


class ShareReply(ButtonReply):
    """The card into the conversation, for everyone (masked, in the team's language); an
    error only to the one who pressed."""

    def __init__(
        self, respond: AsyncRespond, web: AsyncWebClient, channel: str, lang: str, style: CardStyle
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

    def route_for_handover(self) -> Route | None:
        url = self.respond.response_url
        return Route("response_url", url=url, response_type="in_channel") if url else None


class RefreshReply(ButtonReply):
    """The refreshed card replaces the old one (in its modal, or in its message); an error on
    a card the whole conversation sees goes only to the one who pressed."""

    def __init__(
        self,
        respond: AsyncRespond,
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
        url = self.respond.response_url
        return Route("response_url", url=url, replace_original=True) if url else None


class ShowAllReply(ButtonReply):
    """Every campaign in a modal (pushed onto a modal the button sits in); when the trigger
    has expired (a slow lookup), privately as a message within a message's 50 blocks."""

    style = CardStyle(max_blocks=ids.MAX_MODAL_BLOCKS, actions=False, follow_positions=False)

    def __init__(
        self,
        respond: AsyncRespond,
        flow: LookupFlow,
        trigger_id: str,
        pushed: bool,
        lang: str,
    ) -> None:
        super().__init__(respond, lang)
        self.flow = flow
        self.trigger_id = trigger_id
        self.method = "views_push" if pushed else "views_open"

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        view = cards.result_modal(card, self.lang)
        web = self.flow.rt.web
        if await call_web_safely(web, self.method, trigger_id=self.trigger_id, view=view):
            return
        as_message = replace(self.style, max_blocks=ids.MAX_MESSAGE_BLOCKS)
        await self.private(self.flow.card(outcomes[0], as_message, self.lang))


class ActionListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def _press(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        surface: str,
        reply: ButtonReply,
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
        actor = payloads.actor_from_body(body, "share")
        style = CardStyle(
            visible=True,
            shared_by=actor.user_id,
            audience_lang=rt.settings.lang,  # the whole channel reads it, not only the sharer
            follow_positions=False,
        )
        reply = ShareReply(respond, rt.web, actor.channel_id, rt.lang_now(actor), style)
        await self._press(ack, body, "share", reply, visible=True)

    async def on_refresh(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, "refresh")
        visible = payloads.card_is_visible(body)
        style = CardStyle(
            visible=visible, shared_by=actor.user_id if visible else None, follow_positions=False
        )
        view_id = str((body.get("view") or {}).get("id")) if payloads.in_view(body) else None
        reply = RefreshReply(respond, rt.web, view_id, rt.lang_now(actor), style)
        await self._press(ack, body, "refresh", reply, visible=False, refresh=True)

    async def on_show_all(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, "show_all")
        reply = ShowAllReply(
            respond,
            self.flow,
            str(body.get("trigger_id") or ""),
            payloads.in_view(body),
            rt.lang_now(actor),
        )
        await self._press(ack, body, "show_all", reply, visible=False)

    async def on_export(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """Ack, a private "preparing…", the gate (access, rate), then the export to the DM."""
        await ack()
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, "export")
        lang = rt.lang_now(actor)
        reply = ButtonReply(respond, lang)
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


def register(app: AsyncApp, flow: LookupFlow) -> None:
    listener = ActionListener(flow)
    app.action(ids.action_pattern(ids.ACTION_EXPORT_CSV))(listener.on_export)
    app.action(ids.action_pattern(ids.ACTION_SHARE))(listener.on_share)
    app.action(ids.action_pattern(ids.ACTION_REFRESH))(listener.on_refresh)
    app.action(ids.action_pattern(ids.ACTION_SHOW_ALL))(listener.on_show_all)

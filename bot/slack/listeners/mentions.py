"""`@Wolkvox find 3001234567` in a channel: the card as a reply in the mention's thread.

Slack retries an event it thinks was slow (same event_id, X-Slack-Retry-Num): the first
delivery claims the event id in the shared store, so a retry never causes a second lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import QueryError, StoreUnavailable
from bot.query import Query
from bot.slack import cards, ids, payloads
from bot.slack.delivery import call_web_safely, message
from bot.slack.flow import Ask, LookupFlow
from bot.slack.handover import Route
from bot.slack.replies import CardStyle, apology_card
from bot.slack.runtime import Outcome

EVENT_DEDUPE_TTL = 3600.0  # Slack retries within minutes; an hour is ample


class ThreadReply:
    """Notices are ephemeral in the thread; the lookup is a "searching…" post in the thread,
    updated with the queue position and then replaced by the card (posted anew when the
    placeholder could not be posted or updated)."""

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


class MentionListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def first_delivery(self, body: dict[str, Any], reply: ThreadReply) -> bool:
        """Claim the event id; False for a retry of an event already being answered.

        With the store down no lookup can run either: say so privately, not as a bug."""
        event_id = str(body.get("event_id") or "")
        if not event_id:
            return True
        try:
            return await self.flow.rt.store.value_set_if_absent(
                f"event:{event_id}", "1", EVENT_DEDUPE_TTL
            )
        except StoreUnavailable as error:
            await reply.notice(cards.render_error(error, lang=self.flow.rt.settings.lang))
            return False

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        rt = self.flow.rt
        actor = payloads.actor_from_event(body, event, "mention")
        thread_ts = str(event.get("thread_ts") or event.get("ts") or "")
        style = CardStyle(visible=True)
        reply = ThreadReply(
            rt.web, actor.channel_id, actor.user_id, thread_ts, rt.settings.lang, style
        )
        if not await self.first_delivery(body, reply):
            return
        async with rt.tracked(apologize=reply.apologize):
            reply.lang = await rt.lang_for(actor)
            ask = Ask(actor, reply.lang, actor.channel_id, visible=True)
            settings = rt.settings
            try:
                command = payloads.parse_mention(
                    str(event.get("text") or ""),
                    settings.phone_region,
                    settings.wolkvox_campaign_id,
                )
            except QueryError as error:
                await self.flow.usage(ask, error, reply)
                return
            await self.flow.command(ask, command, reply)


def register(app: AsyncApp, flow: LookupFlow) -> None:
    app.event(ids.APP_MENTION)(MentionListener(flow).on_mention)

"""The search modal's submission: bad input inline on its field, else the card in the modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.errors import QueryError
from bot.query import build_query
from bot.slack import cards, ids, payloads
from bot.slack.flow import Ask, LookupFlow
from bot.slack.payloads import actor_from_body
from bot.slack.replies import SubmissionReply
from bot.slack.runtime import Surface


def field_values(view: dict[str, Any]) -> dict[str, str]:
    """The search form's fields; a picker's "all" (campaigns, operations) reads as empty."""
    every = (cards.ALL_CAMPAIGNS, cards.ALL_OPERATIONS)
    return payloads.view_inputs(view, ids.SEARCH_INPUTS, none_chosen=every)


class ViewListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def on_search_submit(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        rt = self.flow.rt
        actor = actor_from_body(body, Surface.MODAL)
        ask = Ask(actor, rt.lang_now(actor), None)
        fields = field_values(view)
        # With several operations a picked campaign is `<operation>:<id>`: it names its
        # operation too (campaign ids are each operation's own).
        of, _, campaign = fields.get(ids.INPUT_CAMPAIGN_ID, "").rpartition(":")
        try:
            query = build_query(
                phone=fields.get(ids.INPUT_PHONE, ""),
                customer_id=fields.get(ids.INPUT_CUSTOMER_ID, ""),
                campaign_id=campaign or rt.settings.wolkvox_campaign_id,
                operation=of or fields.get(ids.INPUT_OPERATION, ""),
                region=rt.settings.phone_region,
            )
        except QueryError as error:
            block = error.field if error.field in ids.SEARCH_INPUTS else ids.INPUT_PHONE
            await ack(response_action="errors", errors={block: cards.field_error(error, ask.lang)})
            return
        reply = SubmissionReply(ack, rt.web, str(view.get("id") or ""), ask.lang)
        await self.flow.find(ask, [query], reply)

    async def on_campaign_suggestion(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """The campaign picker's `block_suggestion`: the hourly list filtered by what the user
        typed (names or ids); no Wolkvox call here, ever."""
        actor = actor_from_body(body, Surface.MODAL)
        lang = self.flow.rt.lang_now(actor)
        typed = str(body.get("value") or "")[:100]
        await ack(options=await self.flow.campaign_suggestions(actor, typed, lang))


def register(app: AsyncApp, flow: LookupFlow) -> None:
    listener = ViewListener(flow)
    app.view(ids.SEARCH_CALLBACK_ID)(listener.on_search_submit)
    app.options(ids.INPUT_CAMPAIGN_ID)(listener.on_campaign_suggestion)

"""The search modal's submission: bad input inline on its field, else the card in the modal."""

from __future__ import annotations

from typing import Any

from bot.errors import QueryError
from bot.query import build_query
from bot.slack import cards
from bot.slack.listeners.common import (
    PositionReporter,
    actor_from_body,
    call_web_safely,
    denial_card,
    mask_for,
    outcome_card,
    shutting_down_card,
)
from bot.slack.runtime import SlackRuntime

SEARCH_SUBMIT = "wolkvox_search_submit"
MODAL_MAX_BLOCKS = 100
FIELDS = ("phone", "customer_id", "campaign_id")


def field_values(view: dict[str, Any]) -> dict[str, str]:
    """block_id → typed text, whatever the inputs' action ids are."""
    values = ((view.get("state") or {}).get("values")) or {}
    out: dict[str, str] = {}
    for block_id in FIELDS:
        for element in (values.get(block_id) or {}).values():
            if isinstance(element, dict):
                out[block_id] = str(element.get("value") or "")
    return out


def register(app: Any, rt: SlackRuntime) -> None:
    @app.view(SEARCH_SUBMIT)
    async def on_search_submit(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        actor = actor_from_body(body, "modal")
        lang = rt.lang_now(actor)
        fields = field_values(view)
        try:
            query = build_query(
                phone=fields.get("phone", ""),
                customer_id=fields.get("customer_id", ""),
                campaign_id=fields.get("campaign_id", "") or rt.settings.wolkvox_campaign_id,
                region=rt.settings.phone_region,
            )
        except QueryError as error:
            block = error.field if error.field in FIELDS else "phone"
            await ack(response_action="errors", errors={block: cards.field_error(error, lang)})
            return
        if not rt.accepting:
            await ack(
                response_action="update", view=cards.result_modal(shutting_down_card(lang), lang)
            )
            return
        denial = await rt.access.check(actor.user_id, "", visible=False)
        if denial is not None:
            await ack(
                response_action="update", view=cards.result_modal(denial_card(denial, lang), lang)
            )
            return
        await ack(response_action="update", view=cards.loading_modal(lang))
        view_id = str(view.get("id") or "")

        async def show_position(position: int) -> None:
            await call_web_safely(
                rt,
                "views_update",
                view_id=view_id,
                view=cards.loading_modal(lang, position=position),
            )

        async def finish() -> None:
            outcome = await rt.lookup(actor, query, on_wait=PositionReporter(show_position))
            card = outcome_card(
                rt,
                outcome,
                await rt.lang_for(actor),
                mask_phones=mask_for(rt, visible=False),
                max_blocks=MODAL_MAX_BLOCKS,
                actions=False,  # a modal has no conversation to share into or refresh in
            )
            await call_web_safely(
                rt, "views_update", view_id=view_id, view=cards.result_modal(card, lang)
            )

        rt.spawn(finish(), name=f"modal:{actor.user_id}")

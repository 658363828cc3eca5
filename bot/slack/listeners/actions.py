"""Buttons on a card: Share in channel, Refresh, Show all.

The query behind a button is sealed (bot.slack.sealed). Whoever presses a button passes the
same access rules as for a new search: a card shared in a channel can be pressed by anyone
there, and only allowed users get an answer.
"""

from __future__ import annotations

from typing import Any

from bot.query import Query
from bot.slack import cards
from bot.slack.ids import action_pattern
from bot.slack.listeners.common import (
    actor_from_body,
    apology_by_respond,
    call_web_safely,
    denial_card,
    mask_for,
    message,
    outcome_card,
    respond_safely,
    shutting_down_card,
)
from bot.slack.runtime import Actor, SlackRuntime

SHARE = "share_card"
REFRESH = "refresh_card"
SHOW_ALL = "show_all"
MODAL_MAX_BLOCKS = 100


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    first = actions[0]
    return first if isinstance(first, dict) else {}


def _visible(body: dict[str, Any]) -> bool:
    """Is the card this button sits on visible to the whole conversation?"""
    container = body.get("container") or {}
    if container.get("type") == "view":
        return False
    return not container.get("is_ephemeral", False)


def register(app: Any, rt: SlackRuntime) -> None:
    async def start(
        ack: Any, body: dict[str, Any], respond: Any, surface: str, *, visible_answer: bool
    ) -> tuple[Actor, str, Query] | None:
        """Common gate: ack, decode the query, check access. None when already answered."""
        await ack()
        actor = actor_from_body(body, surface)
        lang = rt.lang_now(actor)  # no users.info wait: Show all's trigger id dies in 3 s
        if not rt.accepting:
            await respond_safely(
                respond, **message(shutting_down_card(lang), replace_original=False)
            )
            return None
        query = rt.sealer.open(str(_action(body).get("value") or ""))
        if query is None:
            await respond_safely(
                respond, **message(cards.render_stale_button(lang), replace_original=False)
            )
            return None
        channel = actor.channel_id if visible_answer or _visible(body) else ""
        denial = await rt.access.check(actor.user_id, channel, visible=visible_answer)
        if denial is not None:
            await respond_safely(
                respond,
                **message(
                    denial_card(denial, lang), response_type="ephemeral", replace_original=False
                ),
            )
            return None
        return actor, lang, query

    @app.action(action_pattern(SHARE))
    async def on_share(ack: Any, body: dict[str, Any], respond: Any) -> None:
        async with rt.tracked(apologize=apology_by_respond(respond, rt.settings.lang)):
            gate = await start(ack, body, respond, "share", visible_answer=True)
            if gate is None:
                return
            actor, lang, query = gate
            outcome = await rt.lookup(actor, query)
            if outcome.result is None:  # an error is for the sharer's eyes only
                card = outcome_card(rt, outcome, lang, mask_phones=False)
                await respond_safely(respond, **message(card, replace_original=False))
                return
            card = outcome_card(
                rt,
                outcome,
                rt.settings.lang,  # the whole channel reads it, not only the sharer
                mask_phones=mask_for(rt, visible=True),
                shared_by=actor.user_id,
            )
            if await respond_safely(
                respond, **message(card, response_type="in_channel", replace_original=False)
            ):
                return
            await call_web_safely(rt, "chat_postMessage", channel=actor.channel_id, **message(card))

    @app.action(action_pattern(REFRESH))
    async def on_refresh(ack: Any, body: dict[str, Any], respond: Any) -> None:
        async with rt.tracked(apologize=apology_by_respond(respond, rt.settings.lang)):
            gate = await start(ack, body, respond, "refresh", visible_answer=False)
            if gate is None:
                return
            actor, lang, query = gate
            visible = _visible(body)
            outcome = await rt.lookup(actor, query, refresh=True)
            container = body.get("container") or {}
            shared_by = None
            if visible:
                shared_by = actor.user_id
            card = outcome_card(
                rt, outcome, lang, mask_phones=mask_for(rt, visible=visible), shared_by=shared_by
            )
            if container.get("type") == "view":
                view = cards.result_modal(card, lang)
                await call_web_safely(
                    rt, "views_update", view_id=str((body.get("view") or {}).get("id")), view=view
                )
                return
            if visible and outcome.result is None:
                await respond_safely(
                    respond, **message(card, response_type="ephemeral", replace_original=False)
                )
                return
            await respond_safely(respond, **message(card, replace_original=True))

    @app.action(action_pattern(SHOW_ALL))
    async def on_show_all(ack: Any, body: dict[str, Any], respond: Any) -> None:
        async with rt.tracked(apologize=apology_by_respond(respond, rt.settings.lang)):
            trigger_id = body.get("trigger_id")
            gate = await start(ack, body, respond, "show_all", visible_answer=False)
            if gate is None:
                return
            actor, lang, query = gate
            outcome = await rt.lookup(actor, query)
            card = outcome_card(
                rt,
                outcome,
                lang,
                mask_phones=mask_for(rt, visible=False),
                max_blocks=MODAL_MAX_BLOCKS,
                actions=False,
            )
            view = cards.result_modal(card, lang)
            method = (
                "views_push"
                if (body.get("container") or {}).get("type") == "view"
                else "views_open"
            )
            if await call_web_safely(rt, method, trigger_id=trigger_id, view=view) is None:
                # The trigger expired (slow lookup): answer privately instead, as a message,
                # so within a message's 50 blocks (the modal's card may have up to 100).
                card = outcome_card(
                    rt, outcome, lang, mask_phones=mask_for(rt, visible=False), actions=False
                )
                await respond_safely(
                    respond, **message(card, response_type="ephemeral", replace_original=False)
                )

"""Shortcuts: `find_in_wolkvox` on a message, `wolkvox_search` (global) opening the modal."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.query import extract_queries
from bot.slack import cards
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
from bot.slack.runtime import SlackRuntime

MESSAGE_SHORTCUT = "find_in_wolkvox"
GLOBAL_SHORTCUT = "wolkvox_search"
MAX_QUERIES_PER_MESSAGE = 3


def message_text(msg: dict[str, Any]) -> str:
    """The message's text, plus text inside its blocks (rich text, sections) and attachments."""
    parts = [str(msg.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            text = node.get("text")
            if isinstance(text, str) and node.get("type") in ("text", "mrkdwn", "plain_text"):
                parts.append(text)
            for value in node.values():
                if isinstance(value, list | dict):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(msg.get("blocks") or [])
    for attachment in msg.get("attachments") or []:
        if isinstance(attachment, dict):
            parts.extend(str(attachment.get(k) or "") for k in ("pretext", "text", "fallback"))
    return "\n".join(p for p in parts if p)


def register(app: Any, rt: SlackRuntime) -> None:
    @app.shortcut(MESSAGE_SHORTCUT)
    async def on_message_shortcut(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        actor = actor_from_body(body, "message_shortcut")
        async with rt.tracked(apologize=apology_by_respond(respond, rt.settings.lang)):
            lang = await rt.lang_for(actor)
            if not rt.accepting:
                await respond_safely(respond, **message(shutting_down_card(lang)))
                return
            text = message_text(body.get("message") or {})
            queries = extract_queries(
                text,
                rt.settings.phone_region,
                limit=MAX_QUERIES_PER_MESSAGE,
                default_campaign=rt.settings.wolkvox_campaign_id,
            )
            if not queries:
                card = cards.render_nothing_found_in_message(lang)
                await respond_safely(respond, **message(card, response_type="ephemeral"))
                return
            denial = await rt.access.check(actor.user_id, actor.channel_id, visible=False)
            if denial is not None:
                await respond_safely(respond, **message(denial_card(denial, lang)))
                return
            outcomes = await asyncio.gather(*(rt.lookup(actor, q) for q in queries))
            mask = mask_for(rt, visible=False)
            answer = cards.render_multi(
                [outcome_card(rt, o, lang, mask_phones=mask) for o in outcomes]
            )
            await respond_safely(
                respond, **message(answer, response_type="ephemeral", replace_original=False)
            )

    @app.shortcut(GLOBAL_SHORTCUT)
    async def on_global_shortcut(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        actor = actor_from_body(body, "modal")
        lang = rt.lang_now(actor)
        # The trigger id dies 3 s after the click: open the modal before anything slow.
        denial = await rt.access.check(actor.user_id, "", visible=False, count=False)
        if denial is not None:
            view = cards.result_modal(denial_card(denial, lang), lang)
        else:
            view = cards.search_modal(lang)
        await call_web_safely(rt, "views_open", trigger_id=body.get("trigger_id"), view=view)

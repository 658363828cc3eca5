"""`/wolkvox`: find, help, status. Private answers; ack at once, the card follows."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.errors import QueryError
from bot.query import Query, parse_command
from bot.slack import cards
from bot.slack.listeners.common import (
    PositionReporter,
    actor_from_body,
    denial_card,
    mask_for,
    message,
    outcome_card,
    respond_safely,
    shutting_down_card,
)
from bot.slack.runtime import Actor, Outcome, SlackRuntime

COMMAND = "/wolkvox"
# How long the ack may wait for the lookup's first news: a cached card (then the card itself is
# the ack and no "searching…" message is left behind), its place in the token's queue, or word
# that it is being served. Usually that comes within a millisecond; this only bounds it.
ACK_WAIT = 0.04


async def status_card(rt: SlackRuntime, lang: str) -> cards.Card:
    status = await rt.service.status()
    info = cards.StatusInfo(
        queue_depth=status.queue_depth,
        cache_hit_rate=status.stats.cache_hit_rate,
        tokens=[(t.masked, t.used_today, t.quota, t.spent) for t in status.tokens],
        last_upstream_error=status.stats.last_upstream_error,
        backend=status.backend,
        backend_ok=status.backend_ok,
    )
    return cards.render_status(info, lang)


async def lookup_with_quick_ack(
    rt: SlackRuntime,
    actor: Actor,
    query: Query,
    ack: Any,
    respond: Any,
    *,
    lang: str,
) -> None:
    """Ack with the card when the answer is at hand within ACK_WAIT, else with "searching…"
    (and the queue position when it has to wait); the card then follows via response_url."""
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[Outcome] = loop.create_future()
    acked_with_card: asyncio.Future[bool] = loop.create_future()
    mask = mask_for(rt, visible=False)

    # Slack cannot replace a slash command's ack, so the position is told once, in the ack.
    reporter = PositionReporter(None)

    async def job() -> None:
        outcome = await rt.lookup(actor, query, on_wait=reporter)
        finished.set_result(outcome)
        if await acked_with_card:
            return
        answer_lang = await rt.lang_for(actor)
        card = outcome_card(rt, outcome, answer_lang, mask_phones=mask)
        await respond_safely(
            respond, **message(card, response_type="ephemeral", replace_original=False)
        )

    rt.spawn(job(), name=f"command:{actor.user_id}")
    try:
        await asyncio.wait(
            {finished, reporter.first}, timeout=ACK_WAIT, return_when="FIRST_COMPLETED"
        )
        if finished.done():
            await ack(**message(outcome_card(rt, finished.result(), lang, mask_phones=mask)))
            acked_with_card.set_result(True)
            return
        position = reporter.first.result() if reporter.first.done() else None  # 0: served
        await ack(
            **message(cards.render_searching(query, lang=lang, mask_phones=mask, position=position))
        )
    finally:
        if not acked_with_card.done():
            acked_with_card.set_result(False)


def register(app: Any, rt: SlackRuntime) -> None:
    @app.command(COMMAND)
    async def on_wolkvox(ack: Any, body: dict[str, Any], respond: Any) -> None:
        actor = actor_from_body(body, "command")
        lang = rt.lang_now(actor)
        try:
            command = parse_command(
                str(body.get("text") or ""),
                rt.settings.phone_region,
                rt.settings.wolkvox_campaign_id,
            )
        except QueryError as error:
            await ack(**message(cards.render_usage(error, lang)))
            return
        if command.verb == "help":
            await ack(**message(cards.render_help(lang)))
            return
        if command.verb == "status":  # token usage and errors: for allowed users only
            allowed = await rt.access.user_allowed(actor.user_id)
            await ack(
                **message(await status_card(rt, lang) if allowed else cards.render_refusal(lang))
            )
            return
        if not rt.accepting:
            await ack(**message(shutting_down_card(lang)))
            return
        denial = await rt.access.check(actor.user_id, actor.channel_id, visible=False)
        if denial is not None:
            await ack(**message(denial_card(denial, lang)))
            return
        assert command.query is not None
        await lookup_with_quick_ack(rt, actor, command.query, ack, respond, lang=lang)

"""`@Wolkvox find 3001234567` in a channel: the card as a reply in the mention's thread.

Slack retries an event it thinks was slow (same event_id, X-Slack-Retry-Num): the first
delivery claims the event id in the shared store, so a retry never causes a second lookup.
"""

from __future__ import annotations

import re
from typing import Any

from bot.errors import QueryError, StoreUnavailable
from bot.query import Command, extract_queries, parse_command
from bot.slack import cards
from bot.slack.listeners.common import (
    PositionReporter,
    apology_card,
    call_web_safely,
    denial_card,
    mask_for,
    message,
    outcome_card,
    shutting_down_card,
)
from bot.slack.runtime import Actor, SlackRuntime

EVENT_DEDUPE_TTL = 3600.0  # Slack retries within minutes; an hour is ample
_MENTION_RE = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def strip_mentions(text: str) -> str:
    return _MENTION_RE.sub(" ", text).strip()


def command_texts(text: str) -> list[str]:
    """What to read as the command: the words after the first mention (so "hola @Wolkvox find
    300…" works), then the whole text without mentions; duplicates dropped."""
    match = _MENTION_RE.search(text)
    after = strip_mentions(text[match.end() :]) if match else ""
    return list(dict.fromkeys([after, strip_mentions(text)]))


def parse_mention(text: str, region: str, default_campaign: str) -> Command:
    """A command after the mention, else the first phone or labelled id in the sentence
    ("@Wolkvox ¿me ayudas con el 300 123 4567?"), else the command's own error."""
    first_error: QueryError | None = None
    for candidate in command_texts(text):
        try:
            return parse_command(candidate, region, default_campaign)
        except QueryError as error:
            first_error = first_error or error
    found = extract_queries(
        strip_mentions(text), region, limit=1, default_campaign=default_campaign
    )
    if found:
        return Command("find", found[0])
    assert first_error is not None
    raise first_error


def register(app: Any, rt: SlackRuntime) -> None:
    @app.event("app_mention")
    async def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
        event_id = str(body.get("event_id") or "")
        channel = str(event.get("channel") or "")
        user = str(event.get("user") or "")
        try:
            if event_id and not await rt.store.value_set_if_absent(
                f"event:{event_id}", "1", EVENT_DEDUPE_TTL
            ):
                return  # a retry of an event already being answered
        except StoreUnavailable as error:
            # No lookup can run without the store either: say so privately, not as a bug.
            card = cards.render_error(error, lang=rt.settings.lang)
            await call_web_safely(
                rt, "chat_postEphemeral", channel=channel, user=user, **message(card)
            )
            return
        thread_ts = str(event.get("thread_ts") or event.get("ts") or "")
        actor = Actor(
            team_id=str(body.get("team_id") or ""),
            user_id=user,
            channel_id=channel,
            surface="mention",
        )

        async def apologize(error_id: str) -> None:
            await call_web_safely(
                rt,
                "chat_postEphemeral",
                channel=channel,
                user=user,
                **message(apology_card(rt.settings.lang, error_id)),
            )

        async with rt.tracked(apologize=apologize):
            await answer_mention(rt, actor, str(event.get("text") or ""), thread_ts)


async def answer_mention(rt: SlackRuntime, actor: Actor, text: str, thread_ts: str) -> None:
    lang = await rt.lang_for(actor)

    async def private(card: cards.Card) -> None:
        await call_web_safely(
            rt,
            "chat_postEphemeral",
            channel=actor.channel_id,
            user=actor.user_id,
            thread_ts=thread_ts or None,
            **message(card),
        )

    async def in_thread(card: cards.Card) -> None:
        await call_web_safely(
            rt, "chat_postMessage", channel=actor.channel_id, thread_ts=thread_ts, **message(card)
        )

    try:
        command = parse_mention(text, rt.settings.phone_region, rt.settings.wolkvox_campaign_id)
    except QueryError as error:
        await private(cards.render_usage(error, lang))
        return
    if command.verb == "help":
        await private(cards.render_help(lang))
        return
    if command.verb == "status":
        from bot.slack.listeners.commands import status_card

        allowed = await rt.access.user_allowed(actor.user_id)
        await private(await status_card(rt, lang) if allowed else cards.render_refusal(lang))
        return
    if not rt.accepting:
        await private(shutting_down_card(lang))
        return
    denial = await rt.access.check(actor.user_id, actor.channel_id, visible=True)
    if denial is not None:
        await private(denial_card(denial, lang))
        return
    query = command.query
    assert query is not None
    mask = mask_for(rt, visible=True)
    posted = await call_web_safely(
        rt,
        "chat_postMessage",
        channel=actor.channel_id,
        thread_ts=thread_ts,
        **message(cards.render_searching(query, lang=lang, mask_phones=mask, position=None)),
    )
    searching_ts = str(posted.get("ts") or "") if posted else ""

    async def show_position(position: int) -> None:
        if searching_ts:
            card = cards.render_searching(query, lang=lang, mask_phones=mask, position=position)
            await call_web_safely(
                rt, "chat_update", channel=actor.channel_id, ts=searching_ts, **message(card)
            )

    outcome = await rt.lookup(actor, query, on_wait=PositionReporter(show_position))
    card = outcome_card(rt, outcome, lang, mask_phones=mask)
    if searching_ts:
        updated = await call_web_safely(
            rt, "chat_update", channel=actor.channel_id, ts=searching_ts, **message(card)
        )
        if updated is not None:
            return
    await in_thread(card)

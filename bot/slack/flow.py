"""One lookup flow for every surface: draining? → access → lookup → card → reply, audited.

A listener only turns its payload into an `Ask` (who, where, in which language) and a `Reply`
(how its surface answers: an ack, a response_url, a thread post then an update, a view); the
gate, the masking, the card and the audit line are the same for every surface, so a new
surface is a thin listener, never a copy of the gate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from bot.errors import LookupFailure, QueryError, StoreUnavailable
from bot.i18n import t
from bot.query import Command, Query, extract_queries
from bot.slack import cards, handover
from bot.slack.access import Denial
from bot.slack.delivery import call_web_safely
from bot.slack.dialing import Dialing
from bot.slack.disclosure import Audience, Disclosure, decide
from bot.slack.export import CsvExport
from bot.slack.home import HomeTab
from bot.slack.ids import MAX_MESSAGE_BLOCKS
from bot.slack.replies import (
    CardStyle,
    ConversationReply,
    Reply,
    apology_card,
    denial_card,
    restarted_card,
    shutting_down_card,
)
from bot.slack.runtime import (
    HANDOVER_QUEUE,
    HANDOVER_TTL,
    Actor,
    Outcome,
    SlackRuntime,
    Surface,
    Waiter,
    new_error_id,
)
from bot.wolkvox.lookup import SLOW, ServiceStatus
from bot.wolkvox.operations import combined
from bot.wolkvox.records import CampaignSummary

log = logging.getLogger(__name__)
T = TypeVar("T")

POSITION_UPDATE_EVERY = 2.0  # seconds between "you're Nth in line" updates
# How long the access check (a user group read from Slack) may hold the first reply: well
# inside the 3 s ack; past it the agent is told "checking your access…" and the answer follows.
ACCESS_WAIT = 1.2
EVENT_DEDUPE_TTL = 3600.0  # Slack retries within minutes; an hour is ample
OFFER_WAIT = 0.5  # a card waits this long at most to name the asker's extension on *Call*
CAMPAIGN_PICKER_WAIT = 1.0  # the search modal's trigger dies 3 s after the click

# Text, phone region, default campaign → the command in it (bot.slack.payloads.parse_*).
Parser = Callable[[str, str, str], Command]


@dataclass(frozen=True, slots=True)
class Ask:
    """Who asks, where the access rules look, and in which language to answer at once.

    `lang`: what a listener knows at once (`SlackRuntime.lang_now`: the payload's locale, or
    one already read); the flow alone waits for the user's locale, for what comes after the
    ack (`reader_lang`), where the reply's style lets it.
    `channel`: the conversation the channel rule checks; None where the answer is the user's
    alone (the search modal, a private card's button); "" when a payload lacked its channel.
    `visible`: the answer will be read by the whole conversation (access rules for a DM differ).
    """

    actor: Actor
    lang: str
    channel: str | None
    visible: bool = False
    refresh: bool = False
    bucket: str = ""  # the rate-limit bucket when no user asks (a workflow step without one)
    # The card this request starts from hid phones and ids (its sealed value said so): what
    # follows hides them too (bot.slack.disclosure).
    origin_concealed: bool = False


class PositionReporter:
    """Turns the guard's queue positions into at most one update every few seconds.

    `first` resolves with the first report: a queue position, or SERVING (0) when the lookup
    went straight to Wolkvox. Positions are sent on to `send`; SLOW (Wolkvox is taking long
    over this query) to `slow`, once."""

    def __init__(
        self,
        send: Callable[[int], Awaitable[None]] | None,
        *,
        slow: Callable[[], Awaitable[None]] | None = None,
        waiter: Waiter | None = None,
    ) -> None:
        self.send = send
        self.slow = slow
        self.waiter = waiter
        self.last: int | None = None
        self.last_at = 0.0
        self.first: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def __call__(self, position: int) -> None:
        if not self.first.done():
            self.first.set_result(position)
        if self.waiter is not None:
            self.waiter.serving = position <= 0  # SERVING or SLOW: at Wolkvox now
        if position == SLOW:
            await self._tell_slow()
            return
        if self.send is None or position <= 0:
            return
        now = time.monotonic()
        if self.last is not None and now - self.last_at < POSITION_UPDATE_EVERY:
            return
        if position == self.last:
            return
        self.last, self.last_at = position, now
        try:
            await self.send(position)
        except Exception as error:
            log.debug("position update failed: %s", type(error).__name__)

    async def _tell_slow(self) -> None:
        slow, self.slow = self.slow, None  # once
        if slow is None:
            return
        try:
            await slow()
        except Exception as error:
            log.debug("slow notice failed: %s", type(error).__name__)


class LookupFlow:
    """The gate and the answer, shared by every listener."""

    def __init__(self, rt: SlackRuntime) -> None:
        self.rt = rt
        self.dialing = Dialing(rt)
        self.home = HomeTab(rt, self.status_card, self.may_search, self.dialing.home_lines)

    # --- what a listener calls --------------------------------------------------------------
    async def command(self, ask: Ask, command: Command, reply: Reply) -> None:
        """A parsed `/wolkvox …` (or a mention, a DM): help, status, or a lookup."""
        if command.verb == "help":
            await reply.notice(cards.render_help(ask.lang))
        elif command.verb == "status":  # token usage and errors: for allowed users only
            allowed = await self._in_time(self.may_search(ask.actor), ask, reply)
            card = await self.status_card(ask.lang) if allowed else cards.render_refusal(ask.lang)
            await reply.notice(card)
        elif command.verb == "call":  # the same confirmation as the card's *Call* button
            assert command.query is not None
            await reply.notice(await self.call_card(ask, command.query, reply))
        else:
            assert command.query is not None
            await self.find(ask, [command.query], reply)

    async def call_card(self, ask: Ask, query: Query, reply: Reply) -> cards.Card:
        """`/wolkvox call <phone>`: for someone the access rule lets search here, on an answer
        only they read, the confirmation to dial: through the operation named (within the
        channel's or their groups' pins), else those of the number's country, else each."""
        refusal = await self._in_time(self.gate(ask, count=False), ask, reply)
        if refusal is not None:
            return refusal
        if not self.disclosure(ask, reply.style).may_dial:
            return cards.notice_card("🚫", t(ask.lang, "dial_not_here"))
        # The operations a search of this number would go to (an unknown one is its usage
        # message; one outside the channel's or groups' pins gives way to them).
        pinned = await self._pinned_operations(ask)
        try:
            self.rt.service.searched(query)
            keys = self.rt.service.searched(_within(query, pinned) if pinned else query)
        except QueryError as error:
            return cards.render_usage(error, ask.lang)
        return await self.dialing.call_card(ask.actor, query.phone, keys, ask.lang)

    async def may_search(self, actor: Actor) -> bool:
        """May this person search at all (their organisation, the user and group lists)? For
        what shows no customer but is theirs only: status, the Home tab, campaign names."""
        return await self._denial(actor, None, visible=False, count=False) is None

    async def campaign_suggestions(self, actor: Actor, typed: str, lang: str) -> list[Any]:
        """The search modal's campaign options filtered by what was typed; nothing at all for
        someone who may not search. Never a Wolkvox call (the hourly list)."""
        check = asyncio.ensure_future(self.may_search(actor))
        done, _ = await asyncio.wait({check}, timeout=ACCESS_WAIT)  # the ack waits on this
        if not done or not check.result():
            return []  # not allowed, or Slack too slow to say: nothing (the check goes on)
        return cards.campaign_options(self.rt.service.campaign_list(), typed, lang)

    async def first_delivery(self, event_id: str, reply: Reply) -> bool:
        """Claim an event id; False for a retry of an event already being answered (Slack
        retries events it thinks were slow). With the store down no lookup can run either: the
        agent is told so privately, not as a bug."""
        if not event_id:
            return True
        try:
            return await self.rt.store.value_set_if_absent(
                f"event:{event_id}", "1", EVENT_DEDUPE_TTL
            )
        except StoreUnavailable as error:
            await reply.notice(cards.render_error(error, lang=self.rt.settings.lang))
            return False

    async def conversation(
        self,
        event_id: str,
        actor: Actor,
        text: str,
        reply: ConversationReply,
        parse: Parser,
        *,
        visible: bool,
    ) -> None:
        """Words someone wrote where the bot reads them (a mention, a DM), answered in that
        conversation: the command in them, else the phone or id in the sentence. An event
        Slack delivers again (`event_id` already claimed) is answered once."""
        if not await self.first_delivery(event_id, reply):
            return
        async with self.rt.tracked(apologize=reply.apologize):
            ask = Ask(actor, self.rt.lang_now(actor), actor.channel_id, visible=visible)
            ask = replace(ask, lang=await self.reader_lang(ask, reply))  # events wait no ack
            settings = self.rt.settings
            try:
                # Off the event loop: reading prose for phones costs up to tens of ms, and a
                # team's acks must not wait behind someone's pasted log.
                command = await asyncio.to_thread(
                    parse, text, settings.phone_region, settings.wolkvox_campaign_id
                )
            except QueryError as error:
                await self.usage(ask, error, reply)
                return
            await self.command(ask, command, reply)

    async def find_in_message(self, ask: Ask, text: str, limit: int, reply: Reply) -> None:
        """The phones and ids written in a message (a shortcut on it), read off the event
        loop, looked up together; or "nothing found" when it holds none."""
        ask = replace(ask, lang=await self.reader_lang(ask, reply))  # acked already
        settings = self.rt.settings
        queries = await asyncio.to_thread(
            extract_queries,
            text,
            settings.phone_region,
            limit=limit,
            default_campaign=settings.wolkvox_campaign_id,
        )
        if not self.rt.accepting or queries:
            await self.find(ask, queries, reply)
        else:
            await reply.notice(cards.render_nothing_found_in_message(ask.lang))

    async def export(self, ask: Ask, query: Query, reply: Reply) -> None:
        """Export CSV: every record and field, to the asker's DM. Only from a card that was the
        asker's alone and hid nothing (the disclosure rule's `full_detail`): a card a channel
        saw, or one that comes from such a card, never yields the full file."""
        style = CardStyle(visible=ask.visible)
        if not self.disclosure(ask, style).full_detail:
            await reply.notice(cards.render_export_refused(ask.lang))
            return
        denial = await self.gate(ask, count=True)
        if denial is not None:
            await reply.notice(denial)
            return
        masked = cards.inert(cards.describe_query(query, ask.lang, mask=True, mask_id=True), 200)
        await reply.notice(cards.notice_card("⏳", t(ask.lang, "export_preparing", query=masked)))
        await CsvExport(self.rt).run(ask.actor, query, ask.lang, reply.notice)

    async def dial(self, ask: Ask, value: str, reply: Reply) -> None:
        """*Call* pressed: only where the disclosure rule lets a card dial (a card a channel
        reads never does, whatever its button says), then the dial's own rules."""
        if not self.disclosure(ask, CardStyle(visible=ask.visible)).may_dial:
            await reply.notice(cards.notice_card("🚫", t(ask.lang, "dial_not_here")))
            return
        refusal = await self.gate(ask, count=False)  # who may search here may dial from here
        if refusal is not None:
            await reply.notice(refusal)
            return
        pinned = await self._pinned_operations(ask)
        await self.dialing.press(
            ask.actor, value, ask.lang, reply.notice, operations=pinned or None
        )

    async def usage(self, ask: Ask, error: QueryError, reply: Reply) -> None:
        """Input that is not a search: what was wrong and how a search is written."""
        await reply.notice(cards.render_usage(error, ask.lang))

    async def find(self, ask: Ask, queries: Sequence[Query], reply: Reply) -> None:
        """Look `queries` up for `ask.actor` and answer through `reply`; never raises."""
        async with self.rt.tracked(apologize=reply.apologize):
            denial = await self._bounded_gate(ask, reply)
            if denial is not None:
                await reply.notice(denial)
                return

            await self._answer(ask, queries, reply)

    async def _answer(self, ask: Ask, queries: Sequence[Query], reply: Reply) -> None:
        """The lookups of an ask the gate let through, answered through `reply`; while they
        run, a restart tells the agent (or hands the ask to another instance)."""
        pinned = await self._pinned_operations(ask)
        if pinned:
            queries = [_within(q, pinned) for q in queries]

        async def tell_restarted() -> None:
            await reply.interrupted(restarted_card(ask.lang))

        def pack() -> bytes | None:
            return self._pack(ask, queries, reply)

        with self.rt.waiting(tell_restarted, pack) as waiter:
            if len(queries) == 1:
                outcomes = [await self._one(ask, queries[0], reply, waiter)]
            else:
                outcomes = await self._many(ask, queries, reply)
        self._remember(ask.actor, outcomes)

    async def gate(self, ask: Ask, *, count: bool) -> cards.Card | None:
        """The card that refuses this ask (restarting, not allowed, too many searches), or None.

        `count` False checks access only (opening the search modal costs no lookup)."""
        if not self.rt.accepting:
            return shutting_down_card(ask.lang)
        denial = await self._denial(
            ask.actor, ask.channel, visible=ask.visible, count=count, bucket=ask.bucket
        )
        return denial_card(denial, ask.lang) if denial is not None else None

    async def _denial(
        self,
        actor: Actor,
        channel: str | None,
        *,
        visible: bool,
        count: bool,
        bucket: str | None = None,
    ) -> Denial | None:
        """The one access rule, for every surface: organisation, user lists, channel, rate."""
        if not actor.user_id:
            # Nobody to check (a workflow run without `requested_by`): under any allow-list that
            # is a refusal saying how to name the person; without one, the organisation the run
            # belongs to and the bucket's rate.
            if self.rt.access.any_allow_list or not bucket or actor.orgs is None:
                return Denial("nobody")
            if not await self.rt.access.org_allowed(actor.orgs):
                return Denial("org")
            return await self.rt.access.rate(bucket) if count else None
        return await self.rt.access.check(
            actor.user_id, channel, visible=visible, count=count, orgs=actor.orgs
        )

    async def open_search(self, ask: Ask, trigger_id: str) -> None:
        """The search modal (or, for a user who may not search, why not). The trigger id dies
        3 s after the click: nothing slow before it; opening it costs no lookup."""
        web = self.rt.web
        check = asyncio.ensure_future(self.gate(ask, count=False))
        done, _ = await asyncio.wait({check}, timeout=ACCESS_WAIT)
        opened: dict[str, Any] | None = None
        if not done:  # Slack is slow to say who is allowed: open now, fill in when it says
            waiting = cards.result_modal(cards.render_checking_access(ask.lang), ask.lang)
            opened = await call_web_safely(web, "views_open", trigger_id=trigger_id, view=waiting)
        refusal = await check
        if refusal is not None:
            view = cards.result_modal(refusal, ask.lang)
        else:
            view = cards.search_modal(
                ask.lang,
                campaigns=await self._campaigns_for_picker(),
                operations=await self.pickable_operations(ask),
            )
        if opened is None:
            await call_web_safely(web, "views_open", trigger_id=trigger_id, view=view)
        elif view_id := str((opened.get("view") or {}).get("id") or ""):
            await call_web_safely(web, "views_update", view_id=view_id, view=view)

    async def _campaigns_for_picker(self) -> dict[str, str]:
        """The hourly campaign list; when there is none yet, one fetch (at most one an hour),
        waited on briefly: past CAMPAIGN_PICKER_WAIT the modal opens with the typed-id field
        and the fetch finishes for the next one."""
        service = self.rt.service
        campaigns = service.campaign_list()
        if campaigns:
            return campaigns
        fetch = self.rt.spawn(service.refresh_campaign_list(), name="campaign-list")
        await asyncio.wait({fetch}, timeout=CAMPAIGN_PICKER_WAIT)
        return service.campaign_list()

    async def _bounded_gate(self, ask: Ask, reply: Reply) -> cards.Card | None:
        """The gate, without letting a slow Slack API make the first reply late."""
        return await self._in_time(self.gate(ask, count=True), ask, reply)

    async def _in_time(self, check: Awaitable[T], ask: Ask, reply: Reply) -> T:
        """An access check a first reply waits on: past ACCESS_WAIT the agent is told it is
        being checked (the ack goes out in time) and the answer follows when Slack says."""
        task = asyncio.ensure_future(check)
        done, _ = await asyncio.wait({task}, timeout=ACCESS_WAIT)
        if not done:
            await reply.notice(cards.render_checking_access(ask.lang))
        return await task

    def disclosure(self, ask: Ask, style: CardStyle) -> Disclosure:
        """What this request's answer may show: the one rule (bot.slack.disclosure), applied
        here and only here, from who reads the answer and what its origin allowed."""
        if ask.actor.surface == Surface.WORKFLOW:
            audience = Audience.WORKFLOW
        elif style.visible or style.shared_by is not None:
            audience = Audience.CONVERSATION
        else:
            audience = Audience.ASKER
        return decide(
            self.rt.settings.mask_phones,
            audience,
            origin_concealed=ask.origin_concealed,
            shared=style.shared_by is not None,
        )

    def card(
        self,
        outcome: Outcome,
        style: CardStyle,
        lang: str,
        call: cards.CallOffer | None = None,
    ) -> cards.Card:
        """The card for one lookup's outcome, as its disclosure allows; a bug in rendering
        becomes an apology with an error id (logged), never an exception that would leave
        "searching…" forever."""
        rt = self.rt
        seen = outcome.disclosure
        try:
            if outcome.result is not None:
                return cards.render_result(
                    outcome.result,
                    lang=style.audience_lang or lang,
                    tz=rt.settings.tz,
                    now=rt.clock(),
                    mask_phones=seen.mask_phones,
                    mask_ids=seen.conceal,
                    max_blocks=style.max_blocks,
                    shared_by=style.shared_by,
                    actions=style.actions,
                    full_detail=seen.full_detail,
                    # Buttons carry the query sealed (a channel can read a button's value), and
                    # say whether this card hides phones and ids, so what comes from it does too.
                    button_value=rt.sealer.seal(outcome.result.query, concealed=seen.conceal),
                    call=call if seen.may_dial and not style.visible else None,
                )
            error = outcome.error or LookupFailure("no result")
            return cards.render_error(error, lang=lang, error_id=outcome.error_id)
        except Exception:
            error_id = new_error_id()
            log.exception("rendering the card failed (error id %s)", error_id)
            return apology_card(lang, error_id)

    async def status_card(self, lang: str) -> cards.Card:
        statuses = await self.rt.service.statuses()
        status = combined(statuses)
        several = len(statuses) > 1

        def named(s: ServiceStatus, what: str) -> str:  # "Ecuador · tok…xyz" when several
            return f"{s.operation_name} · {what}" if several else what

        info = cards.StatusInfo(
            queue_depth=status.queue_depth,
            cache_hit_rate=status.stats.cache_hit_rate,
            tokens=[
                (named(s, t.masked), t.used_today, t.quota, t.spent)
                for s in statuses
                for t in s.tokens
            ],
            last_upstream_error=", ".join(
                named(s, s.wolkvox_last_error) for s in statuses if s.wolkvox_last_error
            )
            or None,
            backend=status.backend,
            backend_ok=status.backend_ok,
        )
        return cards.render_status(info, lang)

    # --- hand-over between instances ----------------------------------------------------------
    def _pack(self, ask: Ask, queries: Sequence[Query], reply: Reply) -> bytes | None:
        """This lookup as another instance would take it over, or None when it cannot go."""
        route = reply.route_for_handover()
        if route is None or len(queries) != 1:
            return None
        style, query, actor = reply.style, queries[0], ask.actor
        max_blocks = style.max_blocks if route.kind == "view" else MAX_MESSAGE_BLOCKS
        data = handover.encode(
            handover.Handover(
                team_id=actor.team_id,
                user_id=actor.user_id,
                channel_id=actor.channel_id,
                surface=actor.surface,
                lang=ask.lang,
                phone=query.phone,
                customer_id=query.customer_id,
                campaign_id=query.campaign_id,
                operation=query.operation,
                refresh=ask.refresh,
                route=route,
                visible=style.visible,
                max_blocks=max_blocks,
                actions=style.actions,
                shared_by=style.shared_by,
                audience_lang=style.audience_lang,
                conceal=self.disclosure(ask, style).conceal,
                handed_at=time.time(),
                orgs=actor.orgs,
                visible_ask=ask.visible,
                ask_channel=ask.channel,
            )
        )
        return self.rt.sealer.seal_item(data)

    async def take_over(self, poll: float = 1.0) -> None:
        """Answer lookups other instances handed over while they stopped; runs until this
        instance stops accepting work (what it took but cannot start goes back)."""
        rt = self.rt
        while rt.accepting:
            try:
                item = await rt.store.queue_pop(HANDOVER_QUEUE, poll)
            except LookupFailure:
                await asyncio.sleep(poll)  # the store is down: try again later
                continue
            if item is None:
                continue
            if not rt.accepting:  # stopping too: give it back for another instance
                try:
                    await rt.store.queue_push(HANDOVER_QUEUE, item, HANDOVER_TTL)
                except LookupFailure:
                    log.warning("could not give back a handed-over lookup; it is lost")
                return
            opened = rt.sealer.open_item(item, HANDOVER_TTL)
            if opened is None:
                log.warning("a hand-over item not sealed by this app (or too old); dropped")
                continue
            if not await self._first_use(item):
                log.warning("a hand-over item seen before (a replay); dropped")
                continue
            taken = handover.decode(opened)
            if taken is None or not handover.still_deliverable(taken):
                log.warning("a handed-over lookup was unreadable or too old; dropped")
                continue
            rt.spawn(self.resume(taken), name=f"handover:{taken.surface}")

    async def pickable_operations(self, ask: Ask) -> list[tuple[str, str]]:
        """(key, name) of the operations the search modal offers: those the asker's groups are
        pinned to, else all of them (a pick outside the pins is narrowed like `en`)."""
        pinned = await self._pinned_operations(ask)
        operations = self.rt.settings.operations
        return [(op.key, op.name) for op in operations if not pinned or op.key in pinned]

    async def _pinned_operations(self, ask: Ask) -> tuple[str, ...]:
        """The operations this ask's channel, or the asker's user groups, are pinned to
        (WOLKVOX_<OP>_CHANNELS, _USERGROUPS); () when none is: every operation."""
        operations = self.rt.settings.operations
        if len(operations) < 2:
            return ()
        channel = ask.channel or ""
        pinned = [op.key for op in operations if channel and channel in op.channels]
        if not pinned and ask.actor.user_id:
            for op in operations:
                if op.usergroups and await self.rt.access.in_groups(
                    ask.actor.user_id, op.usergroups
                ):
                    pinned.append(op.key)
        return tuple(pinned)

    async def _first_use(self, item: bytes) -> bool:
        """Claim a sealed item once: a copy pushed again (by anyone who can write to the store)
        would look the customer up and post the card again."""
        claim = f"handover:{self.rt.settings.digest('handover', item.hex())}"
        try:
            return await self.rt.store.value_set_if_absent(claim, "1", HANDOVER_TTL)
        except StoreUnavailable:
            return False  # the store went away: the item cannot be known to be fresh

    async def resume(self, taken: handover.Handover) -> None:
        """Finish a lookup another instance started. Its gate was passed there; it runs again
        here (access only: the search was counted there), so a user removed in between, or an
        item that somehow names someone else, gets the refusal, never the card."""
        reply = handover.RoutedReply(self.rt.web, self.rt.hooks, taken)
        ask = Ask(
            taken.actor,
            taken.lang,
            taken.ask_channel,
            refresh=taken.refresh,
            origin_concealed=taken.conceal,
            visible=taken.visible_ask,
        )
        async with self.rt.tracked(apologize=reply.apologize):
            refusal = await self.gate(ask, count=False)
            if refusal is not None:
                await reply.notice(refusal)
                return

            await self._answer(ask, [taken.query], reply)

    def _remember(self, actor: Actor, outcomes: Sequence[Outcome]) -> None:
        """The user's recent lookups and their home tab, after the answer (never delaying it)."""
        if actor.user_id and outcomes and actor.surface != Surface.WORKFLOW:
            self.rt.spawn(self.home.lookups_done(actor, outcomes), name="home:republish")

    # --- internals --------------------------------------------------------------------------
    async def reader_lang(self, ask: Ask, reply: Reply) -> str:
        """The language of what comes after the ack: the user's Slack locale (users.info, read
        once, shared) where the reply may wait for it, else what was known at once. The reply
        keeps it for anything it says later (an apology, a workflow's outputs)."""
        lang = ask.lang
        if reply.style.wait_for_locale and ask.actor.user_id:
            lang = await self.rt.lang_for(ask.actor)
        reply.lang = lang
        return lang

    async def _one(
        self, ask: Ask, query: Query, reply: Reply, waiter: Waiter | None = None
    ) -> Outcome:
        style = reply.style
        seen = self.disclosure(ask, style)

        async def show_position(position: int) -> None:
            await reply.waiting(query, position, lang=ask.lang, seen=seen)

        async def show_slow() -> None:
            await reply.waiting(query, SLOW, lang=ask.lang, seen=seen)

        reporter = PositionReporter(
            show_position if style.follow_positions else None, slow=show_slow, waiter=waiter
        )
        if style.quick <= 0:
            await reply.waiting(query, None, lang=ask.lang, seen=seen)
        lookup = asyncio.ensure_future(
            self.rt.lookup(ask.actor, query, seen, refresh=ask.refresh, on_wait=reporter)
        )
        if style.quick > 0:
            news: set[asyncio.Future[Any]] = {lookup, reporter.first}
            await asyncio.wait(news, timeout=style.quick, return_when="FIRST_COMPLETED")
            if lookup.done():  # the answer was at hand: it is the first reply itself
                outcome = lookup.result()
                call = await self._call_offer(ask, outcome, style)
                await reply.answer(self.card(outcome, style, ask.lang, call), [outcome])
                self._follow_late(ask, outcome, reply)
                return outcome
            position = reporter.first.result() if reporter.first.done() else None
            await reply.waiting(query, position or None, lang=ask.lang, seen=seen)
        outcome = await lookup
        lang = await self.reader_lang(ask, reply)
        call = await self._call_offer(ask, outcome, style)
        await reply.answer(self.card(outcome, style, lang, call), [outcome])
        self._follow_late(ask, outcome, reply)
        return outcome

    async def _call_offer(
        self, ask: Ask, outcome: Outcome, style: CardStyle
    ) -> cards.CallOffer | None:
        """*Call* beside each phone, on a card the disclosure rule lets dial from (its asker's
        alone, hiding nothing) that has buttons: each value sealed to the asker, each confirm
        naming their extension where it is known without asking Wolkvox."""
        if not (outcome.disclosure.may_dial and style.actions and not style.visible):
            return None
        if outcome.result is None or not outcome.result.answer.campaigns:
            return None
        try:
            extensions = await asyncio.wait_for(self.dialing.offers(ask.actor), timeout=OFFER_WAIT)
        except TimeoutError:
            extensions = {}
        by_name = {op.name: op.key for op in self.rt.settings.operations}
        actor, dialing = ask.actor, self.dialing

        def offer(campaign: CampaignSummary) -> tuple[str, str] | None:
            key = by_name.get(campaign.operation)
            if key is None:
                return None
            value = dialing.seal(
                actor, key, campaign.phone, campaign.customer_id, campaign.customer_name
            )
            return value, extensions.get(key, "")

        return offer

    def _follow_late(self, ask: Ask, outcome: Outcome, reply: Reply) -> None:
        """A card that named an operation "still searching" is made whole when it answers
        (or fails): the same disclosure, rendered again, given to `reply.update`."""
        late = outcome.result.late if outcome.result is not None else None
        if late is None:
            return

        async def complete() -> None:
            try:
                result = await late
            except LookupFailure:
                return  # a bug in it is logged by spawn; a failure leaves the card as it was
            whole = replace(outcome, result=result)
            lang = await self.reader_lang(ask, reply)
            call = await self._call_offer(ask, whole, reply.style)
            await reply.update(self.card(whole, reply.style, lang, call), [whole])

        self.rt.spawn(complete(), name="late-operations")

    async def _many(self, ask: Ask, queries: Sequence[Query], reply: Reply) -> list[Outcome]:
        """Several queries of one message, looked up together, answered in one message."""
        seen = self.disclosure(ask, reply.style)
        outcomes = await asyncio.gather(
            *(self.rt.lookup(ask.actor, q, seen, refresh=ask.refresh) for q in queries)
        )
        lang = await self.reader_lang(ask, reply)
        answer = cards.render_multi([self.card(o, reply.style, lang) for o in outcomes], lang=lang)
        await reply.answer(answer, outcomes)
        return list(outcomes)


def _within(query: Query, pinned: Sequence[str]) -> Query:
    """`query` limited to the pinned operations: a narrowing (`en ec`) stays if it is one of
    them, else the search goes to all of them."""
    if query.operation in pinned:
        return query
    return replace(query, operation=",".join(pinned))

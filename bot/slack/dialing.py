"""Calling a customer back from Slack: who is which Wolkvox agent, the *Call* offer, the dial.

Who an agent is, per operation, in this order: an administrator's mapping
(WOLKVOX_<OP>_AGENTS / WOLKVOX_AGENTS); the user's Slack e-mail (users.info, scope
users:read.email) matched to an enabled agent's `agent_sso` in `information.php?api=agents`
(read at most hourly per operation, through the guard); or the extension the user linked on the
Home tab, checked against that list when linked (WOLKVOX_AGENT_SELF_LINK). A link lives in the
store under a keyed digest: no user id in clear.

A dial is offered only where the disclosure rule says `may_dial` (a card its asker alone reads,
hiding nothing), its button's value sealed to that user. Pressed, it is checked like a search
(the same access rule), limited per user (WOLKVOX_DIAL_RATE an hour), dialled once however often
it is pressed within DIAL_ONCE seconds, sent through the token's guard ahead of lookups, never
retried, audited (surface `dial`) and counted (`wolkvox_dials_total`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.audit import DialRecord
from bot.config import Operation
from bot.errors import LookupFailure, StoreUnavailable
from bot.i18n import MESSAGES, t
from bot.metrics import DIALS
from bot.slack import cards
from bot.slack.runtime import Actor, SlackRuntime
from bot.slack.sealed import DialTarget
from bot.slack.single_flight import SingleFlightCache
from bot.wolkvox.client import Agent
from bot.wolkvox.errors import DialRefused, DialUncertain
from bot.wolkvox.lookup import LookupService

log = logging.getLogger(__name__)

DIAL_ONCE = 30.0  # a second press, a double click or a Slack retry within this dials once
DIAL_RATE_WINDOW = 3600.0  # WOLKVOX_DIAL_RATE counts dials in this window
LINK_TTL = 400 * 24 * 3600.0  # a self-made link lasts until unlinked (or a year without use)
EMAIL_TTL = 600.0
EMAIL_TIMEOUT = 3.0
LINK_LOCK = 10.0  # one link change at a time per user, across instances
LINK_WAIT = 2.0  # the link form's answer is its ack: Wolkvox's agents list waited on this long
DIAL_AGENTS_WAIT = 5.0  # a press waits at most this long for the agents list (hourly)
MAX_CALL_BUTTONS = 25  # Slack's limit for one actions block

Source = Literal["admin", "email", "link"]
Note = Callable[[cards.Card], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Extension:
    number: str
    source: Source


class Dialing:
    """The dial's own rules, beside the lookup flow (which applies the access rule, the
    disclosure rule and the operation pins before anything here)."""

    def __init__(self, rt: SlackRuntime) -> None:
        self.rt = rt
        self._emails: SingleFlightCache[str, str] = SingleFlightCache(ttl=EMAIL_TTL, maxsize=5000)

    # --- who is which agent -------------------------------------------------------------------
    def operation(self, key: str) -> tuple[Operation, LookupService] | None:
        service = self.rt.service.service_for(key)
        return (service.operation, service) if service is not None else None

    async def extension(self, actor: Actor, key: str, *, fetch: bool = True) -> Extension | None:
        """`actor`'s extension in the operation `key`, by the first of the three ways that
        knows it; None when none does. `fetch` False: never ask Wolkvox for its agents list
        (a card being rendered), only use it when already at hand."""
        found = self.operation(key)
        if found is None or not actor.user_id:
            return None
        op, service = found
        if actor.user_id in op.agents:
            return Extension(op.agents[actor.user_id], "admin")
        known = (
            await service.agent_list(wait=DIAL_AGENTS_WAIT) if fetch else service.agents_at_hand()
        )
        email = await self._email(actor.user_id) if known else ""
        if email:
            for agent in known:
                if agent.enabled and agent.sso == email:
                    return Extension(agent.extension, "email")
        if self.rt.settings.agent_self_link:
            linked = await self._linked(actor, op)
            if linked and (not fetch or self._still_theirs(linked, known, email)):
                return Extension(linked, "link")
        return None

    @staticmethod
    def _still_theirs(extension: str, agents: list[Agent], email: str) -> bool:
        """A link is used only while its extension is enabled in Wolkvox and not another SSO
        user's (re-checked before a dial: extensions are disabled and handed to others)."""
        agent = next((a for a in agents if a.extension == extension), None)
        return agent is not None and agent.enabled and agent.sso in ("", email)

    # A self-made link is two values in the store: the user's link (extension, a nonce, and the
    # bot's mark over both) and the extension's claim (its owner's digest and the same nonce).
    # A link counts only while the claim still names it, and no administrator gave the
    # extension to someone else: an old link value written back, a link whose claim was taken
    # or deleted, or a squat an administrator's mapping overrode, dials nothing.

    async def _linked(self, actor: Actor, op: Operation) -> str:
        """The extension `actor` linked in `op`, while that link is the one in force."""
        try:
            stored = await self.rt.store.value_get(self._link_key(actor, op.key)) or ""
            extension, nonce, mark = ([*stored.split("."), "", "", ""])[:3]
            if not extension or mark != self._link_mark(actor, op.key, extension, nonce):
                return ""
            claim = await self.rt.store.value_get(self._claim_key(op.key, extension))
        except StoreUnavailable:
            return ""
        if claim != f"{self._owner(actor)}.{nonce}":
            return ""
        if any(ext == extension and user != actor.user_id for user, ext in op.agents.items()):
            return ""
        return extension

    def _link_mark(self, actor: Actor, key: str, extension: str, nonce: str) -> str:
        what = f"{self._link_key(actor, key)}:{extension}:{nonce}"
        return self.rt.settings.digest("agent-link-value", what, 24)

    def _claim_key(self, key: str, extension: str) -> str:
        return f"agent-claim:{self.rt.settings.digest('agent-claim', f'{key}:{extension}')}"

    def _owner(self, actor: Actor) -> str:
        return self.rt.settings.digest("agent-owner", f"{actor.team_id}:{actor.user_id}", 24)

    async def _email(self, user_id: str) -> str:
        """The user's Slack e-mail (users:read.email), case-folded; "" when Slack gives none."""
        return await self._emails.get(user_id, lambda: self._fetch_email(user_id))

    async def _fetch_email(self, user_id: str) -> str:
        try:
            resp = await asyncio.wait_for(self.rt.web.users_info(user=user_id), EMAIL_TIMEOUT)
            profile = (resp.get("user") or {}).get("profile") or {}
            return str(profile.get("email") or "").strip().casefold()[:200]
        except Exception as error:  # no scope, Slack slow: the other ways still work
            log.debug("users.info for e-mail failed: %s", type(error).__name__)
            return ""

    def _link_key(self, actor: Actor, key: str) -> str:
        who = self.rt.settings.digest("agent-link", f"{actor.team_id}:{actor.user_id}:{key}")
        return f"agent-link:{who}"

    async def link(self, actor: Actor, key: str, extension: str) -> str | None:
        """Link `actor` to `extension` in operation `key`; None when done, else the i18n key
        of why not. The extension must be enabled in Wolkvox's agents list; one whose SSO user
        is set must be the user's own (their Slack e-mail); one an administrator gave someone
        else, or someone else holds, is refused: one extension, one Slack user. One link
        change at a time per user (across instances), the previous link's claim freed."""
        if not self.rt.settings.agent_self_link:
            return "link_off"
        if not extension.isdigit() or len(extension) > 12:
            return "link_bad_extension"
        found = self.operation(key)
        if found is None:
            return "link_unavailable"
        op, service = found
        agents = await service.agent_list(wait=LINK_WAIT)
        if not agents:
            return "link_unavailable"
        agent = next((a for a in agents if a.extension == extension and a.enabled), None)
        if agent is None:
            return "link_unknown_extension"
        if any(ext == extension and user != actor.user_id for user, ext in op.agents.items()):
            return "link_taken"
        if agent.sso and agent.sso != await self._email(actor.user_id):
            return "link_not_yours"
        owner = self._owner(actor)
        store = self.rt.store
        lock = f"agent-link-lock:{owner}"
        try:
            if not await store.value_set_if_absent(lock, "1", LINK_LOCK):
                return "link_busy"
            try:
                return await self._claim(actor, op, extension, owner)
            finally:
                await store.value_delete(lock)
        except StoreUnavailable:
            return "link_unavailable"

    async def _claim(self, actor: Actor, op: Operation, extension: str, owner: str) -> str | None:
        store = self.rt.store
        claim = self._claim_key(op.key, extension)
        holder = await store.value_get(claim)
        if holder and not holder.startswith(f"{owner}."):
            return "link_taken"
        previous = await self._linked(actor, op)
        if previous and previous != extension:
            await store.value_delete(self._claim_key(op.key, previous))
        nonce = secrets.token_hex(8)
        # Set if absent, else (a claim of ours: a re-link) overwrite it with the new nonce.
        if not await store.value_set_if_absent(claim, f"{owner}.{nonce}", LINK_TTL):
            current = await store.value_get(claim)
            if current and not current.startswith(f"{owner}."):
                return "link_taken"  # someone else took it this very moment
            await store.value_set(claim, f"{owner}.{nonce}", LINK_TTL)
        mark = self._link_mark(actor, op.key, extension, nonce)
        await store.value_set(
            self._link_key(actor, op.key), f"{extension}.{nonce}.{mark}", LINK_TTL
        )
        log.info("extension linked in operation %r (self-link)", op.key)
        return None

    async def unlink(self, actor: Actor, key: str) -> None:
        """Forget `actor`'s link in `key`, and their claim on its extension."""
        found = self.operation(key)
        if found is None:
            return
        op = found[0]
        try:
            linked = await self._linked(actor, op)
            if linked:
                await self.rt.store.value_delete(self._claim_key(key, linked))
            await self.rt.store.value_delete(self._link_key(actor, key))
        except StoreUnavailable:
            log.warning("unlink not saved: the shared store is unavailable")

    async def home_lines(self, actor: Actor) -> list[tuple[str, str, str]]:
        """(operation name, extension or "", how it is known) for each operation: the Home
        tab's *My Wolkvox extension*, without asking Wolkvox (its agents list when at hand)."""
        operations = self.rt.settings.operations
        found = await asyncio.gather(
            *(self.extension(actor, op.key, fetch=False) for op in operations)
        )
        return [
            (op.name, ext.number if ext else "", ext.source if ext else "")
            for op, ext in zip(operations, found, strict=True)
        ]

    # --- the offer ------------------------------------------------------------------------------
    def seal(self, actor: Actor, key: str, phone: str, customer_id: str, name: str) -> str:
        target = DialTarget(actor.user_id, key, phone, customer_id, name)
        return self.rt.sealer.seal_dial(target)

    async def offers(self, actor: Actor) -> dict[str, str]:
        """Operation key → the asker's extension ("" unknown), for every operation: what the
        card's confirm dialogs name. Quick: mappings, a cached list, the store."""
        keys = [op.key for op in self.rt.settings.operations]
        found = await asyncio.gather(*(self.extension(actor, k, fetch=False) for k in keys))
        return {k: (e.number if e else "") for k, e in zip(keys, found, strict=True)}

    async def call_card(
        self, actor: Actor, phone: str, keys: Sequence[str], lang: str
    ) -> cards.Card:
        """`/wolkvox call <phone>`: the same confirmation as the card's button, for the
        operations the flow chose (one button each when several)."""
        offers: list[tuple[Operation, Extension | None, dict[str, Any]]] = []
        for k in keys:
            found = self.operation(k)
            if found is None:
                continue
            op, service = found
            extension = await self.extension(actor, op.key)
            stored = service.wolkvox_phone(phone)
            value = self.seal(actor, op.key, stored, "", "")
            button = cards.call_button(value, stored, extension.number if extension else "", lang)
            if len(keys) > 1:
                button["text"]["text"] = f"📞 {op.name}"[:75]
            offers.append((op, extension, button))
        if not offers:
            return cards.notice_card("🚫", t(lang, "dial_stale"))
        shown = cards.dial_mask(phone)
        if len(offers) == 1:
            op, extension, _ = offers[0]
            if extension is None:
                return self._no_extension(op.key, lang)
            text = t(lang, "dial_offer", phone=shown, extension=extension.number)
        else:
            text = t(lang, "dial_offer_in", phone=shown)
        buttons = [button for _, _, button in offers]
        blocks = [
            cards.section_block(text),
            {"type": "actions", "elements": buttons[:MAX_CALL_BUTTONS]},
        ]
        return cards.Card(blocks=blocks, text=text)

    def _no_extension(self, key: str, lang: str) -> cards.Card:
        several = len(self.rt.settings.operations) > 1
        found = self.operation(key)
        where = t(lang, "dial_in_operation", name=found[0].name) if several and found else ""
        why = (
            "dial_no_extension"
            if self.rt.settings.agent_self_link
            else "dial_no_extension_admin_only"
        )
        return cards.notice_card("📞", t(lang, why, where=where))

    # --- the press ------------------------------------------------------------------------------
    async def press(
        self,
        actor: Actor,
        value: str,
        lang: str,
        note: Note,
        *,
        operations: Sequence[str] | None = None,
    ) -> None:
        """A *Call* press (its asker allowed, by the flow): checked, once, through the guard;
        its outcome told through `note`. `operations`: those the asker may dial through (the
        channel's or their groups' pins), None for all."""
        started = time.monotonic()
        target = self.rt.sealer.open_dial(value)
        if target is None:
            await note(cards.notice_card("⌛", t(lang, "dial_stale")))
            return
        if target.user != actor.user_id:
            await note(cards.notice_card("🚫", t(lang, "dial_not_yours")))
            return
        found = self.operation(target.operation)
        if found is None or (operations is not None and target.operation not in operations):
            await note(cards.notice_card("⌛", t(lang, "dial_stale")))
            return
        op, service = found
        extension = await self.extension(actor, op.key)
        if extension is None:
            await note(self._no_extension(op.key, lang))
            return
        shown = cards.dial_mask(target.phone)

        def account(outcome: str, conn_id: str = "") -> None:
            DIALS.labels(operation=op.key, outcome=outcome).inc()
            record = DialRecord.now(
                self.rt.clock(),
                team=actor.team_id,
                user=actor.user_id,
                channel=actor.channel_id,
                operation=op.key,
                extension=extension.number,
                phone=shown,
                outcome=outcome,
                conn_id=conn_id,
                elapsed_ms=round((time.monotonic() - started) * 1000, 1),
            )
            self.rt.audit.write_dial(record, target.phone)

        try:
            first = await self.rt.store.value_set_if_absent(self._once_key(target), "1", DIAL_ONCE)
            wait = 0.0 if not first else await self._rate_wait(actor)
        except StoreUnavailable as error:
            account(error.kind)
            await note(cards.render_error(error, lang=lang))
            return
        if not first:
            account("duplicate")
            await note(cards.notice_card("📞", t(lang, "dial_duplicate", phone=shown)))
            return

        async def release_once() -> None:
            """Nothing was dialled: the next press may try again at once."""
            with contextlib.suppress(StoreUnavailable):
                await self.rt.store.value_delete(self._once_key(target))

        if wait > 0:
            account("rate_limited")
            await release_once()
            minutes = max(1, round(wait / 60))
            await note(cards.notice_card("⏳", t(lang, "dial_rate_limited", minutes=minutes)))
            return
        try:
            conn_id = await service.dial(
                extension.number,
                target.phone,
                customer_id=target.customer_id,
                customer_name=target.customer_name,
            )
        except DialUncertain as error:
            account(error.kind)
            await note(cards.notice_card("⚠️", t(lang, "dial_unknown", phone=shown)))
            return
        except LookupFailure as error:
            account(error.kind)
            await release_once()  # refused, or never sent: a retry is a new attempt
            why = self._why(error, extension.number, lang)
            await note(cards.notice_card("🚫", t(lang, "dial_refused", phone=shown, why=why)))
            return
        account("dialled", conn_id)
        text = t(lang, "dial_done", phone=shown, extension=extension.number)
        await note(cards.notice_card("📞", text))

    def _once_key(self, target: DialTarget) -> str:
        """One dial of a number per user and operation per DIAL_ONCE (a double click, a second
        press, a Slack retry); per user, so nobody's presses can block a colleague's call."""
        what = f"{target.user}:{target.operation}:{target.phone}"
        return f"dial-once:{self.rt.settings.digest('dial-once', what)}"

    async def _rate_wait(self, actor: Actor) -> float:
        key = f"dial-rate:{self.rt.settings.digest('dial-rate', actor.user_id, 24)}"
        return await self.rt.store.rate_hit(key, self.rt.settings.dial_rate, DIAL_RATE_WINDOW)

    @staticmethod
    def _why(error: LookupFailure, extension: str, lang: str) -> str:
        """A refusal in plain words: Wolkvox's reason where we know it, else its kind."""
        key = f"dial_why_{error.kind}"
        if key in MESSAGES:
            return t(lang, key, extension=extension)
        if isinstance(error, DialRefused):
            return t(lang, "dial_why_dial_refused")
        title = f"error_{error.kind}_title"
        return t(lang, title) if title in MESSAGES else t(lang, "dial_why_other", kind=error.kind)

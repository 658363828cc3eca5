"""What every listener needs: settings, the lookup service, Slack's Web API, access rules,
the audit trail, locale, and a way to run the slow part after the ack without losing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.audit import AuditLog, AuditRecord
from bot.config import Settings
from bot.errors import LookupFailure
from bot.i18n import lang_for_locale
from bot.metrics import LOOKUPS
from bot.query import Query
from bot.slack.access import AccessControl
from bot.slack.delivery import HookClient, ResponseUrl
from bot.slack.disclosure import HIDE_ALL, Disclosure
from bot.slack.sealed import Sealer
from bot.slack.single_flight import SingleFlightCache
from bot.store.base import PositionCallback, Store
from bot.wolkvox.lookup import LookupResult
from bot.wolkvox.operations import Lookups

log = logging.getLogger(__name__)

LOCALE_TTL = 3600.0
LOCALE_TIMEOUT = 1.5
# At shutdown, how long the restart notes to agents still waiting may take, all together.
TELL_WITHIN = 3.0
HANDOVER_QUEUE = "handover"  # the store queue stopping instances hand lookups over in
HANDOVER_TTL = 25 * 60.0  # under the 30 minutes a response_url lives


class Surface(StrEnum):
    """Where a lookup came from: the audit line's `surface` and the metrics' `surface` label."""

    COMMAND = "command"
    MENTION = "mention"
    DM = "dm"
    MESSAGE_SHORTCUT = "message_shortcut"
    MODAL = "modal"
    SHARE = "share"
    REFRESH = "refresh"
    SHOW_ALL = "show_all"
    HOME = "home"
    WORKFLOW = "workflow"
    EXPORT = "export"
    DIAL = "dial"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asked, from where: taken from any Slack payload."""

    team_id: str
    user_id: str
    channel_id: str
    surface: Surface
    locale: str | None = None
    # The user's own organisation as the payload names it (their team id, their enterprise
    # id): in a Slack Connect channel, not the installing team's (bot.slack.payloads). None
    # where the payload names only a user id (a workflow's `requested_by`): users.info tells.
    orgs: tuple[str, ...] | None = ()


@dataclass
class Outcome:
    result: LookupResult | None = None
    error: LookupFailure | None = None
    error_id: str | None = None
    query: Query | None = None  # what was asked (the result carries it too, when there is one)
    # What its answer may show, decided once by the flow and carried to every path from it
    # (the card, its buttons' sealed values, the recent list, a workflow's outputs). Until the
    # flow decides, everything is hidden: a path that forgot to ask fails closed.
    disclosure: Disclosure = field(default_factory=lambda: HIDE_ALL)


@dataclass(slots=True)
class Waiter:
    """One agent waiting on an answer, as the drain sees it."""

    task: asyncio.Task[Any]
    tell: Callable[[], Awaitable[object]]
    pack: Callable[[], bytes | None]
    serving: bool = False  # its lookup holds a token slot (or shares a call): at Wolkvox


@dataclass
class SlackRuntime:
    settings: Settings
    service: Lookups
    store: Store[Any]
    web: AsyncWebClient
    access: AccessControl
    audit: AuditLog
    sealer: Sealer
    hooks: HookClient = field(default_factory=HookClient)
    clock: Callable[[], float] = time.time
    _locales: SingleFlightCache[str, str] = field(
        default_factory=lambda: SingleFlightCache(ttl=LOCALE_TTL, maxsize=5000)
    )
    _jobs: set[asyncio.Task[Any]] = field(default_factory=set)
    # Agents waiting on an answer: how to tell them the bot restarted, and how to hand their
    # lookup over to another instance (see drain).
    _waiting: dict[int, Waiter] = field(default_factory=dict)
    _accepting: bool = True

    def response_url(self, respond: AsyncRespond) -> ResponseUrl:
        """Where bolt's `respond` would post, posted by this runtime's hook client instead
        (Slack's hosts only, no redirect: bot.slack.delivery.respond_safely)."""
        return ResponseUrl(respond.response_url or "", self.hooks)

    # --- language -----------------------------------------------------------------------
    async def lang_for(self, actor: Actor) -> str:
        """The user's Slack locale where known (payload, else users.info), else WOLKVOX_LANG."""
        if actor.locale:
            return lang_for_locale(actor.locale, self.settings.lang)
        # One users.info per user, however many answers ask at once.
        locale = await self._locales.get(actor.user_id, lambda: self._fetch_locale(actor.user_id))
        return lang_for_locale(locale or None, self.settings.lang)

    async def _fetch_locale(self, user_id: str) -> str:
        locale = ""
        try:
            resp = await asyncio.wait_for(
                self.web.users_info(user=user_id, include_locale=True), timeout=LOCALE_TIMEOUT
            )
            locale = str((resp.get("user") or {}).get("locale") or "")
        except Exception as error:  # locale is a nicety: never fail a lookup over it
            log.debug("users.info failed for locale: %s", type(error).__name__)
        return locale

    def lang_now(self, actor: Actor) -> str:
        """For the ack, which cannot wait on users.info: known locale or the default, and the
        user's locale fetched in the background for the card that follows."""
        if actor.locale:
            return lang_for_locale(actor.locale, self.settings.lang)
        if not actor.user_id:  # a workflow run that names nobody
            return self.settings.lang
        cached = self._locales.fresh(actor.user_id)
        if cached is None:
            self.spawn(self.lang_for(actor), name=f"locale:{actor.user_id}")
            return self.settings.lang
        return lang_for_locale(cached or None, self.settings.lang)

    # --- the slow part, after the ack -----------------------------------------------------
    @property
    def accepting(self) -> bool:
        return self._accepting

    def spawn(self, work: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        """Run answer-producing work in the background, tracked so shutdown can wait for it."""

        async def guarded() -> None:
            try:
                await work
            except Exception:
                error_id = new_error_id()
                log.exception("background job %s failed (error id %s)", name, error_id)

        task = asyncio.create_task(guarded(), name=name)
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)
        return task

    @property
    def jobs_in_flight(self) -> int:
        return len(self._jobs)

    async def drain(self, grace: float, *, tell_within: float = TELL_WITHIN) -> bool:
        """Stop taking work; let answers in flight finish for up to `grace` s.

        Then nobody is left on "searching…": lookups still waiting in line are stopped at once,
        those already at Wolkvox get up to `tell_within` s more (stopping them would free the
        token's slot while Wolkvox still works on their call); each one left is handed to
        another instance (with Redis) or its agent is told the bot restarted and to search
        again, before the process exits. True when every answer was delivered in time."""
        self._accepting = False
        deadline = time.monotonic() + grace
        while self._jobs:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await asyncio.wait(set(self._jobs), timeout=remaining)
        if not self._jobs:
            return True
        waiters = list(self._waiting.values())
        at_wolkvox = {w.task for w in waiters if w.serving and not w.task.done()}
        in_line = [w for w in waiters if w.task not in at_wolkvox]
        for waiter in in_line:  # they stop now, so none of them reaches Wolkvox late
            waiter.task.cancel()
        if at_wolkvox:
            await asyncio.wait(at_wolkvox, timeout=tell_within)
        left = in_line + [w for w in waiters if w.task in at_wolkvox and not w.task.done()]
        self._waiting.clear()
        for task in self._jobs:
            task.cancel()
        if self._jobs:
            await asyncio.wait(set(self._jobs), timeout=1.0)
        notes = [w.tell for w in left if not await self._hand_over(w.pack)]
        if len(notes) < len(left):
            log.warning("shutdown: handed %d lookup(s) to other instances", len(left) - len(notes))
        if notes:
            log.warning("shutdown: telling %d waiting agent(s) to search again", len(notes))
            told = [asyncio.ensure_future(note()) for note in notes]
            _, late = await asyncio.wait(told, timeout=tell_within)
            for task in late:
                task.cancel()
            if late:
                log.warning("shutdown: %d restart note(s) could not be sent in time", len(late))
        return False

    @property
    def can_hand_over(self) -> bool:
        """Other instances share this one's store (Redis) and can take its lookups."""
        return self.store.backend != "memory"

    async def _hand_over(self, pack: Callable[[], bytes | None]) -> bool:
        """Put one waiting lookup in the shared hand-over queue; False when it cannot go."""
        if not self.can_hand_over:
            return False
        try:
            item = pack()
            if item is None:
                return False
            await asyncio.wait_for(self.store.queue_push(HANDOVER_QUEUE, item, HANDOVER_TTL), 1.0)
        except (LookupFailure, TimeoutError) as error:
            log.warning("shutdown: hand-over failed (%s)", type(error).__name__)
            return False
        return True

    @contextlib.contextmanager
    def waiting(
        self,
        tell: Callable[[], Awaitable[object]],
        pack: Callable[[], bytes | None] = lambda: None,
    ) -> Iterator[Waiter]:
        """While inside, an agent waits on an answer. If the bot has to stop before it comes,
        `pack` gives the lookup to hand over (None: it cannot go), else `tell` lets them know.
        The caller sets `serving` on the yielded Waiter once its lookup is at Wolkvox."""
        task = asyncio.current_task()
        assert task is not None
        waiter = Waiter(task, tell, pack)
        key = id(waiter)
        self._waiting[key] = waiter
        try:
            yield waiter
        finally:
            self._waiting.pop(key, None)

    @contextlib.asynccontextmanager
    async def tracked(
        self, apologize: Callable[[str], Awaitable[object]] | None = None
    ) -> AsyncIterator[None]:
        """Count a listener's own work (done inline, not via spawn) for shutdown.

        With `apologize`, a bug in that work (after the ack) is logged with an error id and the
        agent is told through `apologize(error_id)` instead of the exception reaching bolt, which
        would also drop an ack it had not yet sent to Slack.
        """
        task = asyncio.current_task()
        # Re-entrant: only the outermost `tracked` of a task adds and removes it.
        owned = task if task is not None and task not in self._jobs else None
        if owned is not None:
            self._jobs.add(owned)
        try:
            yield
        except Exception:
            if apologize is None:
                raise
            error_id = new_error_id()
            log.exception("listener failed (error id %s)", error_id)
            try:
                await apologize(error_id)
            except Exception as error:
                log.warning("could not apologise for %s: %s", error_id, type(error).__name__)
        finally:
            if owned is not None:
                self._jobs.discard(owned)

    # --- one lookup, audited ----------------------------------------------------------------
    async def lookup(
        self,
        actor: Actor,
        query: Query,
        disclosure: Disclosure,
        *,
        refresh: bool = False,
        on_wait: PositionCallback | None = None,
    ) -> Outcome:
        """Run one lookup; never raises. Failures come back as an Outcome with an error. The
        outcome carries `disclosure` (the flow's decision) to whatever shows it."""
        started = time.monotonic()
        outcome = Outcome(query=query, disclosure=disclosure)
        try:
            outcome.result = await self.service.lookup(query, refresh=refresh, on_wait=on_wait)
        except LookupFailure as error:
            outcome.error = error
        except Exception as error:  # a bug must cost one apologetic card, not the process
            outcome.error_id = new_error_id()
            outcome.error = LookupFailure(f"unexpected {type(error).__name__}")
            log.exception("lookup failed unexpectedly (error id %s)", outcome.error_id)
        self.account(
            actor,
            query,
            refresh=refresh,
            started=started,
            result=outcome.result,
            error=outcome.error,
            error_id=outcome.error_id,
        )
        return outcome

    def account(
        self,
        actor: Actor,
        query: Query,
        *,
        refresh: bool,
        started: float,
        result: LookupResult | None = None,
        error: LookupFailure | None = None,
        error_id: str | None = None,
        surface: Surface | None = None,
        records: int | None = None,
    ) -> None:
        """One lookup's audit line and its `wolkvox_lookups{surface, outcome}` count.
        `records`: how many an export wrote (it keeps no result)."""
        record = AuditRecord.for_lookup(
            actor_team=actor.team_id,
            actor_user=actor.user_id,
            actor_channel=actor.channel_id,
            surface=surface or actor.surface,
            query=query,
            refresh=refresh,
            result=result,
            error=error,
            error_id=error_id,
            elapsed_ms=(time.monotonic() - started) * 1000,
            now=self.clock(),
        )
        if records is not None and error is None:
            record = replace(record, records=records, outcome="ok" if records else "no_records")
        self.audit.write(record)
        LOOKUPS.labels(surface=record.surface, outcome=record.outcome).inc()


def new_error_id() -> str:
    """Short id an agent can quote to an admin, who finds it in the logs."""
    return "E-" + secrets.token_hex(4).upper()

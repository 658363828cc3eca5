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
from dataclasses import dataclass, field
from typing import Any

from bot.audit import AuditLog, AuditRecord
from bot.config import Settings
from bot.errors import LookupFailure
from bot.i18n import lang_for_locale
from bot.query import Query
from bot.slack.access import AccessControl
from bot.slack.sealed import Sealer
from bot.slack.single_flight import SingleFlightCache
from bot.store.base import PositionCallback, Store
from bot.wolkvox.lookup import LookupResult, LookupService

log = logging.getLogger(__name__)

LOCALE_TTL = 3600.0
LOCALE_TIMEOUT = 1.5
# At shutdown, how long the restart notes to agents still waiting may take, all together.
TELL_WITHIN = 3.0


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asked, from where: taken from any Slack payload."""

    team_id: str
    user_id: str
    channel_id: str
    surface: str  # command, mention, message_shortcut, modal, share, refresh, show_all
    locale: str | None = None


@dataclass
class Outcome:
    result: LookupResult | None = None
    error: LookupFailure | None = None
    error_id: str | None = None


@dataclass
class SlackRuntime:
    settings: Settings
    service: LookupService
    store: Store[Any]
    web: Any  # slack_sdk AsyncWebClient
    access: AccessControl
    audit: AuditLog
    sealer: Sealer
    clock: Callable[[], float] = time.time
    _locales: SingleFlightCache[str, str] = field(
        default_factory=lambda: SingleFlightCache(ttl=LOCALE_TTL, maxsize=5000)
    )
    _jobs: set[asyncio.Task[Any]] = field(default_factory=set)
    # Agents waiting on an answer, each with a way to tell them the bot restarted (see drain).
    _waiting: dict[int, Callable[[], Awaitable[object]]] = field(default_factory=dict)
    _accepting: bool = True

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

        Whoever is still waiting then is told, before the process exits, that the bot restarted
        and to search again (their lookups are stopped first, so no card follows the note):
        nobody is left on "searching…". True when every answer was delivered in time."""
        self._accepting = False
        deadline = time.monotonic() + grace
        while self._jobs:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await asyncio.wait(set(self._jobs), timeout=remaining)
        if not self._jobs:
            return True
        notes = list(self._waiting.values())
        self._waiting.clear()
        for task in self._jobs:
            task.cancel()
        await asyncio.wait(set(self._jobs), timeout=1.0)
        if notes:
            log.warning("shutdown: telling %d waiting agent(s) to search again", len(notes))
            told = [asyncio.ensure_future(note()) for note in notes]
            _, late = await asyncio.wait(told, timeout=tell_within)
            for task in late:
                task.cancel()
            if late:
                log.warning("shutdown: %d restart note(s) could not be sent in time", len(late))
        return False

    @contextlib.contextmanager
    def waiting(self, tell: Callable[[], Awaitable[object]]) -> Iterator[None]:
        """While inside, an agent waits on an answer; `tell` lets them know if the bot has to
        stop before it comes (see drain)."""
        key = id(tell)
        self._waiting[key] = tell
        try:
            yield
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
        *,
        refresh: bool = False,
        on_wait: PositionCallback | None = None,
    ) -> Outcome:
        """Run one lookup; never raises. Failures come back as an Outcome with an error."""
        started = time.monotonic()
        outcome = Outcome()
        try:
            outcome.result = await self.service.lookup(query, refresh=refresh, on_wait=on_wait)
        except LookupFailure as error:
            outcome.error = error
        except Exception as error:  # a bug must cost one apologetic card, not the process
            outcome.error_id = new_error_id()
            outcome.error = LookupFailure(f"unexpected {type(error).__name__}")
            log.exception("lookup failed unexpectedly (error id %s)", outcome.error_id)
        self.audit.write(
            AuditRecord.for_lookup(
                actor_team=actor.team_id,
                actor_user=actor.user_id,
                actor_channel=actor.channel_id,
                surface=actor.surface,
                query=query,
                refresh=refresh,
                result=outcome.result,
                error=outcome.error,
                error_id=outcome.error_id,
                elapsed_ms=(time.monotonic() - started) * 1000,
                now=self.clock(),
            )
        )
        return outcome


def new_error_id() -> str:
    """Short id an agent can quote to an admin, who finds it in the logs."""
    return "E-" + secrets.token_hex(4).upper()

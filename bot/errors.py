"""Failures that are nobody's in particular: a bad query, a full queue, the store down, a restart.

A leaf: every area may raise or catch these. Wolkvox's own failures live in `bot.wolkvox.errors`
and subclass `LookupFailure` too, so the Slack side explains them all the same way.

`kind` is a stable machine name (used by cards, the audit log and i18n keys); `retryable` says
whether trying again soon can help; `detail` is for logs and never contains a token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class LookupFailure(Exception):
    """Base of every lookup failure. Never carries a secret."""

    kind: ClassVar[str] = "internal"
    retryable: ClassVar[bool] = False

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(detail or self.kind)
        self.detail = detail
        self.retry_after = retry_after


class QueryError(LookupFailure):
    """The user's query cannot be searched (bad phone, bad id, nothing to search by).

    `detail` is English, for logs and the terminal. `reason` is a stable machine name (e.g.
    "not_a_phone", "nothing_to_search") and `params` the values its message needs (the
    offending text, clipped; digit limits; the word typed), so cards can say it in the
    reader's language. An error without a `reason` falls back to a generic per-field message.
    """

    kind = "bad_query"

    def __init__(
        self,
        detail: str,
        *,
        field: str = "query",
        reason: str = "",
        params: Mapping[str, str | int] | None = None,
    ) -> None:
        super().__init__(detail)
        self.field = field
        self.reason = reason
        self.params: dict[str, str | int] = dict(params or {})


class Busy(LookupFailure):
    """No token slot came free within WOLKVOX_QUEUE_TIMEOUT."""

    kind = "busy"


class StoreUnavailable(LookupFailure):
    """The shared store (Redis) cannot be reached: never bypass the guard, fail clearly."""

    kind = "store_unavailable"


class ShuttingDown(LookupFailure):
    kind = "shutting_down"


class WaitTimedOut(LookupFailure):
    """Waited too long for work another caller (or instance) was doing on the same key."""

    kind = "timeout"
    retryable = True


class WorkStopped(LookupFailure):
    """The shared work this caller waited on was stopped (its owner shut down)."""

    kind = "unavailable"
    retryable = True

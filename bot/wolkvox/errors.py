"""Every way a lookup can fail, as a typed error the Slack side can explain in plain words.

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


class WolkvoxError(LookupFailure):
    """Base of failures that come from talking to Wolkvox."""

    kind = "upstream"


class TokenMissing(WolkvoxError):
    kind = "token_missing"


class TokenRejected(WolkvoxError):
    kind = "token_rejected"


class QuotaExceeded(WolkvoxError):
    """The day's calls are spent on every usable token; comes back when the day rolls over."""

    kind = "quota_exceeded"


class SimultaneousLimit(WolkvoxError):
    """Wolkvox refused a call for too many in flight on the token (a 403, not a 429)."""

    kind = "simultaneous_limit"
    retryable = True


class Unavailable(WolkvoxError):
    """Maintenance, connection refused/reset, DNS failure, 5xx: Wolkvox cannot be reached now."""

    kind = "unavailable"
    retryable = True


class CircuitOpen(Unavailable):
    """Recent calls kept failing; answering at once instead of queueing behind a dead upstream."""

    kind = "circuit_open"
    retryable = False


class UpstreamTimeout(WolkvoxError):
    kind = "timeout"
    retryable = True


class BrokenAnswer(WolkvoxError):
    """HTML error page, truncated JSON, unexpected shape, or a body over the size cap."""

    kind = "broken_answer"
    retryable = True


class UpstreamError(WolkvoxError):
    """Wolkvox answered with an error code we have no better name for."""

    kind = "upstream_error"

    def __init__(self, detail: str = "", *, code: str = "", message: str = "") -> None:
        super().__init__(detail or f"{code} {message}".strip())
        self.code = code
        self.message = message


class Busy(LookupFailure):
    """No token slot came free within WOLKVOX_QUEUE_TIMEOUT."""

    kind = "busy"


class StoreUnavailable(LookupFailure):
    """The shared store (Redis) cannot be reached: never bypass the guard, fail clearly."""

    kind = "store_unavailable"


class ShuttingDown(LookupFailure):
    kind = "shutting_down"

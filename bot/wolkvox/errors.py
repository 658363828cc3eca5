"""Every way talking to Wolkvox can fail, as a typed error the Slack side can explain.

They subclass `bot.errors.LookupFailure` (kind, retryable, detail without a token); `FAILURES`
names every lookup failure by kind, so a failure shared through the store is rebuilt as the
same class in another process.
"""

from __future__ import annotations

from bot import errors
from bot.errors import LookupFailure


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


class DialRefused(WolkvoxError):
    """Wolkvox would not dial (agentbox.php answered with an error): its message, read."""

    kind = "dial_refused"


class AgentNotLoggedIn(DialRefused):
    kind = "agent_not_logged_in"


class UnknownExtension(DialRefused):
    kind = "unknown_extension"


class DialUncertain(WolkvoxError):
    """The dial request went out and no answer came in time: Wolkvox may have dialled. Never
    retried (a customer called twice is worse than a button pressed again)."""

    kind = "dial_unknown"


_NOT_LOGGED_IN = ("not logged", "no está logueado", "no esta logueado", "not connected",
                  "desconectado", "offline", "no logueado")  # fmt: skip
_UNKNOWN_AGENT = ("not exist", "no existe", "unknown", "not found", "invalid agent",
                  "no encontrado")  # fmt: skip


def dial_refusal(message: str) -> DialRefused:
    """Wolkvox's refusal of a dial, by the words of its message (its docs show none)."""
    words = message.casefold()
    if any(w in words for w in _NOT_LOGGED_IN):
        return AgentNotLoggedIn(message[:200])
    if any(w in words for w in _UNKNOWN_AGENT):
        return UnknownExtension(message[:200])
    return DialRefused(message[:200])


def _by_kind(*classes: type[LookupFailure]) -> dict[str, type[LookupFailure]]:
    """kind → class; the first class named for a kind wins (Wolkvox's before the generic)."""
    table: dict[str, type[LookupFailure]] = {}
    for cls in classes:
        table.setdefault(cls.kind, cls)
    return table


FAILURES: dict[str, type[LookupFailure]] = _by_kind(
    TokenMissing,
    TokenRejected,
    QuotaExceeded,
    SimultaneousLimit,
    Unavailable,
    CircuitOpen,
    UpstreamTimeout,
    BrokenAnswer,
    UpstreamError,
    AgentNotLoggedIn,
    UnknownExtension,
    DialRefused,
    DialUncertain,
    WolkvoxError,
    errors.QueryError,
    errors.Busy,
    errors.StoreUnavailable,
    errors.ShuttingDown,
    errors.WaitTimedOut,
    errors.WorkStopped,
    LookupFailure,
)

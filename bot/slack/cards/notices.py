"""Every card that is not an answer: errors, bad input, help, status, refusals.

Plain words in the reader's language, saying what the agent can do; never a traceback, a token
or a detail meant for logs (an error id to quote is fine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from bot.errors import LookupFailure, QueryError
from bot.i18n import MESSAGES, fmt_int, fmt_when, query_error_message, t
from bot.slack.cards.blocks import Card, context_block, field_obj, header_block, section_block
from bot.slack.cards.mrkdwn import CAP_DETAIL, CAP_ID, PLACEHOLDER, inert, plain
from bot.wolkvox.errors import WolkvoxError


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """What `/wolkvox status` shows; gathered by the app, rendered here."""

    queue_depth: int
    cache_hit_rate: float | None  # 0..1; None before the first lookup
    tokens: list[tuple[str, int, int | None, bool]] = field(default_factory=list)
    # each token: (masked token, calls used today, daily quota or None, spent for today)
    last_upstream_error: str | None = None
    backend: str = "memory"
    backend_ok: bool = True


_ERROR_ICONS: Final[dict[str, str]] = {
    "token_missing": "🔑",
    "token_rejected": "🔑",
    "quota_exceeded": "⏳",
    "busy": "⏳",
    "timeout": "⏱️",
    "simultaneous_limit": "⏳",
    "unavailable": "🛠️",
    "circuit_open": "🛠️",
    "shutting_down": "🔄",
    "internal": "😓",
}


def _error_kind(error: LookupFailure) -> str:
    kind = error.kind
    if f"error_{kind}_title" in MESSAGES:
        return kind
    return "upstream" if isinstance(error, WolkvoxError) else "internal"


def render_error(error: LookupFailure, *, lang: str, error_id: str | None = None) -> Card:
    """A small card in plain words for a failed lookup, saying what the agent can do.

    Shows no detail of the failure beyond what is meant for people (a Wolkvox error code, a
    retry time, the error id to quote); never a traceback, never a token.
    """
    if isinstance(error, QueryError):
        return render_usage(error, lang)
    kind = _error_kind(error)
    title = t(lang, f"error_{kind}_title")
    kwargs: dict[str, object] = {}
    if kind == "quota_exceeded":
        kwargs["when"] = (
            t(lang, "error_quota_exceeded_when", when=fmt_when(error.retry_after, lang))
            if error.retry_after
            else ""
        )
    elif kind == "circuit_open" or (kind == "busy" and error.retry_after):
        kwargs["when"] = fmt_when(error.retry_after, lang)
    elif kind == "upstream_error":
        code = str(getattr(error, "code", "") or "")
        kwargs["code"] = f"`{inert(code, 40)}`" if code.strip() else "?"
    body_key = "error_busy_body_when" if kind == "busy" and "when" in kwargs else None
    body = t(lang, body_key or f"error_{kind}_body", **kwargs)
    icon = _ERROR_ICONS.get(kind, "⚠️")
    blocks = [section_block(f"{icon} *{title}*\n{body}")]
    if error_id:
        blocks.append(context_block(t(lang, "error_id", id=inert(error_id, 64))))
    return Card(blocks=blocks, text=f"Wolkvox: {title}")


def render_usage(error: QueryError, lang: str) -> Card:
    """Bad or missing arguments: what was wrong, and how a search is written.

    All in `lang`: the error's `reason` says what to write instead; only an error without a
    known reason shows its (English) detail, as "Problem: …", under a generic line.
    """
    reason, localized = _field_reason(error, lang, mrkdwn=True)
    blocks = [section_block(f"⚠️ *{t(lang, 'usage_title')}*\n{reason}")]
    if not localized:
        blocks.append(
            context_block(t(lang, "usage_problem", detail=inert(error.detail, CAP_DETAIL)))
        )
    blocks.append(section_block(t(lang, "usage_lines")))
    return Card(blocks=blocks, text=t(lang, "usage_title"))


def _field_reason(error: QueryError, lang: str, *, mrkdwn: bool) -> tuple[str, bool]:
    """(what is wrong, in `lang`; True when it is the reason's own message).

    The reason's params are the user's text: escaped for mrkdwn or cleaned for plain text.
    Without a message for the reason, the generic line for the error's field.
    """

    def escape(value: str | int) -> str | int:
        if isinstance(value, int):
            return value
        text = inert(str(value), CAP_ID) if mrkdwn else plain(str(value), CAP_ID)
        return text or PLACEHOLDER

    params = {name: escape(value) for name, value in error.params.items()}
    message = query_error_message(lang, error.reason, params)
    if message is not None:
        return message, True
    key = f"usage_field_{error.field}"
    return (t(lang, key) if key in MESSAGES else t(lang, "usage_field_query")), False


def render_help(lang: str) -> Card:
    """Usage of every command and the other ways in (mention, shortcuts)."""
    blocks = [
        header_block(t(lang, "help_title")),
        section_block(t(lang, "help_intro")),
        section_block(t(lang, "help_commands")),
        section_block(t(lang, "help_other")),
    ]
    return Card(blocks=blocks, text=t(lang, "fallback_help"))


_STATUS_TOKENS_SHOWN = 20


def render_status(status: StatusInfo, lang: str) -> Card:
    """`/wolkvox status`: queue, cache, per-token use today (masked tokens), last error."""
    if status.cache_hit_rate is None:
        hit_rate = PLACEHOLDER
    else:
        hit_rate = f"{round(min(1.0, max(0.0, status.cache_hit_rate)) * 100)} %"
    backend = inert(status.backend, 40)
    backend_line = t(
        lang, "status_backend_ok" if status.backend_ok else "status_backend_down", backend=backend
    )
    last_error = (
        inert(status.last_upstream_error, CAP_DETAIL)
        if status.last_upstream_error
        else t(lang, "status_none")
    )
    fields = [
        field_obj(t(lang, "status_queue"), fmt_int(status.queue_depth, lang)),
        field_obj(t(lang, "status_cache"), hit_rate),
        field_obj(
            t(lang, "status_backend"), ("✅ " if status.backend_ok else "❌ ") + backend_line
        ),
        field_obj(t(lang, "status_last_error"), last_error),
    ]
    lines = []
    for masked, used, quota, spent in status.tokens[:_STATUS_TOKENS_SHOWN]:
        token = inert(masked, 20)
        if quota is None:
            line = t(lang, "status_token_no_quota", token=token, used=fmt_int(used, lang))
        else:
            line = t(
                lang,
                "status_token_quota",
                token=token,
                used=fmt_int(used, lang),
                quota=fmt_int(quota, lang),
            )
        if spent:
            line += t(lang, "status_token_spent")
        lines.append("• " + line)
    if len(status.tokens) > _STATUS_TOKENS_SHOWN:
        more = len(status.tokens) - _STATUS_TOKENS_SHOWN
        lines.append(t(lang, "status_more_tokens", n=fmt_int(more, lang)))
    if not lines:
        lines.append(t(lang, "status_no_tokens"))
    blocks = [
        header_block(t(lang, "status_title")),
        {"type": "section", "fields": fields},
        section_block(f"*{t(lang, 'status_tokens')}*\n" + "\n".join(lines)),
    ]
    return Card(blocks=blocks, text=t(lang, "status_title"))


def _note(icon: str, text: str) -> Card:
    """A one-line private note: an icon and plain words."""
    return Card(blocks=[section_block(f"{icon} {text}")], text=text)


notice_card = _note  # for notes composed elsewhere (the CSV export's)


def render_refusal(lang: str) -> Card:
    """Polite private refusal for someone outside the allowed users, groups or channels."""
    return _note("🚫", t(lang, "refusal"))


def render_rate_limited(lang: str, retry_after: float | None) -> Card:
    """Over WOLKVOX_USER_RATE: when to try again."""
    return _note("⏳", t(lang, "rate_limited", when=fmt_when(retry_after, lang)))


def render_nothing_found_in_message(lang: str) -> Card:
    """Message shortcut on a text with no phone number or labelled customer id."""
    return _note("🤷", t(lang, "nothing_in_message"))


def render_restarted(lang: str) -> Card:
    """The bot restarted before this agent's answer came: nothing is coming, search again."""
    return _note("🔄", t(lang, "restarted"))


def render_checking_access(lang: str) -> Card:
    """Slack is slow to say who is in the allowed groups: the answer follows."""
    return _note("⏳", t(lang, "checking_access"))


def render_stale_button(lang: str) -> Card:
    """A button whose value can no longer be read (expired seal, restart, old message)."""
    return _note("⌛", t(lang, "stale_button"))


def render_nobody_to_check(lang: str) -> Card:
    """A request that names nobody (a workflow run without `requested_by`) under an allow-list."""
    return _note("🔒", t(lang, "workflow_requested_by_missing"))


def render_export_refused(lang: str) -> Card:
    """Export asked from a card a channel saw (or one that comes from it): never the full file."""
    return _note("🔒", t(lang, "export_refused"))


def field_error(error: QueryError, lang: str) -> str:
    """The inline error under a search-modal field (`response_action: errors`): plain text,
    all in `lang`; only an error without a known reason adds its (English) detail."""
    reason, localized = _field_reason(error, lang, mrkdwn=False)
    if localized:
        return plain(reason, CAP_DETAIL)
    detail = plain(error.detail, CAP_DETAIL)
    return f"{reason} ({detail})" if detail else reason

"""Lookup results, errors and help → Slack Block Kit. Pure: values in, dicts out.

No I/O and no clock reads (`now` is passed in), so every card can be tested, and fuzzed, as a
plain function. Three promises hold for every card, whatever Wolkvox sends:

- Inert: every value from Wolkvox is escaped for mrkdwn (`&`, `<`, `>`), its formatting
  characters are fenced with zero-width joiners, control and bidi characters are neutralised.
  A record can never ping `@channel`, inject a link, bold half the card or reverse the text.
- Within Slack's limits: ≤ `max_blocks` blocks, ≤ 3000 chars per text, ≤ 10 fields of ≤ 2000,
  header ≤ 150, and all text under `TEXT_BUDGET`; a cut card says how much it left out.
- Private data stays private: when a card is shared (or masking is on) every phone shows only its
  last 4 digits, in the header, the fields, the fallback text and the button values.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Final, Protocol

from bot.errors import LookupFailure, QueryError
from bot.i18n import (
    MESSAGES,
    fmt_ago,
    fmt_date,
    fmt_int,
    fmt_seconds,
    fmt_when,
    ordinal,
    query_error_message,
    result_label,
    t,
    tn,
)
from bot.query import Query, mask_phone
from bot.wolkvox.errors import WolkvoxError
from bot.wolkvox.records import CampaignSummary, FindAnswer

Block = dict[str, Any]

# Interactivity contract with the listeners.
ACTION_SHARE: Final = "share_card"
ACTION_REFRESH: Final = "refresh_card"
ACTION_SHOW_ALL: Final = "show_all"
SEARCH_CALLBACK_ID: Final = "wolkvox_search_submit"
# Search modal: block_id == action_id for each input, so a value is state.values[x][x].value.
INPUT_PHONE: Final = "phone"
INPUT_CUSTOMER_ID: Final = "customer_id"
INPUT_CAMPAIGN_ID: Final = "campaign_id"
INPUT_MAX_LENGTH: Final[dict[str, int]] = {
    INPUT_PHONE: 40,
    INPUT_CUSTOMER_ID: 40,
    INPUT_CAMPAIGN_ID: 12,
}

# Slack's limits (https://docs.slack.dev/reference/block-kit).
MAX_MESSAGE_BLOCKS: Final = 50
MAX_MODAL_BLOCKS: Final = 100
MAX_TEXT: Final = 3000
MAX_FIELD_TEXT: Final = 2000
MAX_FIELDS: Final = 10
MAX_HEADER: Final = 150
MAX_BUTTON_VALUE: Final = 2000
MAX_MODAL_TITLE: Final = 24
TEXT_BUDGET: Final = 11_000  # all text of one message; Slack's cumulative cap is about 12,000
MAX_FALLBACK_TEXT: Final = 300

# Rendered (escaped) length caps per value, so one huge field can never crowd out the rest.
_CAP_CAMPAIGN_NAME = 150
_CAP_CUSTOMER_NAME = 200
_CAP_ID = 60
_CAP_PHONE = 40
_CAP_DATE_RAW = 60
_CAP_RESULT = 100
_CAP_CALLS = 20
_CAP_CONN_ID = 80
_CAP_DETAIL = 300
_MIN_RESULT_BLOCKS = 6  # header, summary, divider, age, left-out note, buttons

_ZWJ = "\u200d"
_FORMAT_CHARS = frozenset("*_~`")
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SLACK_USER_RE = re.compile(r"^[UW][A-Z0-9]{2,40}$")
_PLACEHOLDER = "—"


class ResultView(Protocol):
    """What a card needs of `bot.wolkvox.lookup.LookupResult` (structural, to stay decoupled)."""

    @property
    def query(self) -> Query: ...
    @property
    def answer(self) -> FindAnswer: ...
    @property
    def fetched_at(self) -> float: ...
    @property
    def from_cache(self) -> bool: ...
    @property
    def shared(self) -> bool: ...
    @property
    def upstream_ms(self) -> float: ...


@dataclass(slots=True)
class Card:
    """A rendered message: blocks, the plain notification fallback, and what did not fit."""

    blocks: list[Block]
    text: str  # notification / screen-reader fallback; short, no more PII than the blocks
    left_out: int = 0  # campaigns not shown (for render_multi: searches not shown)


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


# ---------------------------------------------------------------- escaping


def _piece(ch: str) -> str:
    """One character of a Wolkvox value as it may appear inside mrkdwn."""
    if ch == "&":
        return "&amp;"
    if ch == "<":
        return "&lt;"
    if ch == ">":
        return "&gt;"
    if ch in _FORMAT_CHARS:
        # Neither an opening nor a closing marker for Slack once glued to non-space characters.
        return _ZWJ + ch + _ZWJ
    if ch in _BIDI_CONTROLS:
        return ""
    category = unicodedata.category(ch)
    if category == "Cs":
        return "\ufffd"  # a lone surrogate cannot even be encoded as UTF-8
    if category in ("Cc", "Zl", "Zp"):
        return " "  # newlines and tabs would break the card's layout
    return ch


def inert(value: str, limit: int, *, redact: Sequence[str] = ()) -> str:
    """`value` made safe for mrkdwn and cut to at most `limit` rendered characters (with "…").

    `redact`: phone numbers to replace by their masked form first (shared cards). Empty or
    blank values give "" so the caller can choose a placeholder.
    """
    head = value[: limit + 64]
    cut = len(value) > len(head)
    head = head.strip()
    out: list[str] = []
    size = 0
    for ch in head:
        piece = _piece(ch)
        if size + len(piece) > limit:
            cut = True
            break
        out.append(piece)
        size += len(piece)
    if cut:
        while out and size > limit - 1:
            size -= len(out.pop())
        out.append("…")
    text = "".join(out).strip()
    return redact_phones(text, redact) if redact else text


def redact_phones(text: str, phones: Sequence[str]) -> str:
    """Every occurrence of `phones` in `text` masked to its last 4 digits.

    Run on rendered text (after dropped characters have closed any gaps), and repeated until
    nothing changes, since a mask can sit next to digits that spell another listed number.
    Each pass removes digits, so this ends.
    """
    changed = True
    while changed:
        changed = False
        for phone in phones:
            if phone in text:
                text = text.replace(phone, mask_phone(phone))
                changed = True
    return text


def plain(value: str, limit: int) -> str:
    """Text for plain_text objects: no entities, but no control characters and within `limit`."""
    cleaned = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in value[: limit + 16]
        if c not in _BIDI_CONTROLS and unicodedata.category(c) != "Cs"
    ).strip()
    if len(cleaned) > limit or len(value) > limit + 16:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def _or_placeholder(text: str) -> str:
    return text if text.strip() else _PLACEHOLDER


# ---------------------------------------------------------------- small builders


def _mrkdwn(text: str, *, verbatim: bool = False) -> dict[str, Any]:
    obj: dict[str, Any] = {"type": "mrkdwn", "text": _or_placeholder(text)[:MAX_TEXT]}
    if verbatim:
        obj["verbatim"] = True  # no auto-linking of URLs or #channels found in data
    return obj


def _plain_text(text: str, limit: int = MAX_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": _or_placeholder(plain(text, limit)), "emoji": True}


def _section(text: str, *, verbatim: bool = False) -> Block:
    return {"type": "section", "text": _mrkdwn(text, verbatim=verbatim)}


def _header(text: str) -> Block:
    return {"type": "header", "text": _plain_text(text, MAX_HEADER)}


def _context(*texts: str, verbatim: bool = False) -> Block:
    return {
        "type": "context",
        "elements": [_mrkdwn(x, verbatim=verbatim) for x in texts if x][:10],
    }


def _button(label: str, action_id: str, value: str, *, primary: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain_text(label, 75),
        "action_id": action_id,
        "value": value,
    }
    if primary:
        button["style"] = "primary"
    return button


def blocks_text_length(blocks: Iterable[Any]) -> int:
    """Characters of every `text` string in the blocks: what Slack's cumulative limit counts."""
    total = 0
    stack: list[Any] = list(blocks)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    total += len(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return total


# ---------------------------------------------------------------- dates and queries


def slack_date(
    value: datetime | None, raw: str, *, tz: tzinfo, lang: str, redact: Sequence[str] = ()
) -> str:
    """A date each reader sees in their own time zone, with a plain fallback.

    `value` is naive in the operation's time zone `tz`. Unparsed dates show Wolkvox's raw
    text, escaped; dates Slack cannot express (before 1970, out of range) show the fallback.
    """
    if value is None:
        return _or_placeholder(inert(raw, _CAP_DATE_RAW, redact=redact))
    fallback = fmt_date(value, lang)
    try:
        aware = value if value.tzinfo is not None else value.replace(tzinfo=tz)
        stamp = int(aware.timestamp())
    except (OverflowError, ValueError, OSError):
        return fallback
    if stamp < 0:
        return fallback
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>"


def describe_query(query: Query, lang: str, *, mask: bool) -> str:
    """`3001234567 · id 1020304050 · campaign 42` in `lang`; the phone masked when `mask`.

    Plain text (not escaped): callers escape for mrkdwn with `inert` where needed.
    """
    parts: list[str] = []
    if query.phone:
        parts.append(mask_phone(query.phone) if mask else query.phone)
    if query.customer_id:
        parts.append(t(lang, "query_id", id=query.customer_id))
    if query.campaign_id:
        parts.append(t(lang, "query_campaign", id=query.campaign_id))
    return " · ".join(parts) or "Wolkvox"


def query_value(query: Query) -> str:
    """The compact JSON the card's buttons carry so a press can repeat the search."""
    return json.dumps(
        {
            "phone": query.phone,
            "customer_id": query.customer_id,
            "campaign_id": query.campaign_id,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def query_from_value(value: str) -> Query:
    """Inverse of `query_value`, for the button listeners. Raises QueryError on anything else."""
    try:
        data = json.loads(value)
    except ValueError:
        raise QueryError("unreadable button value") from None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k, ""), str) for k in ("phone", "customer_id", "campaign_id")
    ):
        raise QueryError("unreadable button value")
    query = Query(
        phone=data.get("phone", ""),
        customer_id=data.get("customer_id", ""),
        campaign_id=data.get("campaign_id", ""),
    )
    if not query.phone and not query.customer_id:
        raise QueryError("give a phone number or a customer id")
    return query


# ---------------------------------------------------------------- result cards


def _field(label: str, value: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": f"*{label}*\n{_or_placeholder(value)}", "verbatim": True}


def _campaign_title(summary: CampaignSummary, lang: str, redact: Sequence[str]) -> str:
    name = inert(summary.campaign_name, _CAP_CAMPAIGN_NAME, redact=redact)
    cid = inert(summary.campaign_id, _CAP_ID, redact=redact)
    if name and cid:
        return t(lang, "campaign_title", name=name, id=cid)
    if cid:
        return t(lang, "campaign_title_no_name", id=cid)
    return name or t(lang, "campaign_none")


def _campaign_block(
    summary: CampaignSummary, *, lang: str, tz: tzinfo, mask: bool, redact: Sequence[str]
) -> Block:
    if mask:
        phone = mask_phone(summary.phone[:200])
    else:
        phone = inert(summary.phone, _CAP_PHONE)
    calls = (
        fmt_int(summary.calls, lang)
        if summary.calls is not None
        else inert(summary.calls_raw, _CAP_CALLS, redact=redact)
    )
    result = inert(
        result_label(summary.last_result[: _CAP_RESULT + 64], lang), _CAP_RESULT, redact=redact
    )
    fields = [
        _field(
            t(lang, "field_customer"),
            inert(summary.customer_name, _CAP_CUSTOMER_NAME, redact=redact),
        ),
        _field(t(lang, "field_customer_id"), inert(summary.customer_id, _CAP_ID, redact=redact)),
        _field(t(lang, "field_phone"), phone),
        _field(
            t(lang, "field_last_contact"),
            slack_date(summary.last_date, summary.last_date_raw, tz=tz, lang=lang, redact=redact),
        ),
        _field(t(lang, "field_result"), result),
        _field(t(lang, "field_calls"), calls),
        _field(t(lang, "field_conn_id"), inert(summary.conn_id, _CAP_CONN_ID, redact=redact)),
        _field(t(lang, "field_records"), fmt_int(summary.records, lang)),
    ]
    title = _campaign_title(summary, lang, redact)
    return {"type": "section", "text": _mrkdwn(f"*{title}*", verbatim=True), "fields": fields}


def _summary_text(
    answer: FindAnswer, *, lang: str, tz: tzinfo, redact: Sequence[str]
) -> tuple[str, str]:
    """(mrkdwn summary line, plain summary for the notification fallback)."""
    records = tn(lang, "records", answer.total_records)
    campaigns = tn(lang, "in_campaigns", len(answer.campaigns))
    parts = [f"*{records}* {campaigns}"]
    plain_parts = [f"{records} {campaigns}"]
    latest = answer.latest
    if latest is not None:
        if latest.last_date is not None:
            parts.append(
                t(
                    lang,
                    "last_contact",
                    date=slack_date(latest.last_date, latest.last_date_raw, tz=tz, lang=lang),
                )
            )
            plain_parts.append(t(lang, "last_contact", date=fmt_date(latest.last_date, lang)))
        elif latest.last_date_raw.strip():
            raw = inert(latest.last_date_raw, _CAP_DATE_RAW, redact=redact)
            parts.append(t(lang, "last_contact", date=raw))
        else:
            parts.append(t(lang, "last_contact_unknown"))
        result = inert(
            result_label(latest.last_result[: _CAP_RESULT + 64], lang), _CAP_RESULT, redact=redact
        )
        if result:
            parts.append(result)
        parts.append(_campaign_title(latest, lang, redact))
    return " · ".join(parts), ", ".join(plain_parts)


def _age_text(result: ResultView, *, lang: str, now: float, shared_by: str | None) -> str:
    if result.from_cache:
        age = t(lang, "age_cache", ago=fmt_ago(now - result.fetched_at, lang))
    else:
        age = t(lang, "age_live")
    parts = [age, t(lang, "took", s=fmt_seconds(result.upstream_ms / 1000, lang))]
    if result.shared and not result.from_cache:
        parts.append(t(lang, "coalesced"))
    if shared_by is not None:
        parts.append(t(lang, "shared_by", user=_user_mention(shared_by)))
    return " · ".join(parts)


def _user_mention(user_id: str) -> str:
    """`<@U123>` for a real Slack user id; anything else shown inert rather than trusted."""
    if _SLACK_USER_RE.match(user_id):
        return f"<@{user_id}>"
    return _or_placeholder(inert(user_id, 40))


def _actions(
    *,
    lang: str,
    value: str | None,
    share: bool,
    show_all: bool,
) -> Block | None:
    if value is None or not value or len(value) > MAX_BUTTON_VALUE:
        return None
    buttons = []
    if share:
        buttons.append(_button(t(lang, "button_share"), ACTION_SHARE, value, primary=True))
    buttons.append(_button(t(lang, "button_refresh"), ACTION_REFRESH, value))
    if show_all:
        buttons.append(_button(t(lang, "button_show_all"), ACTION_SHOW_ALL, value))
    return {"type": "actions", "elements": buttons}


def render_result(
    result: ResultView,
    *,
    lang: str,
    tz: tzinfo,
    now: float,
    mask_phones: bool,
    max_blocks: int = MAX_MESSAGE_BLOCKS,
    shared_by: str | None = None,
    actions: bool = True,
    button_value: str | None = None,
) -> Card:
    """The answer card: what was searched, a summary, one section per campaign (most recent
    first, as many as fit), the data's age, and buttons.

    `shared_by`: the Slack user id who shared it into a channel; the card says so, has no
    Share button, and masks every phone. `button_value`: an opaque value for the buttons
    instead of the query's JSON. A shared card of a phone search needs one, since the JSON
    would carry the full number into the channel; without it such a card has no buttons.
    `max_blocks` must be at least 6.
    """
    if max_blocks < _MIN_RESULT_BLOCKS:
        raise ValueError(f"max_blocks must be at least {_MIN_RESULT_BLOCKS}")
    query = result.query
    answer = result.answer
    shared = shared_by is not None
    mask = mask_phones or shared
    redact = _phones_to_redact(query, answer) if mask else ()
    searched = describe_query(query, lang, mask=mask)

    value: str | None = None
    if actions:
        if button_value is not None:
            value = button_value
        elif not (shared and query.phone):
            value = query_value(query)

    age = _context(_age_text(result, lang=lang, now=now, shared_by=shared_by))
    header = _header(f"🔎 {searched}")

    if answer.total_records == 0 and not answer.campaigns:
        body_key = "no_records_body_campaign" if query.campaign_id else "no_records_body"
        body = t(lang, body_key, query=inert(searched, 400), campaign=query.campaign_id)
        blocks = [
            header,
            _section(f"🙅 *{t(lang, 'no_records_title')}*\n{body}"),
            _context(t(lang, "no_records_tip")),
            age,
        ]
        buttons = _actions(lang=lang, value=value, share=not shared, show_all=False)
        if buttons is not None:
            blocks.append(buttons)
        text = t(lang, "fallback_no_records", query=inert(searched, 200))
        return Card(blocks=blocks, text=text[:MAX_FALLBACK_TEXT])

    summary, summary_plain = _summary_text(answer, lang=lang, tz=tz, redact=redact)
    head = [header, _section(summary, verbatim=True), {"type": "divider"}]

    # Room left once the head and the worst-case tail (age, left-out note, buttons) are counted.
    tail_worst = [
        age,
        _context(tn(lang, "left_out", 10**9) + " " + t(lang, "left_out_show_all")),
    ]
    worst_buttons = _actions(lang=lang, value=value, share=not shared, show_all=True)
    if worst_buttons is not None:
        tail_worst.append(worst_buttons)
    room_blocks = max_blocks - len(head) - len(tail_worst)
    room_text = TEXT_BUDGET - blocks_text_length(head) - blocks_text_length(tail_worst)

    sections: list[Block] = []
    for campaign in answer.campaigns:
        if len(sections) >= room_blocks:
            break
        block = _campaign_block(campaign, lang=lang, tz=tz, mask=mask, redact=redact)
        size = blocks_text_length([block])
        if size > room_text:
            break
        sections.append(block)
        room_text -= size
    left_out = len(answer.campaigns) - len(sections)

    blocks = head + sections + [age]
    buttons = _actions(lang=lang, value=value, share=not shared, show_all=left_out > 0)
    if left_out:
        note = tn(lang, "left_out", left_out)
        if buttons is not None:
            note += " " + t(lang, "left_out_show_all")
        blocks.append(_context(note))
    if buttons is not None:
        blocks.append(buttons)

    text = t(lang, "fallback_result", query=inert(searched, 200), summary=summary_plain)
    return Card(blocks=blocks, text=text[:MAX_FALLBACK_TEXT], left_out=left_out)


def _phones_to_redact(query: Query, answer: FindAnswer) -> tuple[str, ...]:
    """Phone numbers that must not appear in full anywhere on a masked card."""
    phones = {query.phone} | {c.phone.strip()[:40] for c in answer.campaigns[:MAX_MODAL_BLOCKS]}
    found = {p for p in phones if sum(ch.isdigit() for ch in p) >= 6}
    return tuple(sorted(found, key=len, reverse=True))  # longest first: no partial overlap


# ---------------------------------------------------------------- other cards


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
    elif kind == "circuit_open":
        kwargs["when"] = fmt_when(error.retry_after, lang)
    elif kind == "upstream_error":
        code = str(getattr(error, "code", "") or "")
        kwargs["code"] = f"`{inert(code, 40)}`" if code.strip() else "?"
    body = t(lang, f"error_{kind}_body", **kwargs)
    icon = _ERROR_ICONS.get(kind, "⚠️")
    blocks = [_section(f"{icon} *{title}*\n{body}")]
    if error_id:
        blocks.append(_context(t(lang, "error_id", id=inert(error_id, 64))))
    return Card(blocks=blocks, text=f"Wolkvox: {title}")


def render_usage(error: QueryError, lang: str) -> Card:
    """Bad or missing arguments: what was wrong, and how a search is written.

    All in `lang`: the error's `reason` says what to write instead; only an error without a
    known reason shows its (English) detail, as "Problem: …", under a generic line.
    """
    reason, localized = _field_reason(error, lang, mrkdwn=True)
    blocks = [_section(f"⚠️ *{t(lang, 'usage_title')}*\n{reason}")]
    if not localized:
        blocks.append(_context(t(lang, "usage_problem", detail=inert(error.detail, _CAP_DETAIL))))
    blocks.append(_section(t(lang, "usage_lines")))
    return Card(blocks=blocks, text=t(lang, "usage_title"))


def _field_reason(error: QueryError, lang: str, *, mrkdwn: bool) -> tuple[str, bool]:
    """(what is wrong, in `lang`; True when it is the reason's own message).

    The reason's params are the user's text: escaped for mrkdwn or cleaned for plain text.
    Without a message for the reason, the generic line for the error's field.
    """

    def escape(value: str | int) -> str | int:
        if isinstance(value, int):
            return value
        text = inert(str(value), _CAP_ID) if mrkdwn else plain(str(value), _CAP_ID)
        return text or _PLACEHOLDER

    params = {name: escape(value) for name, value in error.params.items()}
    message = query_error_message(lang, error.reason, params)
    if message is not None:
        return message, True
    key = f"usage_field_{error.field}"
    return (t(lang, key) if key in MESSAGES else t(lang, "usage_field_query")), False


def render_searching(
    query: Query, *, lang: str, mask_phones: bool, position: int | None = None
) -> Card:
    """The immediate answer while the lookup runs; `position` is the 1-based place in line."""
    line = t(lang, "searching", query=inert(describe_query(query, lang, mask=mask_phones), 400))
    blocks = [_section(line)]
    if position is not None and position > 0:
        blocks.append(_context(t(lang, "queue_position", ord=ordinal(position, lang))))
    return Card(blocks=blocks, text=line)


def render_help(lang: str) -> Card:
    """Usage of every command and the other ways in (mention, shortcuts)."""
    blocks = [
        _header(t(lang, "help_title")),
        _section(t(lang, "help_intro")),
        _section(t(lang, "help_commands")),
        _section(t(lang, "help_other")),
    ]
    return Card(blocks=blocks, text=t(lang, "fallback_help"))


_STATUS_TOKENS_SHOWN = 20


def render_status(status: StatusInfo, lang: str) -> Card:
    """`/wolkvox status`: queue, cache, per-token use today (masked tokens), last error."""
    if status.cache_hit_rate is None:
        hit_rate = _PLACEHOLDER
    else:
        hit_rate = f"{round(min(1.0, max(0.0, status.cache_hit_rate)) * 100)} %"
    backend = inert(status.backend, 40)
    backend_line = t(
        lang, "status_backend_ok" if status.backend_ok else "status_backend_down", backend=backend
    )
    last_error = (
        inert(status.last_upstream_error, _CAP_DETAIL)
        if status.last_upstream_error
        else t(lang, "status_none")
    )
    fields = [
        _field(t(lang, "status_queue"), fmt_int(status.queue_depth, lang)),
        _field(t(lang, "status_cache"), hit_rate),
        _field(t(lang, "status_backend"), ("✅ " if status.backend_ok else "❌ ") + backend_line),
        _field(t(lang, "status_last_error"), last_error),
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
        _header(t(lang, "status_title")),
        {"type": "section", "fields": fields},
        _section(f"*{t(lang, 'status_tokens')}*\n" + "\n".join(lines)),
    ]
    return Card(blocks=blocks, text=t(lang, "status_title"))


def render_refusal(lang: str) -> Card:
    """Polite private refusal for someone outside the allowed users, groups or channels."""
    text = t(lang, "refusal")
    return Card(blocks=[_section(f"🚫 {text}")], text=text)


def render_rate_limited(lang: str, retry_after: float | None) -> Card:
    """Over WOLKVOX_USER_RATE: when to try again."""
    text = t(lang, "rate_limited", when=fmt_when(retry_after, lang))
    return Card(blocks=[_section(f"⏳ {text}")], text=text)


def render_nothing_found_in_message(lang: str) -> Card:
    """Message shortcut on a text with no phone number or labelled customer id."""
    text = t(lang, "nothing_in_message")
    return Card(blocks=[_section(f"🤷 {text}")], text=text)


def render_stale_button(lang: str) -> Card:
    """A button whose value can no longer be read (expired seal, restart, old message)."""
    text = t(lang, "stale_button")
    return Card(blocks=[_section(f"⌛ {text}")], text=text)


def field_error(error: QueryError, lang: str) -> str:
    """The inline error under a search-modal field (`response_action: errors`): plain text,
    all in `lang`; only an error without a known reason adds its (English) detail."""
    reason, localized = _field_reason(error, lang, mrkdwn=False)
    if localized:
        return plain(reason, _CAP_DETAIL)
    detail = plain(error.detail, _CAP_DETAIL)
    return f"{reason} ({detail})" if detail else reason


def render_multi(
    cards: Sequence[Card], max_blocks: int = MAX_MESSAGE_BLOCKS, *, lang: str = "es"
) -> Card:
    """Several answers in one message (the message shortcut), whole cards, in order.

    Cards that do not fit (blocks or text) are left out and counted (`left_out` counts cards
    here, and a note says how many). Render each card with a share of the blocks (e.g.
    `max_blocks // len(queries)`) so they all fit. Button action ids of the 2nd card on get a
    `#n` suffix, because action ids must be unique within a message: listeners match them with
    `action_pattern`. No cards at all gives the "nothing found in that message" card.
    """
    if not cards:
        return render_nothing_found_in_message(lang)
    chunks: list[list[Block]] = []  # the blocks of each shown card, divider included
    used_blocks = used_text = 0
    for index, card in enumerate(cards):
        candidate = copy.deepcopy(card.blocks[:max_blocks])
        if index:
            _suffix_actions(candidate, index)
            candidate.insert(0, {"type": "divider"})
        size = blocks_text_length(candidate)
        if chunks and (used_blocks + len(candidate) > max_blocks or used_text + size > TEXT_BUDGET):
            break
        chunks.append(candidate)
        used_blocks += len(candidate)
        used_text += size
    while True:
        left_out = len(cards) - len(chunks)
        blocks = [block for chunk in chunks for block in chunk]
        if not left_out:
            break
        note = _mrkdwn(tn(lang, "multi_left_out", left_out))
        if len(blocks) < max_blocks:
            blocks.append({"type": "context", "elements": [note]})
            break
        last_context = next((b for b in reversed(blocks) if b["type"] == "context"), None)
        if last_context is not None and len(last_context["elements"]) < 10:
            last_context["elements"].append(note)
            break
        if len(chunks) == 1:
            break  # nowhere to say it; the one card shown is still whole and valid
        chunks.pop()
    text = " | ".join(cards[i].text for i in range(len(chunks)))
    if len(text) > MAX_FALLBACK_TEXT:
        text = text[: MAX_FALLBACK_TEXT - 1] + "…"
    return Card(blocks=blocks, text=text or t(lang, "fallback_help"), left_out=left_out)


def _suffix_actions(blocks: list[Block], index: int) -> None:
    for block in blocks:
        if block.get("type") == "actions":
            for element in block.get("elements", []):
                if "action_id" in element:
                    element["action_id"] = f"{element['action_id']}#{index + 1}"


def action_pattern(action_id: str) -> re.Pattern[str]:
    """Matches `action_id` and its `#n` variants (cards inside `render_multi`)."""
    return re.compile(rf"^{re.escape(action_id)}(?:#\d+)?$")


def base_action_id(action_id: str) -> str:
    """`share_card#2` → `share_card`."""
    return action_id.split("#", 1)[0]


# ---------------------------------------------------------------- modals


def _modal(title: str, blocks: list[Block], *, close: str, **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": _plain_text(title, MAX_MODAL_TITLE),
        "close": _plain_text(close, MAX_MODAL_TITLE),
        "blocks": blocks,
    }
    view.update(extra)
    return view


def _input(block_id: str, label: str, placeholder: str, initial: str, hint: str = "") -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": block_id,
        "max_length": INPUT_MAX_LENGTH[block_id],
        "placeholder": _plain_text(placeholder, 150),
    }
    initial = plain(initial, INPUT_MAX_LENGTH[block_id] + 16)[: INPUT_MAX_LENGTH[block_id]]
    if initial:
        element["initial_value"] = initial
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": _plain_text(label, 2000),
        "element": element,
    }
    if hint:
        block["hint"] = _plain_text(hint, 2000)
    return block


def search_modal(
    lang: str, *, initial: dict[str, str] | None = None, private_metadata: str = ""
) -> dict[str, Any]:
    """The global shortcut's form: phone, customer id and campaign, all optional (the submit
    handler reports "give a phone or an id" inline). `private_metadata` ≤ 3000 chars."""
    values = initial or {}
    blocks = [
        _input(
            INPUT_PHONE,
            t(lang, "modal_phone"),
            t(lang, "modal_phone_placeholder"),
            values.get(INPUT_PHONE, ""),
            hint=t(lang, "modal_hint"),
        ),
        _input(
            INPUT_CUSTOMER_ID,
            t(lang, "modal_customer_id"),
            t(lang, "modal_customer_id_placeholder"),
            values.get(INPUT_CUSTOMER_ID, ""),
        ),
        _input(
            INPUT_CAMPAIGN_ID,
            t(lang, "modal_campaign_id"),
            t(lang, "modal_campaign_id_placeholder"),
            values.get(INPUT_CAMPAIGN_ID, ""),
        ),
    ]
    extra: dict[str, Any] = {
        "callback_id": SEARCH_CALLBACK_ID,
        "submit": _plain_text(t(lang, "modal_search_submit"), MAX_MODAL_TITLE),
    }
    if private_metadata:
        if len(private_metadata) > 3000:
            raise ValueError("private_metadata is limited to 3000 characters")
        extra["private_metadata"] = private_metadata
    return _modal(t(lang, "modal_search_title"), blocks, close=t(lang, "modal_cancel"), **extra)


def result_modal(card: Card, lang: str) -> dict[str, Any]:
    """A card shown in the search modal (render it with `max_blocks=100`)."""
    blocks = card.blocks[:MAX_MODAL_BLOCKS] or [_section(card.text)]
    return _modal(t(lang, "modal_result_title"), blocks, close=t(lang, "modal_close"))


def loading_modal(lang: str, *, position: int | None = None) -> dict[str, Any]:
    """What the modal shows between submit and the answer; `position`: 1-based place in line."""
    blocks = [_section(t(lang, "modal_loading"))]
    if position is not None and position > 0:
        blocks.append(_context(t(lang, "queue_position", ord=ordinal(position, lang))))
    return _modal(t(lang, "modal_search_title"), blocks, close=t(lang, "modal_close"))


# ---------------------------------------------------------------- terminal


_DATE_TOKEN_RE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_USER_TOKEN_RE = re.compile(r"<@([A-Z0-9]+)>")
_PROTECTED_RE = re.compile(_ZWJ + r"([*_~`])" + _ZWJ)
_OWN_MARKUP_RE = re.compile(r"[*`]")


def _mrkdwn_to_text(text: str) -> str:
    text = _DATE_TOKEN_RE.sub(r"\1", text)
    text = _USER_TOKEN_RE.sub(r"@\1", text)
    # Our own bold/code markers go; characters from data (fenced by ZWJs) stay.
    parts = _PROTECTED_RE.split(text)
    out = []
    for i, part in enumerate(parts):
        out.append(part if i % 2 else _OWN_MARKUP_RE.sub("", part))
    text = "".join(out)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def card_to_text(card: Card) -> str:
    """The card as readable terminal text (the local demo and the terminal lookup print it)."""
    lines: list[str] = []
    for block in card.blocks:
        kind = block.get("type")
        if kind == "header":
            title = block["text"]["text"]
            lines += [title, "=" * min(len(title), 60)]
        elif kind == "section":
            if "text" in block:
                lines.append(_text_of(block["text"]))
            for item in block.get("fields", []):
                label, _, value = _text_of(item).partition("\n")
                lines.append(f"  {label}: {value}" if value else f"  {label}")
        elif kind == "context":
            lines.append("  " + "  ".join(_text_of(e) for e in block["elements"] if "text" in e))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            labels = [
                f"[{e['text']['text']}]"
                for e in block["elements"]
                if isinstance(e.get("text"), dict)
            ]
            lines.append(" ".join(labels))
        elif kind == "input":
            lines.append(f"{block['label']['text']}: ____")
    return "\n".join(lines)


def _text_of(obj: dict[str, Any]) -> str:
    text = str(obj.get("text", ""))
    return _mrkdwn_to_text(text) if obj.get("type") == "mrkdwn" else text

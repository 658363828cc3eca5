"""Text from Wolkvox made inert for Slack: escaped, fenced, cut, its phones masked.

Every value from Wolkvox goes through `inert` (mrkdwn) or `plain` (plain_text) before it lands
in a card: a record can never ping `@channel`, inject a link, bold half the card or reverse the
text. Dates become `<!date^…>` tokens each reader sees in their own time zone.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.i18n import fmt_date
from bot.query import mask_phone

# Rendered (escaped) length caps per value, so one huge field can never crowd out the rest.
CAP_CAMPAIGN_NAME = 150
CAP_CUSTOMER_NAME = 200
CAP_ID = 60
CAP_PHONE = 40
CAP_DATE_RAW = 60
CAP_RESULT = 100
CAP_CALLS = 20
CAP_CONN_ID = 80
CAP_DETAIL = 300

ZWJ = "\u200d"
_FORMAT_CHARS = frozenset("*_~`")
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
PLACEHOLDER = "—"


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
        return ZWJ + ch + ZWJ
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


def or_placeholder(text: str) -> str:
    return text if text.strip() else PLACEHOLDER


def slack_date(
    value: datetime | None, raw: str, *, tz: tzinfo, lang: str, redact: Sequence[str] = ()
) -> str:
    """A date each reader sees in their own time zone, with a plain fallback.

    `value` is naive in the operation's time zone `tz`. Unparsed dates show Wolkvox's raw
    text, escaped; dates Slack cannot express (before 1970, out of range) show the fallback.
    """
    if value is None:
        return or_placeholder(inert(raw, CAP_DATE_RAW, redact=redact))
    fallback = fmt_date(value, lang)
    try:
        aware = value if value.tzinfo is not None else value.replace(tzinfo=tz)
        stamp = int(aware.timestamp())
    except (OverflowError, ValueError, OSError):
        return fallback
    if stamp < 0:
        return fallback
    return f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{fallback}>"

"""Query text → Query: pure parsing shared by the terminal, slash command, mentions and modal.

Every failure is a `QueryError` with an English detail (logs, terminal), the field it concerns
and a `reason` + `params` that cards turn into a message in the reader's language; nothing else
ever escapes these functions, whatever the text.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers

from bot.errors import QueryError

MAX_QUERY_TEXT = 500  # a longer "query" is a paste accident, not a search
MAX_SHORTCUT_TEXT = 40_000  # a Slack message's text is at most 40,000 characters
# What a search in prose needs: the words read for phones and ids stop here. Past it, a message
# is a paste, and reading all of it (phonenumbers' matcher: ~10 µs a character) would cost
# everyone else's acks. Callers also run the reading off the event loop.
MAX_SCAN_TEXT = 8_000
CANDIDATES_PER_QUERY = 8  # phone-like numbers examined in a message, per query it may yield
MIN_PHONE_DIGITS = 4
MAX_PHONE_DIGITS = 15  # E.164
MAX_CUSTOMER_ID = 40

_PHONE_CHARS_RE = re.compile(r"^\+?[0-9 ().\-/]+$")
_CUSTOMER_ID_RE = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._\-]{{0,{MAX_CUSTOMER_ID - 1}}}$")
_CAMPAIGN_ID_RE = re.compile(r"^[0-9]{1,12}$")

Verb = Literal["find", "help", "status", "call"]

_VERBS: dict[str, Verb] = {
    "find": "find",
    "buscar": "find",
    "search": "find",
    "help": "help",
    "ayuda": "help",
    "status": "status",
    "estado": "status",
    "call": "call",
    "llamar": "call",
}
_ID_WORDS = {"id", "cedula", "cédula", "documento", "doc"}
_CAMPAIGN_WORDS = {"campaign", "campaña", "campana", "camp"}
_IN_WORDS = {"en", "in"}  # `find 3001234567 en ec`: one operation of several
_OPERATION_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,11}$")


@dataclass(frozen=True, slots=True)
class Query:
    """What to ask Wolkvox: a phone (as sent), a customer id, or both; optionally one campaign."""

    phone: str = ""
    customer_id: str = ""
    campaign_id: str = ""
    operation: str = ""  # one operation's key (`en ec`) when several are served; "" = all

    @property
    def key(self) -> str:
        """Identity for the cache and for coalescing identical lookups."""
        key = f"p={self.phone}|i={self.customer_id}|c={self.campaign_id}"
        return f"{key}|o={self.operation}" if self.operation else key

    @property
    def kind(self) -> str:
        if self.phone and self.customer_id:
            return "phone+id"
        return "phone" if self.phone else "id"

    def masked(self) -> str:
        """The query as the audit log and shared cards show it: last 4 digits of a phone only."""
        parts = []
        if self.phone:
            parts.append(mask_phone(self.phone))
        if self.customer_id:
            parts.append("id " + mask_value(self.customer_id))
        if self.campaign_id:
            parts.append(f"campaign {self.campaign_id}")
        return " ".join(parts)

    def describe(self) -> str:
        parts = []
        if self.phone:
            parts.append(self.phone)
        if self.customer_id:
            parts.append(f"id {self.customer_id}")
        if self.campaign_id:
            parts.append(f"campaign {self.campaign_id}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Command:
    verb: Verb
    query: Query | None = None


def mask_phone(phone: str) -> str:
    """Everything but the last 4 digits hidden: enough for an agent to recognise, not to dial."""
    digits = [c for c in phone if c.isdigit()]
    if len(digits) <= 4:
        return "•" * len(digits)
    return "•" * (len(digits) - 4) + "".join(digits[-4:])


def mask_value(value: str) -> str:
    if len(value) <= 4:
        return "•" * len(value)
    return "•" * (len(value) - 4) + value[-4:]


def normalise_phone(text: str, region: str) -> str:
    """A phone as Wolkvox stores it: the national number in `region`, digits otherwise.

    `+57 300 123 4567` → `3001234567` (region CO); a number of another country keeps its
    country code (`+1 212 555 1234` → `12125551234`); short numbers (`555123`) go as digits.
    """
    raw = text.strip()
    if not raw:
        raise QueryError("empty phone number", field="phone", reason="empty_phone")
    if not _PHONE_CHARS_RE.match(raw) or raw.count("+") > 1:
        raise QueryError(
            f"{_clip(raw)!r} is not a phone number",
            field="phone",
            reason="not_a_phone",
            params={"text": _clip(raw)},
        )
    digits = "".join(c for c in raw if c.isdigit())
    if len(digits) < MIN_PHONE_DIGITS:
        raise QueryError(
            f"phone number too short (at least {MIN_PHONE_DIGITS} digits)",
            field="phone",
            reason="phone_too_short",
            params={"text": _clip(raw), "min": MIN_PHONE_DIGITS},
        )
    if len(digits) > MAX_PHONE_DIGITS:
        raise QueryError(
            f"phone number too long (at most {MAX_PHONE_DIGITS} digits)",
            field="phone",
            reason="phone_too_long",
            params={"text": _clip(raw), "max": MAX_PHONE_DIGITS},
        )
    region_code = phonenumbers.country_code_for_region(region)
    international = raw.startswith("+")
    if not international and digits.startswith("00" + str(region_code)):
        international, digits = True, digits[2:]  # 0057… written for +57…
    try:
        number = phonenumbers.parse(("+" + digits) if international else digits, region)
    except phonenumbers.NumberParseException:
        if international:
            raise _invalid_phone(raw) from None
        return digits
    if not phonenumbers.is_possible_number(number):
        if international:
            raise _invalid_phone(raw)
        return digits
    national = phonenumbers.national_significant_number(number)
    if number.country_code == region_code:
        return national
    return f"{number.country_code}{national}"


def validate_customer_id(text: str) -> str:
    value = text.strip()
    if not value:
        raise QueryError("empty customer id", field="customer_id", reason="empty_customer_id")
    if not _CUSTOMER_ID_RE.match(value):
        raise QueryError(
            f"{_clip(value)!r} is not a customer id (letters, digits, . _ -; up to 40)",
            field="customer_id",
            reason="bad_customer_id",
            params={"text": _clip(value), "max": MAX_CUSTOMER_ID},
        )
    return value


def validate_campaign_id(text: str) -> str:
    value = text.strip()
    if not value:
        raise QueryError(
            "'' is not a campaign id (a number)", field="campaign_id", reason="empty_campaign_id"
        )
    if not _CAMPAIGN_ID_RE.match(value):
        raise QueryError(
            f"{_clip(value)!r} is not a campaign id (a number)",
            field="campaign_id",
            reason="bad_campaign_id",
            params={"text": _clip(value)},
        )
    return value


def build_query(
    *,
    phone: str = "",
    customer_id: str = "",
    campaign_id: str = "",
    operation: str = "",
    region: str,
) -> Query:
    """Validate each part (as the modal's separate fields give them) into one Query."""
    phone_n = normalise_phone(phone, region) if phone.strip() else ""
    cid = validate_customer_id(customer_id) if customer_id.strip() else ""
    camp = validate_campaign_id(campaign_id) if campaign_id.strip() else ""
    if not phone_n and not cid:
        raise QueryError(
            "give a phone number or a customer id", field="phone", reason="nothing_to_search"
        )
    op = operation.strip().lower()
    if op and not _OPERATION_RE.match(op):
        raise QueryError(
            f"no operation {op[:12]!r}",
            field="operation",
            reason="unknown_operation",
            params={"key": op[:12], "known": "?"},
        )
    return Query(phone=phone_n, customer_id=cid, campaign_id=camp, operation=op)


def parse_find_args(text: str, region: str, default_campaign: str = "") -> Query:
    """`3001234567`, `id 1020304050`, `+57 300 123 4567 campaign 42` → Query.

    A phone may be written with spaces; `id` takes the next word; `campaign`/`campaña` the next.
    """
    if len(text) > MAX_QUERY_TEXT:
        raise _too_long()
    words = text.replace("\u00a0", " ").split()
    phone_words: list[str] = []
    customer_id = ""
    campaign = ""
    operation = ""
    i = 0
    while i < len(words):
        word = words[i]
        lower = word.lower().rstrip(":")
        if lower in _IN_WORDS and i + 1 < len(words) and _OPERATION_RE.match(words[i + 1]):
            operation = words[i + 1].lower()  # `en ec`: only that operation
            i += 2
            continue
        if lower in _ID_WORDS or lower in _CAMPAIGN_WORDS:
            if i + 1 >= len(words):
                is_id = lower in _ID_WORDS
                what = "customer id" if is_id else "campaign id"
                raise QueryError(
                    f"missing {what} after {word!r}",
                    field=_field(lower),
                    reason="missing_customer_id" if is_id else "missing_campaign_id",
                    params={"word": _clip(word.rstrip(":") or word, 20)},
                )
            value = words[i + 1]
            if lower in _ID_WORDS:
                if customer_id:
                    raise QueryError(
                        "only one customer id per search",
                        field="customer_id",
                        reason="one_customer_id",
                    )
                customer_id = validate_customer_id(value)
            else:
                if campaign:
                    raise QueryError(
                        "only one campaign per search", field="campaign_id", reason="one_campaign"
                    )
                campaign = validate_campaign_id(value)
            i += 2
            continue
        phone_words.append(word)
        i += 1
    phone = normalise_phone(" ".join(phone_words), region) if phone_words else ""
    if not phone and not customer_id:
        raise QueryError("give a phone number or a customer id", reason="nothing_to_search")
    return Query(
        phone=phone,
        customer_id=customer_id,
        campaign_id=campaign or default_campaign,
        operation=operation,
    )


def parse_command(text: str, region: str, default_campaign: str = "") -> Command:
    """Slash-command / mention text → Command. Empty text means help.

    A bare number (`/wolkvox 3001234567`), or a leading `id`/`campaign` word
    (`/wolkvox campaña 42 3001234567`), is taken as `find`.
    """
    if len(text) > MAX_QUERY_TEXT:
        raise _too_long()
    stripped = text.strip()
    if not stripped:
        return Command("help")
    head, _, rest = stripped.partition(" ")
    verb = _VERBS.get(head.lower())
    if verb is None:
        word = head.lower().rstrip(":")
        if word in _ID_WORDS or word in _CAMPAIGN_WORDS or head[:1] in "+(0123456789":
            verb, rest = "find", stripped
        else:
            raise QueryError(
                f"unknown command {_clip(head)!r}",
                field="command",
                reason="unknown_command",
                params={"word": _clip(head, 20)},
            )
    if verb == "call":  # `/wolkvox call 3001234567 [en ec]`: a phone to dial, nothing else
        query = parse_find_args(rest, region)
        if not query.phone or query.customer_id or query.campaign_id:
            raise QueryError(
                "call needs one phone number", field="phone", reason="call_needs_phone"
            )
        return Command("call", query)
    if verb != "find":
        return Command(verb)
    return Command("find", parse_find_args(rest, region, default_campaign))


_ID_IN_TEXT_RE = re.compile(
    r"(?:(?:\b(?:id|cc|cedula|cédula|documento|doc)\b|\bc\.c\.)[:#\s]*)"
    r"([A-Za-z0-9][A-Za-z0-9.\-]{3,39})",
    re.IGNORECASE,
)


def extract_queries(
    text: str, region: str, limit: int = 3, default_campaign: str = ""
) -> list[Query]:
    """Phones (phonenumbers' matcher) and labelled customer ids found in a message, in order.

    Only numbers that look like phones count (`looks_like_a_phone`): "desde enero de 2025 no
    contesta el 300 123 4567" finds the phone, never 2025. Duplicates are dropped; at most
    `limit` queries. Nothing recognisable → empty list.
    """
    text = text[:MAX_SCAN_TEXT]
    found: list[tuple[int, Query]] = []
    seen: set[str] = set()
    id_spans: list[tuple[int, int]] = []
    for m in _ID_IN_TEXT_RE.finditer(text):
        if len(id_spans) >= limit:
            break  # later ids come after these: none of them could make the first `limit`
        value = m.group(1).rstrip(".-")
        try:
            cid = validate_customer_id(value)
        except QueryError:
            continue
        id_spans.append((m.start(1), m.start(1) + len(value)))
        q = Query(customer_id=cid, campaign_id=default_campaign)
        if q.key not in seen:
            seen.add(q.key)
            found.append((m.start(), q))
    phones = 0
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
    # Each candidate costs phonenumbers a fraction of a millisecond: a pasted log repeating one
    # number (or a column of years) must not make it try hundreds.
    for match in itertools.islice(matcher, limit * CANDIDATES_PER_QUERY):
        if any(match.start < end and start < match.end for start, end in id_spans):
            continue  # "cc 1020304050" is a labelled id, not also a phone
        if not looks_like_a_phone(match.raw_string, match.number):
            continue  # a year, a date, an invoice number, an amount: never spend quota on it
        try:
            phone = normalise_phone(match.raw_string, region)
        except QueryError:
            continue
        q = Query(phone=phone, campaign_id=default_campaign)
        if q.key not in seen:
            seen.add(q.key)
            found.append((match.start, q))
            phones += 1
            if phones >= limit:
                break  # stop at the query limit: later phones cannot make the first `limit`
    found.sort(key=lambda item: item[0])
    return [q for _, q in found[:limit]]


# A number in free text that is not valid for the region is still taken as a phone when it is
# this long (a new range phonenumbers does not know yet), unless it is written like a date or
# an amount ("15/01/2025", "1.500.000").
MIN_UNLISTED_PHONE_DIGITS = 10
_DATE_OR_AMOUNT_RE = re.compile(r"[./]")


def looks_like_a_phone(raw: str, number: phonenumbers.PhoneNumber) -> bool:
    """Is a number pulled out of prose a phone? Valid for its region, or long and not shaped
    like a date or an amount. Years, dates, times, invoice numbers and amounts are not.
    (An explicit query, "find 555123", is never judged by this: it stays as typed.)"""
    if phonenumbers.is_valid_number(number):
        return True
    digits = sum(c.isdigit() for c in raw)
    return digits >= MIN_UNLISTED_PHONE_DIGITS and not _DATE_OR_AMOUNT_RE.search(raw)


def _invalid_phone(raw: str) -> QueryError:
    return QueryError(
        f"{_clip(raw)!r} is not a valid phone number",
        field="phone",
        reason="invalid_phone",
        params={"text": _clip(raw)},
    )


def _too_long() -> QueryError:
    return QueryError(
        f"query too long (at most {MAX_QUERY_TEXT} characters)",
        reason="too_long",
        params={"max": MAX_QUERY_TEXT},
    )


def _field(word: str) -> str:
    return "customer_id" if word in _ID_WORDS else "campaign_id"


def _clip(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"

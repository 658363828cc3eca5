"""Query parsing: phones as Wolkvox stores them, ids, campaigns, commands in English and
Spanish, phones and ids found in messy message text, and (hypothesis) nothing but QueryError
ever escaping, whatever the text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import QueryError
from bot.i18n import LANGS, query_error_message
from bot.query import (
    MAX_CUSTOMER_ID,
    MAX_PHONE_DIGITS,
    MAX_QUERY_TEXT,
    MIN_PHONE_DIGITS,
    Command,
    Query,
    build_query,
    extract_queries,
    mask_phone,
    normalise_phone,
    parse_command,
    parse_find_args,
    validate_campaign_id,
    validate_customer_id,
)

CO = "CO"

# --- phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("+57 300 123 4567", "3001234567"),
        ("3001234567", "3001234567"),
        ("300 123 4567", "3001234567"),
        ("300-123-4567", "3001234567"),
        ("(300) 123.4567", "3001234567"),
        ("  +573001234567  ", "3001234567"),
        ("0057 300 123 4567", "3001234567"),  # 00 international prefix written for +
        ("00573001234567", "3001234567"),
        ("+57 (601) 555 1234", "6015551234"),  # a Bogotá landline
        ("555123", "555123"),  # short numbers go as their digits
        ("5551", "5551"),
        ("1234", "1234"),
        ("+1 212 555 1234", "12125551234"),  # another country keeps its code
        ("+44 20 7946 0958", "442079460958"),
        ("+52 55 1234 5678", "525512345678"),
    ],
)
def test_normalise_phone(text: str, sent: str) -> None:
    assert normalise_phone(text, CO) == sent


def test_region_decides_what_is_national() -> None:
    assert normalise_phone("+52 55 1234 5678", "MX") == "5512345678"
    assert normalise_phone("+57 300 123 4567", "MX") == "573001234567"
    assert normalise_phone("0052 55 1234 5678", "MX") == "5512345678"


@pytest.mark.parametrize(
    ("text", "why", "reason", "params"),
    [
        ("", "empty", "empty_phone", {}),
        ("   ", "empty", "empty_phone", {}),
        ("300abc4567", "not a phone", "not_a_phone", {"text": "300abc4567"}),
        ("300_123_4567", "not a phone", "not_a_phone", {"text": "300_123_4567"}),
        ("+57+300 123 4567", "not a phone", "not_a_phone", {"text": "+57+300 123 4567"}),
        ("300;1234567", "not a phone", "not_a_phone", {"text": "300;1234567"}),
        # fullwidth digits are not sent as-is
        ("３００１２３４５６７", "not a phone", "not_a_phone", {"text": "３００１２３４５６７"}),
        ("123", "too short", "phone_too_short", {"text": "123", "min": MIN_PHONE_DIGITS}),
        ("+5", "too short", "phone_too_short", {"text": "+5", "min": MIN_PHONE_DIGITS}),
        (
            "1234567890123456",
            "too long",
            "phone_too_long",
            {"text": "1234567890123456", "max": MAX_PHONE_DIGITS},
        ),
        (
            "+57 300 123 4567 8901 23",
            "too long",
            "phone_too_long",
            {"text": "+57 300 123 4567 8901 23", "max": MAX_PHONE_DIGITS},
        ),
        # no such country code
        ("+999 1234567", "not a valid", "invalid_phone", {"text": "+999 1234567"}),
    ],
)
def test_bad_phones(text: str, why: str, reason: str, params: dict[str, object]) -> None:
    with pytest.raises(QueryError) as info:
        normalise_phone(text, CO)
    assert why in info.value.detail
    assert info.value.field == "phone"
    assert info.value.reason == reason
    assert info.value.params == params
    assert "\n" not in str(info.value)


def test_a_long_bad_phone_is_clipped_in_the_message() -> None:
    with pytest.raises(QueryError) as info:
        normalise_phone("9" * 5 + "x" * 300, CO)
    assert len(info.value.detail) < 80
    text = info.value.params["text"]
    assert isinstance(text, str) and len(text) <= 40 and text.endswith("…")


def test_query_error_stays_backwards_compatible() -> None:
    error = QueryError("something odd")
    assert (error.detail, error.field, error.reason, error.params) == (
        "something odd",
        "query",
        "",
        {},
    )
    assert str(error) == "something odd"
    params = {"word": "x"}
    error = QueryError("d", field="command", reason="unknown_command", params=params)
    params["word"] = "changed"
    assert error.params == {"word": "x"}  # a copy: the caller's dict cannot change the error


def test_mask_phone_keeps_last_four() -> None:
    assert mask_phone("3001234567") == "••••••4567"
    assert mask_phone("4567") == "••••"
    assert Query(phone="3001234567", customer_id="1020304050").masked() == (
        "••••••4567 id ••••••4050"
    )


# --- find arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("3001234567", Query(phone="3001234567")),
        ("+57 300 123 4567", Query(phone="3001234567")),
        ("id 1020304050", Query(customer_id="1020304050")),
        ("ID: 1020304050", Query(customer_id="1020304050")),
        ("cédula 1020304050", Query(customer_id="1020304050")),
        ("documento AB-1234", Query(customer_id="AB-1234")),
        ("3001234567 campaign 42", Query(phone="3001234567", campaign_id="42")),
        ("300 123 4567 campaña 42", Query(phone="3001234567", campaign_id="42")),
        ("campana 42 3001234567", Query(phone="3001234567", campaign_id="42")),
        ("Campaign: 42 id 1020304050", Query(customer_id="1020304050", campaign_id="42")),
        ("3001234567 id 1020304050", Query(phone="3001234567", customer_id="1020304050")),
        ("300\u00a0123\u00a04567", Query(phone="3001234567")),  # no-break spaces from Slack
    ],
)
def test_parse_find_args(text: str, query: Query) -> None:
    assert parse_find_args(text, CO) == query


def test_default_campaign_applies_unless_one_is_given() -> None:
    assert parse_find_args("3001234567", CO, "7").campaign_id == "7"
    assert parse_find_args("3001234567 campaign 42", CO, "7").campaign_id == "42"
    assert parse_command("3001234567", CO, "7") == Command(
        "find", Query(phone="3001234567", campaign_id="7")
    )


@pytest.mark.parametrize(
    ("text", "field", "why", "reason", "params"),
    [
        ("", "query", "phone number or a customer id", "nothing_to_search", {}),
        ("campaign 42", "query", "phone number or a customer id", "nothing_to_search", {}),
        ("id", "customer_id", "missing customer id", "missing_customer_id", {"word": "id"}),
        ("ID:", "customer_id", "missing customer id", "missing_customer_id", {"word": "ID"}),
        (
            "3001234567 campaña",
            "campaign_id",
            "missing campaign id",
            "missing_campaign_id",
            {"word": "campaña"},
        ),
        (
            "3001234567 campaign abc",
            "campaign_id",
            "not a campaign id",
            "bad_campaign_id",
            {"text": "abc"},
        ),
        (
            "3001234567 campaign 1 campaign 2",
            "campaign_id",
            "only one campaign",
            "one_campaign",
            {},
        ),
        ("id 1 id 2", "customer_id", "only one customer id", "one_customer_id", {}),
        (
            "id <script>",
            "customer_id",
            "not a customer id",
            "bad_customer_id",
            {"text": "<script>", "max": MAX_CUSTOMER_ID},
        ),
        (
            "id " + "9" * 41,
            "customer_id",
            "not a customer id",
            "bad_customer_id",
            {"text": "9" * 39 + "…", "max": MAX_CUSTOMER_ID},
        ),
        (
            "3001234567 please",
            "phone",
            "not a phone number",
            "not_a_phone",
            {"text": "3001234567 please"},
        ),
        ("x" * (MAX_QUERY_TEXT + 1), "query", "too long", "too_long", {"max": MAX_QUERY_TEXT}),
    ],
)
def test_parse_find_args_errors(
    text: str, field: str, why: str, reason: str, params: dict[str, object]
) -> None:
    with pytest.raises(QueryError) as info:
        parse_find_args(text, CO)
    assert info.value.field == field
    assert why in info.value.detail
    assert info.value.reason == reason
    assert info.value.params == params


# --- commands -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Command("help")),
        ("   ", Command("help")),
        ("help", Command("help")),
        ("ayuda", Command("help")),
        ("AYUDA", Command("help")),
        ("status", Command("status")),
        ("estado", Command("status")),
        ("find 3001234567", Command("find", Query(phone="3001234567"))),
        ("buscar 3001234567", Command("find", Query(phone="3001234567"))),
        ("search id 1020304050", Command("find", Query(customer_id="1020304050"))),
        ("find id 1020304050", Command("find", Query(customer_id="1020304050"))),
        (
            "buscar 3001234567 campaña 42",
            Command("find", Query(phone="3001234567", campaign_id="42")),
        ),
        ("3001234567", Command("find", Query(phone="3001234567"))),  # bare number → find
        ("+57 300 123 4567", Command("find", Query(phone="3001234567"))),
        ("(300) 123 4567", Command("find", Query(phone="3001234567"))),
        ("id 1020304050", Command("find", Query(customer_id="1020304050"))),
        # a leading campaign word implies find, as a leading id word does
        (
            "campaña 42 3001234567",
            Command("find", Query(phone="3001234567", campaign_id="42")),
        ),
        (
            "Campaign: 42 id 1020304050",
            Command("find", Query(customer_id="1020304050", campaign_id="42")),
        ),
        ("camp 7 3001234567", Command("find", Query(phone="3001234567", campaign_id="7"))),
    ],
)
def test_parse_command(text: str, command: Command) -> None:
    assert parse_command(text, CO) == command


@pytest.mark.parametrize("text", ["frobnicate 3001234567", "hola", "¿quién es 3001234567?"])
def test_unknown_verb(text: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_command(text, CO)
    assert info.value.field == "command"
    assert "unknown command" in info.value.detail
    assert info.value.reason == "unknown_command"
    assert info.value.params == {"word": text.split()[0]}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("campaña", "missing_campaign_id"),
        ("campaña 42", "nothing_to_search"),
        ("campaign x 3001234567", "bad_campaign_id"),
        ("x" * (MAX_QUERY_TEXT + 1), "too_long"),
    ],
)
def test_a_leading_campaign_word_gives_find_errors(text: str, reason: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_command(text, CO)
    assert info.value.reason == reason


def test_find_errors_come_through_parse_command() -> None:
    with pytest.raises(QueryError) as info:
        parse_command("find", CO)
    assert "phone number or a customer id" in info.value.detail
    with pytest.raises(QueryError):
        parse_command("buscar 12", CO)


# --- build_query (the modal's separate fields) ---------------------------------------------------


def test_build_query() -> None:
    assert build_query(phone="+57 300 123 4567", campaign_id=" 42 ", region=CO) == Query(
        phone="3001234567", campaign_id="42"
    )
    assert build_query(customer_id=" 1020304050 ", region=CO) == Query(customer_id="1020304050")
    with pytest.raises(QueryError) as info:
        build_query(phone=" ", customer_id="", region=CO)
    assert info.value.field == "phone"  # the modal shows it on its first field
    assert info.value.reason == "nothing_to_search"
    with pytest.raises(QueryError) as info:
        build_query(phone="3001234567", campaign_id="x", region=CO)
    assert info.value.field == "campaign_id"
    assert info.value.reason == "bad_campaign_id"


def test_validators_called_directly_with_nothing() -> None:
    with pytest.raises(QueryError) as info:
        validate_customer_id("  ")
    assert (info.value.field, info.value.reason) == ("customer_id", "empty_customer_id")
    with pytest.raises(QueryError) as info:
        validate_campaign_id("")
    assert (info.value.field, info.value.reason) == ("campaign_id", "empty_campaign_id")


def test_query_key_tells_queries_apart() -> None:
    keys = {
        Query(phone="3001234567").key,
        Query(customer_id="3001234567").key,
        Query(phone="3001234567", campaign_id="42").key,
    }
    assert len(keys) == 3
    assert Query(phone="1").kind == "phone"
    assert Query(customer_id="1").kind == "id"
    assert Query(phone="1", customer_id="2").kind == "phone+id"


# --- extract_queries -----------------------------------------------------------------------------

MESSY = """Hola equipo 👋, el cliente llamó desde +57 300 123 4567 y también 310-456-7890.
Su cc 1020304050. Otra vez el mismo: 3001234567 (ya lo puse arriba).
Fijo: (601) 555 1234 · doc: AB-12345. Ticket #12, 3 de enero."""


def test_extract_queries_from_messy_text() -> None:
    found = extract_queries(MESSY, CO, limit=10)
    assert found == [
        Query(phone="3001234567"),
        Query(phone="3104567890"),
        Query(customer_id="1020304050"),
        Query(phone="6015551234"),
        Query(customer_id="AB-12345"),
    ]


def test_extract_queries_limit_and_order() -> None:
    assert extract_queries(MESSY, CO) == [
        Query(phone="3001234567"),
        Query(phone="3104567890"),
        Query(customer_id="1020304050"),
    ]
    assert extract_queries(MESSY, CO, limit=1) == [Query(phone="3001234567")]


def test_extract_queries_default_campaign() -> None:
    assert extract_queries("llamar al 3001234567", CO, default_campaign="42") == [
        Query(phone="3001234567", campaign_id="42")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "cc 1020304050",
        "CC: 1020304050",
        "c.c. 1020304050",
        "cédula #1020304050.",
        "id 1020304050",
    ],
)
def test_labelled_id_is_an_id_not_a_phone(text: str) -> None:
    assert extract_queries(text, CO) == [Query(customer_id="1020304050")]


@pytest.mark.parametrize("text", ["", "hola, ¿cómo vas?", "ticket 12", "x" * 50_000])
def test_extract_queries_nothing_found(text: str) -> None:
    assert extract_queries(text, CO) == []


# --- properties -----------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    [*"0123456789 +-().,/:#", "id ", "cc ", "campaign ", "campaña ", "find ", "buscar "]
)
_TEXT = st.one_of(
    st.text(max_size=120),
    st.lists(_ALPHABET, max_size=40).map("".join),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=600),
)
_REGION = st.sampled_from(["CO", "MX", "US", "BR", "ES"])
_FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_query_errors(call: Callable[[], object]) -> object:
    """Run `call`; a QueryError (one clear line) is fine, anything else fails the test."""
    try:
        return call()
    except QueryError as error:
        assert error.detail and "\n" not in error.detail
        # Every error a parser raises can be told to the agent in either language.
        for lang in LANGS:
            assert query_error_message(lang, error.reason, error.params), error.reason
        return None


@_FAST
@given(text=_TEXT, region=_REGION)
def test_parse_command_raises_only_query_error(text: str, region: str) -> None:
    result = _only_query_errors(lambda: parse_command(text, region))
    if isinstance(result, Command) and result.query is not None:
        q = result.query
        assert q.phone or q.customer_id
        assert q.phone == "" or q.phone.isdigit()


@_FAST
@given(text=_TEXT, region=_REGION)
def test_parse_find_args_raises_only_query_error(text: str, region: str) -> None:
    _only_query_errors(lambda: parse_find_args(text, region))


@_FAST
@given(text=_TEXT, region=_REGION, limit=st.integers(0, 5))
def test_extract_queries_never_raises(text: str, region: str, limit: int) -> None:
    found = extract_queries(text, region, limit=limit)
    assert len(found) <= limit
    assert len({q.key for q in found}) == len(found)
    for q in found:
        assert q.phone.isdigit() or q.customer_id


@_FAST
@given(phone=_TEXT, customer_id=_TEXT, campaign=_TEXT, region=_REGION)
def test_build_query_raises_only_query_error(
    phone: str, customer_id: str, campaign: str, region: str
) -> None:
    _only_query_errors(
        lambda: build_query(
            phone=phone, customer_id=customer_id, campaign_id=campaign, region=region
        )
    )


@_FAST
@given(digits=st.text(alphabet="0123456789", min_size=4, max_size=15), region=_REGION)
def test_plain_digits_always_parse_to_digits(digits: str, region: str) -> None:
    sent = normalise_phone(digits, region)
    assert sent.isdigit()
    assert 4 <= len(sent) <= 15


def test_a_message_repeating_one_number_is_not_read_to_its_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A pasted log repeating one phone once made phonenumbers try 600 candidates (80 ms of one
    core, the event loop's GIL included); a message yields its queries from the first few."""
    import phonenumbers

    import bot.query as query_module

    tried = 0

    class Counting(phonenumbers.PhoneNumberMatcher):  # type: ignore[misc]
        def next(self) -> phonenumbers.PhoneNumberMatch:
            nonlocal tried
            tried += 1
            return super().next()

    monkeypatch.setattr(query_module.phonenumbers, "PhoneNumberMatcher", Counting)
    text = "llamar al 3001234567. " * 2_000
    assert [q.phone for q in query_module.extract_queries(text, "CO", limit=3)] == ["3001234567"]
    assert tried <= 3 * query_module.CANDIDATES_PER_QUERY + 1


@pytest.mark.parametrize(
    ("text", "operation"),
    [("3001234567 en ec", "ec"), ("in CO 3001234567", "co"), ("3001234567", "")],
)
def test_en_names_one_operation_of_several(text: str, operation: str) -> None:
    query = parse_find_args(text, "CO")
    assert query.phone == "3001234567" and query.operation == operation
    assert ("|o=" in query.key) is bool(operation)  # its own cache entry

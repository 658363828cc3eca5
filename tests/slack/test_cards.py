"""Cards: what they say, that Wolkvox data stays inert, that shared cards hide phones, and that
every card (also on arbitrary records) is Block Kit Slack accepts, within its limits."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import errors as base_errors
from bot.devtools.fakeslack.reading import texts
from bot.i18n import MESSAGES
from bot.query import (
    Query,
    build_query,
    normalise_phone,
    parse_command,
    validate_campaign_id,
    validate_customer_id,
)
from bot.slack import cards
from bot.slack.cards import (
    Card,
    StatusInfo,
    card_to_text,
    field_error,
    loading_modal,
    render_error,
    render_help,
    render_multi,
    render_nothing_found_in_message,
    render_rate_limited,
    render_refusal,
    render_result,
    render_searching,
    render_stale_button,
    render_status,
    render_usage,
    result_modal,
    search_modal,
)
from bot.slack.cards.result import _campaign_title
from bot.slack.ids import (
    ACTION_REFRESH,
    ACTION_SHARE,
    ACTION_SHOW_ALL,
    action_pattern,
    base_action_id,
)
from bot.wolkvox import errors
from bot.wolkvox.lookup import SLOW, LookupResult
from bot.wolkvox.records import CampaignSummary, FindAnswer
from tests.blockkit import assert_valid_message, assert_valid_modal, total_text_length

TZ = ZoneInfo("America/Bogota")
FETCHED = 1_790_000_000.0
NOW = FETCHED + 130  # "2 min ago"
PHONE = "3001234567"
EVIL = "<!channel> <https://evil.com|click> *x* &amp;"
ZWJ = "\u200d"


def summary(i: int = 0, **overrides: Any) -> CampaignSummary:
    values: dict[str, Any] = {
        "campaign_id": str(42 + i),
        "customer_name": "Ana María Gómez",
        "customer_id": "1020304050",
        "phone": PHONE,
        "last_date": datetime(2026, 11, 20, 14, 3),
        "last_date_raw": "2026-11-20 14:03:00",
        "last_result": "ANSWER",
        "calls": 3,
        "calls_raw": "3",
        "conn_id": f"conn-{i}",
        "records": 20_000,
        "campaign_name": "Cobranza Q4" if i == 0 else f"Campaña {i}",
    }
    values.update(overrides)
    return CampaignSummary(**values)


def result(
    campaigns: tuple[CampaignSummary, ...] | None = None,
    *,
    total: int | None = None,
    query: Query | None = None,
    from_cache: bool = True,
    shared: bool = False,
    upstream_ms: float = 400.0,
) -> LookupResult:
    campaigns = (summary(0), summary(1), summary(2)) if campaigns is None else campaigns
    answer = FindAnswer(
        total_records=sum(c.records for c in campaigns) if total is None else total,
        campaigns=campaigns,
        records=(),
    )
    return LookupResult(
        query=query or Query(phone=PHONE),
        answer=answer,
        fetched_at=FETCHED,
        from_cache=from_cache,
        shared=shared,
        upstream_ms=upstream_ms,
    )


SEALED = "sealed:gAAAAABtest"  # what the runtime's Sealer gives the buttons (opaque here)


def render(res: LookupResult, **kwargs: Any) -> Card:
    options: dict[str, Any] = {
        "lang": "en",
        "tz": TZ,
        "now": NOW,
        "mask_phones": False,
        "button_value": SEALED,
    }
    options.update(kwargs)
    # A private card that hides nothing: the disclosure rule's `full_detail` (Export CSV).
    options.setdefault(
        "full_detail", options.get("shared_by") is None and not options["mask_phones"]
    )
    card = render_result(res, **options)
    assert_valid_message(card.blocks)
    return card


def dump(card: Card) -> str:
    return json.dumps(card.blocks, ensure_ascii=False) + "\n" + card.text


def buttons(card: Card) -> dict[str, dict[str, Any]]:
    found = {}
    for block in card.blocks:
        if block["type"] == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = element
    return found


def campaign_sections(card: Card) -> list[dict[str, Any]]:
    return [b for b in card.blocks if b["type"] == "section" and "fields" in b]


_TOKEN_RE = re.compile(r"<[^<>]*>")
_ALLOWED_TOKEN_RE = re.compile(
    r"^(<!date\^\d+\^\{date_short_pretty\} \{time\}\|[^<>|]*>|<@[UW][A-Z0-9]+>)$"
)


def assert_inert(card: Card) -> None:
    """Only our own tokens (dates, the sharer's mention) may use Slack's <…> syntax."""
    for text in [*texts(card.blocks), card.text]:
        for token in _TOKEN_RE.findall(text):
            assert _ALLOWED_TOKEN_RE.match(token), f"live token {token!r} in {text!r}"
        assert "<" not in _TOKEN_RE.sub("", text)
        assert ">" not in _TOKEN_RE.sub("", text)


# ---------------------------------------------------------------- the result card


def test_result_card_in_english_says_what_an_agent_needs() -> None:
    card = render(result(total=60_000))
    header = card.blocks[0]
    assert header["type"] == "header"
    assert PHONE in header["text"]["text"]
    summary_text = card.blocks[1]["text"]["text"]
    assert "*60,000 records* in 3 campaigns" in summary_text
    assert "last contact <!date^" in summary_text
    assert "Answered" in summary_text and "Cobranza Q4" in summary_text

    sections = campaign_sections(card)
    assert [s["text"]["text"] for s in sections] == [
        "*Cobranza Q4 · campaign 42*",
        "*Campaña 1 · campaign 43*",
        "*Campaña 2 · campaign 44*",
    ]
    fields = [f["text"] for f in sections[0]["fields"]]
    assert fields == [
        "*Customer*\nAna María Gómez",
        "*Customer id*\n1020304050",
        f"*Phone*\n{PHONE}",
        fields[3],
        "*Result*\nAnswered",
        "*Calls*\n3",
        "*Call id*\nconn-0",
        "*Records*\n20,000",
    ]
    # 14:03 in Bogotá (UTC-5) is 19:03 UTC: each reader sees it in their own zone.
    stamp = int(datetime(2026, 11, 20, 19, 3, tzinfo=UTC).timestamp())
    assert fields[3] == (
        f"*Last contact*\n<!date^{stamp}^{{date_short_pretty}} {{time}}|20 Nov 2026 14:03>"
    )

    context = " ".join(texts([b for b in card.blocks if b["type"] == "context"]))
    assert "From cache, 2 min ago" in context
    assert "Wolkvox took 0.4 s" in context
    # 20,000 records: more than a card shows, so the full answer can be exported.
    assert set(buttons(card)) == {ACTION_SHARE, ACTION_REFRESH, "export_csv"}
    assert card.left_out == 0
    assert card.text == (
        f"Wolkvox · {PHONE}: 60,000 records in 3 campaigns, last contact 20 Nov 2026 14:03"
    )
    assert_inert(card)


def test_result_card_in_spanish() -> None:
    card = render(result(total=60_000), lang="es")
    summary_text = card.blocks[1]["text"]["text"]
    assert "*60.000 registros* en 3 campañas" in summary_text
    assert "último contacto <!date^" in summary_text
    assert "Contestada" in summary_text
    fields = [f["text"] for f in campaign_sections(card)[0]["fields"]]
    assert "*Cliente*\nAna María Gómez" in fields
    assert "*Resultado*\nContestada" in fields
    assert "*Registros*\n20.000" in fields
    context = " ".join(texts([b for b in card.blocks if b["type"] == "context"]))
    assert "De la caché, hace 2 min" in context and "Wolkvox tardó 0,4 s" in context
    labels = {b["text"]["text"] for b in buttons(card).values()}
    assert labels == {"Compartir en el canal", "Actualizar", "Exportar CSV"}
    assert "registros" in card.text and "20 nov 2026 14:03" in card.text


def test_live_and_coalesced_answers_say_so() -> None:
    card = render(result(from_cache=False, shared=True, upstream_ms=12_400))
    context = " ".join(texts([b for b in card.blocks if b["type"] == "context"]))
    assert "Live" in context
    assert "Wolkvox took 12 s" in context
    assert "identical search" in context


@pytest.mark.parametrize(
    ("raw", "en", "es"),
    [
        ("answer", "Answered", "Contestada"),
        ("NO-ANSWER", "No answer", "Sin respuesta"),
        ("answer-machine", "Answering machine", "Contestador automático"),
        ("ABANDON", "Abandoned", "Abandonada"),
        ("busy", "Busy", "Ocupado"),
        ("congestion", "Network congestion", "Congestión de red"),
        ("unknown", "Unknown", "Desconocido"),
        ("FAILED", "Failed", "Fallida"),
        ("do-not-call", "Do not call", "No llamar"),
        ("chanunavail", "Channel unavailable", "Canal no disponible"),
        ("Promesa de pago", "Promesa de pago", "Promesa de pago"),
    ],
)
def test_results_are_human_labels_and_unknown_codes_stay_as_written(
    raw: str, en: str, es: str
) -> None:
    res = result((summary(last_result=raw),))
    for lang, label in (("en", en), ("es", es)):
        fields = [f["text"] for f in campaign_sections(render(res, lang=lang))[0]["fields"]]
        assert fields[4].split("\n", 1)[1] == label


def test_campaign_without_name_or_id_and_missing_values() -> None:
    res = result(
        (
            summary(0, campaign_name=""),
            summary(1, campaign_id="", campaign_name=""),
            summary(2, calls=None, calls_raw="n/a", customer_name="", conn_id="  "),
        )
    )
    sections = campaign_sections(render(res))
    assert sections[0]["text"]["text"] == "*Campaign 42*"
    assert sections[1]["text"]["text"] == "*No campaign*"
    fields = [f["text"] for f in sections[2]["fields"]]
    assert "*Customer*\n—" in fields and "*Calls*\nn/a" in fields and "*Call id*\n—" in fields


# ---------------------------------------------------------------- dates


def test_unparsed_dates_show_the_raw_text_escaped() -> None:
    res = result((summary(last_date=None, last_date_raw="ayer <b>tarde</b> & *noche*"),))
    card = render(res)
    field = campaign_sections(card)[0]["fields"][3]["text"]
    assert field.startswith("*Last contact*\nayer &lt;b&gt;tarde&lt;/b&gt; &amp; ")
    assert "<!date" not in card.blocks[1]["text"]["text"]
    assert "last contact ayer &lt;b&gt;" in card.blocks[1]["text"]["text"]
    assert_inert(card)


def test_no_date_at_all() -> None:
    card = render(result((summary(last_date=None, last_date_raw=""),)))
    assert campaign_sections(card)[0]["fields"][3]["text"] == "*Last contact*\n—"
    assert "date of last contact unknown" in card.blocks[1]["text"]["text"]


def test_dates_slack_cannot_express_fall_back_to_plain_text() -> None:
    card = render(result((summary(last_date=datetime(1, 1, 1, 0, 0)),)))
    assert campaign_sections(card)[0]["fields"][3]["text"] == "*Last contact*\n1 Jan 0001 00:00"


def test_the_operation_time_zone_decides_the_instant() -> None:
    bogota = cards.slack_date(datetime(2026, 1, 1, 12, 0), "", tz=TZ, lang="en")
    utc = cards.slack_date(datetime(2026, 1, 1, 12, 0), "", tz=UTC, lang="en")
    stamp_bogota = int(re.findall(r"date\^(\d+)", bogota)[0])
    stamp_utc = int(re.findall(r"date\^(\d+)", utc)[0])
    assert stamp_bogota - stamp_utc == 5 * 3600


# ---------------------------------------------------------------- escaping


def test_wolkvox_values_are_inert() -> None:
    evil = summary(
        campaign_name=EVIL,
        customer_name=EVIL,
        customer_id=EVIL,
        phone=EVIL,
        last_date=None,
        last_date_raw=EVIL,
        last_result=EVIL,
        calls=None,
        calls_raw=EVIL,
        conn_id=EVIL,
        campaign_id=EVIL,
    )
    card = render(result((evil,)))
    assert_inert(card)
    blob = dump(card)
    assert "<!channel>" not in blob and "<https://" not in blob
    assert "&lt;!channel&gt; &lt;https://evil.com|click&gt;" in blob
    assert "&amp;amp;" in blob  # the literal "&amp;" in the data is shown as typed
    for section in campaign_sections(card):
        for f in section["fields"]:
            value = f["text"].split("\n", 1)[1]
            for i, ch in enumerate(value):
                if ch in "*_~`":
                    assert value[i - 1] == ZWJ and value[i + 1] == ZWJ, value
    # The terminal shows exactly what Wolkvox sent.
    assert f"Customer: {EVIL}" in card_to_text(card)


def test_values_cannot_break_out_of_their_field() -> None:
    res = result((summary(customer_name="Ana\n*Calls*\n999\u202eevil\u2028x\x00y"),))
    card = render(res)
    field = campaign_sections(card)[0]["fields"][0]["text"]
    assert field.count("\n") == 1
    assert "\u202e" not in field and "\x00" not in field and "\u2028" not in field
    assert f"{ZWJ}*{ZWJ}Calls{ZWJ}*{ZWJ}" in field


def test_lone_surrogates_do_not_break_the_payload() -> None:
    card = render(result((summary(customer_name="a\ud800b"),)))
    assert "a\ufffdb" in campaign_sections(card)[0]["fields"][0]["text"]


# ---------------------------------------------------------------- masking


def test_shared_card_masks_every_phone_and_says_who_shared() -> None:
    other = "3109876543"
    res = result(
        (
            summary(0, customer_name=f"Call back on {PHONE}"),
            summary(1, phone=other, conn_id=f"x{other}y"),
        )
    )
    card = render(res, shared_by="U024BE7LH")
    blob = dump(card)
    assert PHONE not in blob and other not in blob
    assert "••••••4567" in card.blocks[0]["text"]["text"]
    assert "••••••6543" in blob
    assert "Call back on ••••••4567" in blob
    context = " ".join(texts([b for b in card.blocks if b["type"] == "context"]))
    assert "Shared by <@U024BE7LH>" in context
    # Buttons only carry a sealed value: the refresh button keeps it, Share is gone.
    assert set(buttons(card)) == {ACTION_REFRESH}
    assert buttons(card)[ACTION_REFRESH]["value"] == SEALED
    assert_inert(card)


def test_shared_card_buttons_use_the_given_value_and_never_offer_share() -> None:
    card = render(result(), shared_by="U024BE7LH", button_value="ref:abc123")
    found = buttons(card)
    assert set(found) == {ACTION_REFRESH}
    assert found[ACTION_REFRESH]["value"] == "ref:abc123"
    assert PHONE not in dump(card)


def test_a_card_without_a_sealed_value_has_no_buttons() -> None:
    """No unsealed fallback: a query never rides in a button in the clear."""
    for query in (Query(phone=PHONE), Query(customer_id="1020304050")):
        for shared_by in (None, "U024BE7LH"):
            card = render(result(query=query), shared_by=shared_by, button_value=None)
            assert buttons(card) == {}
            assert not any(b["type"] == "actions" for b in card.blocks)


def test_a_sharer_that_is_not_a_user_id_is_shown_inert() -> None:
    card = render(result(), shared_by="<!channel>")
    assert_inert(card)
    assert "&lt;!channel&gt;" in dump(card)


def test_mask_phones_always_masks_private_cards_too() -> None:
    card = render(result(), mask_phones=True)
    blob_without_buttons = json.dumps(
        [b for b in card.blocks if b["type"] != "actions"], ensure_ascii=False
    )
    assert PHONE not in blob_without_buttons and PHONE not in card.text
    assert ACTION_SHARE in buttons(card)


# ---------------------------------------------------------------- limits


def test_500_campaigns_are_cut_with_a_correct_summary() -> None:
    many = tuple(summary(i) for i in range(500))
    card = render(result(many, total=60_000))
    sections = campaign_sections(card)
    assert 10 <= len(sections) < 500
    assert len(card.blocks) <= 50
    assert total_text_length(card.blocks) <= 8_000  # the message budget, under Slack's ~11-13k
    assert card.left_out == 500 - len(sections)
    # Most recent first: the shown ones are the first ones, in order.
    shown_ids = [s["text"]["text"] for s in sections]
    assert shown_ids == [_campaign_title(c, "en", ()).join("**") for c in many[: len(sections)]]
    summary_text = card.blocks[1]["text"]["text"]
    assert "*60,000 records* in 500 campaigns" in summary_text and "Cobranza Q4" in summary_text
    notes = " ".join(texts([b for b in card.blocks if b["type"] == "context"]))
    assert f"{card.left_out} more campaigns not shown" in notes
    assert set(buttons(card)) == {ACTION_SHARE, ACTION_REFRESH, ACTION_SHOW_ALL, "export_csv"}


def test_a_modal_shows_more_of_the_same_answer() -> None:
    many = tuple(summary(i) for i in range(500))
    in_message = render(result(many))
    modal_card = render_result(
        result(many), lang="en", tz=TZ, now=NOW, mask_phones=False, max_blocks=100
    )
    view = result_modal(modal_card, "en")
    assert_valid_modal(view)
    assert len(view["blocks"]) <= 100
    assert modal_card.left_out < in_message.left_out


def test_show_all_names_each_campaigns_operation_like_the_card() -> None:
    countries = ("Colombia", "Ecuador", "Panamá")
    many = tuple(summary(i, operation=countries[i % 3]) for i in range(120))
    modal_card = render_result(
        result(many), lang="en", tz=TZ, now=NOW, mask_phones=False, max_blocks=100
    )
    view = result_modal(modal_card, "en")
    assert_valid_modal(view)
    titles = [b["text"]["text"] for b in campaign_sections(modal_card)]
    assert len(titles) > len(campaign_sections(render(result(many))))  # more than a card
    for title, campaign in zip(titles, many, strict=False):
        assert title.startswith(f"*{campaign.operation} · ")


def test_smaller_block_budgets_are_respected() -> None:
    many = tuple(summary(i) for i in range(30))
    card = render(result(many), max_blocks=10)
    assert len(card.blocks) <= 10
    assert card.left_out == 30 - len(campaign_sections(card))
    with pytest.raises(ValueError):
        render(result(many), max_blocks=5)


@pytest.mark.parametrize("filler", ["x", "&", "*", "é", "😀"])
def test_huge_values_are_truncated(filler: str) -> None:
    huge = filler * 5000
    big = summary(
        campaign_name=huge,
        customer_name=huge,
        customer_id=huge,
        phone=huge,
        last_date=None,
        last_date_raw=huge,
        last_result=huge,
        calls=None,
        calls_raw=huge,
        conn_id=huge,
        campaign_id=huge,
    )
    card = render(result(tuple(big for _ in range(60)), total=10**12))
    assert "…" in campaign_sections(card)[0]["fields"][0]["text"]
    assert card.left_out > 0
    for text in texts(card.blocks):
        assert len(text) <= 3000


def test_every_button_carries_exactly_the_sealed_value() -> None:
    query = Query(phone=PHONE, customer_id="AB-12.x_9", campaign_id="42")
    card = render(result(query=query))
    assert buttons(card) and all(b["value"] == SEALED for b in buttons(card).values())
    too_long = "x" * 2001  # over Slack's button value limit: no buttons rather than a refusal
    assert buttons(render(result(query=query), button_value=too_long)) == {}


def test_cards_without_actions() -> None:
    card = render(result(), actions=False)
    assert buttons(card) == {}


# ---------------------------------------------------------------- no records


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_records_card(lang: str) -> None:
    card = render(result((), total=0), lang=lang)
    blob = dump(card)
    if lang == "en":
        assert "No records" in blob and "in any campaign" in blob
        assert card.text == f"Wolkvox · {PHONE}: no records"
    else:
        assert "Sin registros" in blob and "en ninguna campaña" in blob
    assert set(buttons(card)) == {ACTION_SHARE, ACTION_REFRESH}
    assert card.left_out == 0
    assert_inert(card)


def test_no_records_in_one_campaign_masked_when_shared() -> None:
    query = Query(phone=PHONE, campaign_id="42")
    card = render(result((), total=0, query=query), shared_by="U024BE7LH")
    blob = dump(card)
    assert "in campaign 42" in blob
    assert PHONE not in blob and "••••••4567" in blob


# ---------------------------------------------------------------- errors


def _every_error() -> list[base_errors.LookupFailure]:
    return [
        errors.TokenMissing("tok_SECRET123"),
        errors.TokenRejected("tok_SECRET123"),
        errors.QuotaExceeded("tok_SECRET123", retry_after=5 * 3600),
        base_errors.Busy("tok_SECRET123"),
        errors.UpstreamTimeout("tok_SECRET123"),
        errors.BrokenAnswer("tok_SECRET123"),
        errors.Unavailable("tok_SECRET123"),
        errors.CircuitOpen("tok_SECRET123", retry_after=30),
        errors.SimultaneousLimit("tok_SECRET123"),
        errors.UpstreamError("tok_SECRET123", code="503", message="tok_SECRET123"),
        base_errors.StoreUnavailable("tok_SECRET123"),
        base_errors.ShuttingDown("tok_SECRET123"),
        base_errors.LookupFailure("Traceback (most recent call last): tok_SECRET123"),
        errors.WolkvoxError("tok_SECRET123"),
    ]


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("error", _every_error(), ids=lambda e: type(e).__name__)
def test_every_error_has_a_valid_card_without_details(
    error: base_errors.LookupFailure, lang: str
) -> None:
    card = render_error(error, lang=lang, error_id="E-7f3a")
    assert_valid_message(card.blocks)
    blob = dump(card)
    assert "SECRET" not in blob and "Traceback" not in blob
    assert "`E-7f3a`" in blob
    assert card.text.startswith("Wolkvox: ")
    assert_inert(card)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.TokenMissing(), "Ask your admin to check the Wolkvox token"),
        (errors.TokenRejected(), "Ask your admin to check the Wolkvox token"),
        (errors.QuotaExceeded(), "back after midnight."),
        (errors.QuotaExceeded(retry_after=5 * 3600), "back after midnight (in 5 h)"),
        (base_errors.Busy(), "Too many searches are waiting"),
        (errors.UpstreamTimeout(), "Wolkvox took too long to answer"),
        (errors.BrokenAnswer(), "something the bot cannot read"),
        (errors.Unavailable(), "cannot be reached right now"),
        (errors.CircuitOpen(retry_after=30), "Retrying in 30 s"),
        (errors.CircuitOpen(), "Retrying shortly"),
        (errors.SimultaneousLimit(), "token is already in use"),
        (errors.UpstreamError(code="503"), "error code `503`"),
        (errors.UpstreamError(code="<!here>"), "error code `&lt;!here&gt;`"),
        (base_errors.StoreUnavailable(), "shared store (Redis)"),
        (base_errors.ShuttingDown(), "restarting"),
        (base_errors.LookupFailure("boom"), "Sorry: something went wrong"),
    ],
)
def test_error_cards_tell_the_agent_what_to_do(
    error: base_errors.LookupFailure, expected: str
) -> None:
    card = render_error(error, lang="en")
    assert_valid_message(card.blocks)
    assert expected in dump(card)


def test_error_cards_in_spanish() -> None:
    card = render_error(errors.TokenRejected(), lang="es")
    assert "Pide a tu administrador que revise el token de Wolkvox" in dump(card)
    card = render_error(errors.CircuitOpen(retry_after=30), lang="es")
    assert "en 30 s" in dump(card)


def test_internal_error_quotes_the_error_id() -> None:
    card = render_error(base_errors.LookupFailure(), lang="en", error_id="a1b2c3")
    assert "Error id (for your admin): `a1b2c3`" in dump(card)
    assert "error id" not in dump(render_error(base_errors.LookupFailure(), lang="en")).lower()


def test_bad_query_error_becomes_usage() -> None:
    problem = base_errors.QueryError("'abc' is not a phone number", field="phone")
    card = render_error(problem, lang="en")
    assert_valid_message(card.blocks)
    blob = dump(card)
    assert "That phone number doesn't look right." in blob
    assert "Problem: 'abc' is not a phone number" in blob
    assert "/wolkvox find id 1020304050" in blob
    assert card.text == "I couldn't understand that search"


@pytest.mark.parametrize("field", ["phone", "customer_id", "campaign_id", "command", "query", "?"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_usage_cards(field: str, lang: str) -> None:
    card = render_usage(base_errors.QueryError("<@U1> *bad* " + "x" * 5000, field=field), lang)
    assert_valid_message(card.blocks)
    assert_inert(card)


# ---------------------------------------------------------------- small cards


def test_searching_card() -> None:
    card = render_searching(Query(phone=PHONE), lang="en", mask_phones=False, position=None)
    assert_valid_message(card.blocks)
    assert card.text == f"🔎 Searching {PHONE}…"
    waiting = render_searching(Query(phone=PHONE), lang="en", mask_phones=True, position=3)
    assert_valid_message(waiting.blocks)
    assert "You're 3rd in line" in dump(waiting) and PHONE not in dump(waiting)
    es = render_searching(Query(customer_id="C-1", campaign_id="7"), lang="es", mask_phones=False)
    assert es.text == "🔎 Buscando id C-1 · campaña 7…"


def test_searching_card_hides_the_id_as_the_answer_will() -> None:
    query = Query(customer_id="1020304050")
    hidden = render_searching(query, lang="en", mask_phones=True, mask_id=True, position=SLOW)
    assert "1020304050" not in dump(hidden) and "4050" in dump(hidden)
    shown = render_searching(query, lang="en", mask_phones=False, position=SLOW)
    assert "1020304050" in dump(shown)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_searching_card_says_when_wolkvox_is_slow(lang: str) -> None:
    card = render_searching(Query(phone=PHONE), lang=lang, mask_phones=True, position=SLOW)
    assert_valid_message(card.blocks)
    slow = "Wolkvox is slow" if lang == "en" else "Wolkvox está tardando"
    assert slow in dump(card) and slow in card.text  # in the notification too
    assert PHONE not in dump(card) and "in line" not in dump(card)
    modal = loading_modal(lang, position=SLOW)
    assert_valid_modal(modal)
    assert slow in json.dumps(modal, ensure_ascii=False)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_help_card(lang: str) -> None:
    card = render_help(lang)
    assert_valid_message(card.blocks)
    assert_inert(card)
    blob = dump(card)
    # Each language teaches its own words and mentions the other language's aliases.
    for word in ("find", "campaign", "status", "help", "buscar", "campaña", "ayuda"):
        assert re.search(rf"\b{word}\b", blob), word
    assert ("find id" if lang == "en" else "buscar id") in blob
    assert "&lt;customer id&gt;" in blob or "&lt;identificación&gt;" in blob


def test_help_reads_well_in_a_terminal() -> None:
    text = card_to_text(render_help("en"))
    assert "/wolkvox find id <customer id>" in text
    assert "&lt;" not in text and "`" not in text


def test_status_card() -> None:
    status = StatusInfo(
        queue_depth=1234,
        cache_hit_rate=0.875,
        tokens=[
            ("…a1b2", 812, 1000, False),
            ("…c3d4", 1000, 1000, True),
            ("…e5f6", 3, None, False),
        ],
        last_upstream_error="timeout <!channel> after 55 s",
        backend="redis",
        backend_ok=False,
    )
    card = render_status(status, "en")
    assert_valid_message(card.blocks)
    assert_inert(card)
    blob = dump(card)
    for expected in (
        "1,234",
        "88 %",
        "…a1b2: 812 of 1,000 calls",
        "…c3d4: 1,000 of 1,000 calls · spent",
        "…e5f6: 3 calls (no quota set)",
        "redis: down",
        "timeout &lt;!channel&gt; after 55 s",
    ):
        assert expected in blob


def test_status_card_with_many_tokens_and_none() -> None:
    many = StatusInfo(
        queue_depth=0,
        cache_hit_rate=None,
        tokens=[(f"…{i:04d}", i, 1000, False) for i in range(30)],
    )
    card = render_status(many, "es")
    assert_valid_message(card.blocks)
    assert "… y 10 más" in dump(card) and "—" in dump(card)
    empty = render_status(StatusInfo(queue_depth=0, cache_hit_rate=0.0), "en")
    assert_valid_message(empty.blocks)
    assert "no token set up" in dump(empty) and "none" in dump(empty)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_refusal_rate_limit_and_nothing_found(lang: str) -> None:
    refusal = render_refusal(lang)
    limited = render_rate_limited(lang, 42)
    nothing = render_nothing_found_in_message(lang)
    for card in (refusal, limited, nothing):
        assert_valid_message(card.blocks)
        assert_inert(card)
    assert "42 s" in limited.text
    assert ("not allowed" if lang == "en" else "no tienes permiso") in refusal.text
    assert "id 1020304050" in nothing.text


@pytest.mark.parametrize("lang", ["en", "es"])
def test_stale_button_card(lang: str) -> None:
    card = render_stale_button(lang)
    assert_valid_message(card.blocks)
    assert_inert(card)
    assert ("/wolkvox find" if lang == "en" else "/wolkvox buscar") in card.text


def test_field_errors_are_short_plain_text() -> None:
    error = base_errors.QueryError("'abc' is not a phone number", field="phone")
    assert field_error(error, "en") == (
        "That phone number doesn't look right. ('abc' is not a phone number)"
    )
    assert field_error(error, "es").startswith("El teléfono no parece válido.")
    long = field_error(base_errors.QueryError("x" * 5000, field="campaign_id"), "en")
    assert long.startswith("The campaign must be a number.") and len(long) < 400
    assert field_error(base_errors.QueryError("", field="other"), "en") == (
        "Something to search for is missing."
    )


def _raised(call: Callable[[], object]) -> base_errors.QueryError:
    with pytest.raises(base_errors.QueryError) as info:
        call()
    return info.value


# Every QueryError reason, raised by the real parsers from what an agent could type (markup
# included where the reason quotes the agent's text), with a phrase each language must show.
_REASONS: dict[str, tuple[Callable[[], object], str, str]] = {
    "empty_phone": (
        lambda: normalise_phone(" ", "CO"),
        "Escribe un número de teléfono",
        "Type a phone number",
    ),
    "not_a_phone": (
        lambda: parse_command("find 300abc *hi*", "CO"),
        "no es un teléfono",
        "isn't a phone number",
    ),
    "phone_too_short": (
        lambda: parse_command("find 12", "CO"),
        "al menos 4 dígitos",
        "at least 4 digits",
    ),
    "phone_too_long": (
        lambda: parse_command("find 1234567890123456", "CO"),
        "como máximo 15 dígitos",
        "at most 15 digits",
    ),
    "invalid_phone": (
        lambda: parse_command("find +999 1234567", "CO"),
        "«+999 1234567» no es un teléfono válido",
        "“+999 1234567” isn't a valid phone number",
    ),
    "empty_customer_id": (
        lambda: validate_customer_id(""),
        "Escribe la identificación del cliente",
        "Type the customer id",
    ),
    "bad_customer_id": (
        lambda: parse_command("find id <@U1>&x", "CO"),
        "no es una identificación válida",
        "isn't a valid customer id",
    ),
    "empty_campaign_id": (
        lambda: validate_campaign_id(""),
        "Escribe el número de la campaña",
        "Type the campaign number",
    ),
    "bad_campaign_id": (
        lambda: parse_command("find 3001234567 campaign <!channel>", "CO"),
        "no es una campaña",
        "isn't a campaign",
    ),
    "nothing_to_search": (
        lambda: parse_command("buscar", "CO"),
        "Escribe un teléfono o una identificación del cliente.",
        "Give a phone number or a customer id.",
    ),
    "too_long": (
        lambda: parse_command("find " + "1" * 600, "CO"),
        "como máximo 500 caracteres",
        "at most 500 characters",
    ),
    "missing_customer_id": (
        lambda: parse_command("find cédula", "CO"),
        "Escribe la identificación después de «cédula»",
        "Give the customer id after “cédula”",
    ),
    "missing_campaign_id": (
        lambda: parse_command("find 3001234567 campaign", "CO"),
        "Escribe el número de la campaña después de «campaign»",
        "Give the campaign number after “campaign”",
    ),
    "one_customer_id": (
        lambda: parse_command("find id 1 id 2", "CO"),
        "una sola identificación",
        "only one customer id",
    ),
    "one_campaign": (
        lambda: parse_command("find 3001234567 campaña 1 campaña 2", "CO"),
        "una sola campaña",
        "only one campaign",
    ),
    "unknown_command": (
        lambda: parse_command("<!here> 3001234567", "CO"),
        "No conozco el comando",
        "I don't know the command",
    ),
    "call_needs_phone": (
        lambda: parse_command("call id 1020304050", "CO"),
        "Escribe el teléfono a marcar",
        "Give the phone to dial",
    ),
    "one_operation": (  # as a single operation's LookupService raises it
        lambda: _raise(
            base_errors.QueryError(
                "only one operation",
                field="operation",
                reason="one_operation",
                params={"key": "ec"},
            )
        ),
        "Este bot busca en una sola operación de Wolkvox: quita «en ec».",
        "This bot searches one Wolkvox operation only: leave out “in ec”.",
    ),
    "unknown_operation": (  # as Operations raises it (tests/wolkvox/test_operations.py)
        lambda: _raise(
            base_errors.QueryError(
                "no operation 'mx'",
                field="operation",
                reason="unknown_operation",
                params={"key": "mx", "known": "co, ec"},
            )
        ),
        "No hay una operación «mx». Las que hay: co, ec.",
        "There is no operation “mx”. These are: co, ec.",
    ),
}


def _raise(error: Exception) -> Any:
    raise error


def test_every_reason_with_a_message_is_covered() -> None:
    keys = {k.removeprefix("query_error_") for k in MESSAGES if k.startswith("query_error_")}
    assert set(_REASONS) == keys


@pytest.mark.parametrize("reason", sorted(_REASONS))
def test_query_errors_speak_the_readers_language(reason: str) -> None:
    call, spanish, english = _REASONS[reason]
    error = _raised(call)
    assert error.reason == reason
    for lang, says, other in (("es", spanish, english), ("en", english, spanish)):
        card = render_usage(error, lang)
        assert_valid_message(card.blocks)
        assert_inert(card)
        shown = card_to_text(card)
        assert says in shown
        assert other not in shown
        if lang == "es":
            assert error.detail not in dump(card)  # no English detail in a Spanish card
        assert "Problem" not in shown and "Problema" not in shown
        assert ("/wolkvox buscar" if lang == "es" else "/wolkvox find") in shown
        inline = field_error(error, lang)
        assert says in inline and other not in inline
        assert "(" + error.detail not in inline
        if lang == "es":
            assert error.detail not in inline
        assert "&lt;" not in inline and ZWJ not in inline  # plain text: no mrkdwn escapes
        assert len(inline) < 300


def test_quoted_text_in_a_reason_is_escaped_in_the_card_and_plain_inline() -> None:
    error = _raised(_REASONS["bad_campaign_id"][0])
    card = render_usage(error, "es")
    assert "«&lt;!channel&gt;» no es una campaña" in dump(card)
    assert field_error(error, "es").startswith("«<!channel>» no es una campaña")
    error = _raised(_REASONS["not_a_phone"][0])
    assert f"«300abc {ZWJ}*{ZWJ}hi{ZWJ}*{ZWJ}»" in dump(render_usage(error, "en")).replace(
        "“", "«"
    ).replace("”", "»")


def test_an_empty_search_modal_asks_for_a_phone_or_an_id_on_the_phone_field() -> None:
    error = _raised(lambda: build_query(phone=" ", customer_id="", campaign_id="", region="CO"))
    assert error.field == "phone"
    assert field_error(error, "es") == "Escribe un teléfono o una identificación del cliente."
    assert field_error(error, "en") == "Give a phone number or a customer id."


def test_a_reason_without_a_message_or_its_params_falls_back_to_the_field() -> None:
    unknown = base_errors.QueryError("'abc' is odd", field="phone", reason="no_such_reason")
    assert field_error(unknown, "en") == "That phone number doesn't look right. ('abc' is odd)"
    # As rebuilt from a shared (Redis) failure: the reason survives, its params do not.
    bare = base_errors.QueryError(
        "'abc' is not a phone number", field="phone", reason="not_a_phone"
    )
    assert field_error(bare, "es") == "El teléfono no parece válido. ('abc' is not a phone number)"
    blob = dump(render_usage(bare, "en"))
    assert "That phone number doesn't look right." in blob
    assert "Problem: 'abc' is not a phone number" in blob


# ---------------------------------------------------------------- several answers


def test_multi_puts_several_answers_in_one_valid_message() -> None:
    parts = [
        render(result(tuple(summary(i) for i in range(20))), max_blocks=16),
        render(result((), total=0, query=Query(phone="3109876543")), max_blocks=16),
        render(result(query=Query(customer_id="1020304050")), max_blocks=16),
    ]
    card = render_multi(parts)
    assert_valid_message(card.blocks)
    assert card.left_out == 0
    assert sum(b["type"] == "header" for b in card.blocks) == 3
    ids = [aid for aid in buttons(card)]
    assert len(ids) == len(set(ids)) == 9  # two of the three cards also offer Export CSV
    assert {base_action_id(a) for a in ids} == {
        ACTION_SHARE,
        ACTION_REFRESH,
        ACTION_SHOW_ALL,
        "export_csv",
    }
    assert "share_card#3" in ids and ACTION_SHOW_ALL in ids
    assert all(action_pattern(base_action_id(a)).match(a) for a in ids)
    assert not action_pattern(ACTION_SHARE).match("share_card_other")


def test_multi_leaves_out_what_does_not_fit() -> None:
    big = render(result(tuple(summary(i) for i in range(100))))
    card = render_multi([big, big, big], lang="en")
    assert_valid_message(card.blocks)
    assert card.left_out == 2
    assert "2 more searches not shown" in dump(card)
    assert card.text == big.text
    # 12 + 13 + 13 blocks fit in 50 (with the note); a fourth card would need 13 more.
    small = [render(result(tuple(summary(i) for i in range(100))), max_blocks=12)] * 4
    card = render_multi(small, lang="en")
    assert_valid_message(card.blocks)
    assert card.left_out == 1 and "1 more search not shown" in dump(card)
    assert sum(b["type"] == "header" for b in card.blocks) == 3
    assert big.blocks == render(result(tuple(summary(i) for i in range(100)))).blocks


def test_multi_of_nothing() -> None:
    card = render_multi([], lang="en")
    assert_valid_message(card.blocks)


# ---------------------------------------------------------------- modals


@pytest.mark.parametrize("lang", ["en", "es"])
def test_search_modal(lang: str) -> None:
    view = search_modal(lang)
    assert_valid_modal(view)
    assert view["callback_id"] == "wolkvox_search_submit"
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["phone", "customer_id", "campaign_id"]
    for block in inputs:
        assert block["optional"] is True
        assert block["element"]["type"] == "plain_text_input"
        assert block["element"]["action_id"] == block["block_id"]
        assert 1 <= block["element"]["max_length"] <= 40
        assert "initial_value" not in block["element"]


def test_search_modal_prefilled() -> None:
    view = search_modal(
        "en",
        initial={"phone": "300 123 4567", "customer_id": "x" * 100, "campaign_id": ""},
        private_metadata='{"channel":"C1"}',
    )
    assert_valid_modal(view)
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements["phone"]["initial_value"] == "300 123 4567"
    assert len(elements["customer_id"]["initial_value"]) == elements["customer_id"]["max_length"]
    assert "initial_value" not in elements["campaign_id"]
    assert view["private_metadata"] == '{"channel":"C1"}'
    with pytest.raises(ValueError):
        search_modal("en", private_metadata="x" * 3001)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_result_and_loading_modals(lang: str) -> None:
    card = render(result(), lang=lang)
    assert_valid_modal(result_modal(card, lang))
    assert_valid_modal(result_modal(render_error(base_errors.Busy(), lang=lang), lang))
    assert_valid_modal(loading_modal(lang))
    waiting = loading_modal(lang, position=2)
    assert_valid_modal(waiting)
    assert ("2nd in line" if lang == "en" else "2.º en la fila") in json.dumps(
        waiting, ensure_ascii=False
    )


# ---------------------------------------------------------------- terminal


def test_card_to_text_reads_like_the_card() -> None:
    text = card_to_text(render(result(total=60_000)))
    assert "🔎 3001234567" in text
    assert "60,000 records in 3 campaigns · last contact 20 Nov 2026 14:03" in text
    assert "  Last contact: 20 Nov 2026 14:03" in text
    assert "[Share in channel] [Refresh]" in text
    assert "<!date" not in text and "*" not in text


# ---------------------------------------------------------------- property


_any_text = st.one_of(
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=50),
    st.text(max_size=8).map(lambda s: s * 700),  # huge values, cheaply
    st.sampled_from([EVIL, "ANSWER", "", " ", "\n", "3001234567", "*_~`", "<@U1>", "&gt;"]),
)
_dates = st.one_of(st.none(), st.datetimes())
_counts = st.one_of(st.none(), st.integers(), st.integers(min_value=0, max_value=10**15))

_summaries = st.builds(
    CampaignSummary,
    campaign_id=_any_text,
    customer_name=_any_text,
    customer_id=_any_text,
    phone=_any_text,
    last_date=_dates,
    last_date_raw=_any_text,
    last_result=_any_text,
    calls=_counts,
    calls_raw=_any_text,
    conn_id=_any_text,
    records=st.integers(),
    campaign_name=_any_text,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    campaigns=st.lists(_summaries, max_size=60),
    total=st.integers(min_value=0, max_value=10**12),
    lang=st.sampled_from(["en", "es"]),
    shared_by=st.sampled_from([None, "U024BE7LH"]),
    mask_phones=st.booleans(),
    from_cache=st.booleans(),
    age=st.floats(min_value=-1e6, max_value=1e9),
    tz=st.sampled_from([TZ, UTC, ZoneInfo("Pacific/Kiritimati")]),
    max_blocks=st.sampled_from([50, 16, 100]),
)
def test_any_records_render_to_valid_block_kit_within_limits(
    campaigns: list[CampaignSummary],
    total: int,
    lang: str,
    shared_by: str | None,
    mask_phones: bool,
    from_cache: bool,
    age: float,
    tz: ZoneInfo,
    max_blocks: int,
) -> None:
    res = LookupResult(
        query=Query(phone=PHONE, campaign_id="42"),
        answer=FindAnswer(total_records=total, campaigns=tuple(campaigns), records=()),
        fetched_at=FETCHED,
        from_cache=from_cache,
        shared=not from_cache,
        upstream_ms=abs(age),
    )
    card = render_result(
        res,
        lang=lang,
        tz=tz,
        now=FETCHED + age,
        mask_phones=mask_phones,
        max_blocks=max_blocks,
        shared_by=shared_by,
    )
    if max_blocks == 100:
        assert_valid_modal(result_modal(card, lang))
    else:
        assert_valid_message(card.blocks)
    assert len(card.blocks) <= max_blocks
    assert total_text_length(card.blocks) <= (8_000 if max_blocks <= 50 else 11_000)
    assert 0 <= card.left_out <= len(campaigns)
    assert len(campaign_sections(card)) + card.left_out == len(campaigns)
    assert 0 < len(card.text) <= 300
    assert_inert(card)
    if shared_by is not None:
        assert PHONE not in dump(card)
    card_to_text(card)  # never raises


# --- the campaign picker ------------------------------------------------------------------------


def test_a_long_campaign_list_is_searched_as_one_types() -> None:
    from bot.slack.cards.modals import campaign_options, search_modal

    campaigns = {str(n): f"Campaña {n:03d}" for n in range(1, 151)}
    view = search_modal("es", campaigns=campaigns)
    [picker] = [b for b in view["blocks"] if b["block_id"] == "campaign_id"]
    assert picker["element"]["type"] == "external_select"
    assert picker["element"]["initial_option"]["value"] == "all"
    assert len(campaign_options(campaigns, "", "es")) == 100  # Slack shows at most 100
    found = campaign_options(campaigns, "campaña 12", "es")
    assert [o["value"] for o in found] == [str(n) for n in range(120, 130)]
    assert [o["value"] for o in campaign_options(campaigns, "150", "es")] == ["150"]  # by id
    assert campaign_options(campaigns, "zzz", "es") == []


def test_without_a_list_the_campaign_field_is_typed_with_a_hint() -> None:
    from bot.slack.cards.modals import search_modal

    [field] = [
        b for b in search_modal("en", campaigns={})["blocks"] if b["block_id"] == "campaign_id"
    ]
    assert field["element"]["type"] == "plain_text_input"
    assert "campaign list is unavailable" in field["hint"]["text"]


def test_export_csv_only_on_a_card_with_full_detail() -> None:
    """The card never guesses: Export CSV only where the flow's disclosure says full_detail."""
    res = result(campaigns=tuple(summary(i) for i in range(60)))
    assert "export_csv" in buttons(render(res))
    assert "export_csv" not in buttons(render(res, full_detail=False))

"""i18n: both languages complete and consistent, and the helpers that differ by language."""

from __future__ import annotations

import re
import string
from datetime import datetime

import pytest

from bot.i18n import (
    LANGS,
    MESSAGES,
    RESULT_LABELS,
    fmt_ago,
    fmt_date,
    fmt_int,
    fmt_seconds,
    fmt_when,
    lang_for_locale,
    normalise_result,
    ordinal,
    query_error_message,
    result_label,
    t,
    tn,
)


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    forms = MESSAGES[key]
    assert set(forms) == set(LANGS)
    assert all(forms[lang].strip() for lang in LANGS)
    assert _placeholders(forms["es"]) == _placeholders(forms["en"]), key


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_messages_are_safe_mrkdwn(key: str) -> None:
    # A raw < or > in a template would be read by Slack as a link or mention token.
    for text in MESSAGES[key].values():
        assert "<" not in text and ">" not in text, key
        for entity in re.findall(r"&[a-z]+;", text):
            assert entity in ("&lt;", "&gt;", "&amp;"), (key, entity)


def test_plural_forms_come_in_pairs() -> None:
    for key in MESSAGES:
        if key.endswith("_one"):
            assert key[: -len("_one")] + "_other" in MESSAGES, key


def test_t_fills_placeholders_and_falls_back_to_spanish() -> None:
    assert t("en", "took", s="0.4 s") == "Wolkvox took 0.4 s"
    assert t("es", "took", s="0,4 s") == "Wolkvox tardó 0,4 s"
    assert t("pt", "age_live") == t("es", "age_live") == "En vivo"
    assert t("en", "age_live") == "Live"


def test_t_unknown_key_is_a_bug_not_a_blank() -> None:
    with pytest.raises(KeyError):
        t("en", "no_such_message")


def test_tn_chooses_the_plural_and_formats_the_number() -> None:
    assert tn("en", "records", 1) == "1 record"
    assert tn("en", "records", 60_000) == "60,000 records"
    assert tn("es", "records", 60_000) == "60.000 registros"
    assert tn("es", "in_campaigns", 1) == "en 1 campaña"
    assert tn("en", "in_campaigns", 0) == "in 0 campaigns"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("es-ES", "es"),
        ("es-LA", "es"),
        ("es_CO", "es"),
        ("ES", "es"),
        ("en-US", "en"),
        ("en-GB", "en"),
        ("pt-BR", "es"),
        ("", "es"),
        (None, "es"),
    ],
)
def test_lang_for_locale(locale: str | None, expected: str) -> None:
    assert lang_for_locale(locale, "es") == expected


def test_lang_for_locale_uses_the_default_for_unknown_locales() -> None:
    assert lang_for_locale("fr-FR", "en") == "en"
    assert lang_for_locale(None, "en") == "en"
    assert lang_for_locale("es-ES", "en") == "es"


@pytest.mark.parametrize("code", sorted(RESULT_LABELS))
def test_every_documented_result_has_a_label_in_both_languages(code: str) -> None:
    for lang in LANGS:
        label = result_label(code, lang)
        assert label and label != code
        assert result_label(code.upper(), lang) == label
    assert result_label(code, "es") != result_label(code, "en")


@pytest.mark.parametrize(
    ("raw", "en", "es"),
    [
        ("answer", "Answered", "Contestada"),
        ("ANSWER", "Answered", "Contestada"),
        (" No-Answer ", "No answer", "Sin respuesta"),
        ("no_answer", "No answer", "Sin respuesta"),
        ("ANSWER-MACHINE", "Answering machine", "Contestador automático"),
        ("do-not-call", "Do not call", "No llamar"),
        ("CHANUNAVAIL", "Channel unavailable", "Canal no disponible"),
    ],
)
def test_result_label_is_case_insensitive(raw: str, en: str, es: str) -> None:
    assert result_label(raw, "en") == en
    assert result_label(raw, "es") == es


@pytest.mark.parametrize("raw", ["Promesa de pago", "PTP_OK", "", "answered!", "<b>x</b>"])
def test_unknown_results_are_shown_as_written(raw: str) -> None:
    assert result_label(raw, "en") == raw
    assert result_label(raw, "es") == raw


def test_normalise_result() -> None:
    assert normalise_result("  Answer_Machine ") == "answer-machine"
    assert normalise_result("DO NOT CALL") == "do-not-call"


def test_numbers_and_durations_by_language() -> None:
    assert fmt_int(1234567, "en") == "1,234,567"
    assert fmt_int(1234567, "es") == "1.234.567"
    assert fmt_int(-5, "es") == "-5"
    assert fmt_seconds(0.4, "en") == "0.4 s"
    assert fmt_seconds(0.4, "es") == "0,4 s"
    assert fmt_seconds(-3, "en") == "0.0 s"
    assert fmt_seconds(42, "en") == "42 s"
    assert fmt_seconds(600, "en") == "10 min"
    assert fmt_seconds(5 * 3600, "es") == "5 h"


def test_when() -> None:
    assert fmt_when(30, "en") == "in 30 s"
    assert fmt_when(30, "es") == "en 30 s"
    assert fmt_when(None, "en") == "shortly"
    assert fmt_when(0, "es") == "en breve"
    assert fmt_when(float("nan"), "en") == "shortly"


@pytest.mark.parametrize(
    ("seconds", "en", "es"),
    [
        (0, "just now", "hace un momento"),
        (-10, "just now", "hace un momento"),
        (35, "35 s ago", "hace 35 s"),
        (130, "2 min ago", "hace 2 min"),
        (3 * 3600 + 5, "3 h ago", "hace 3 h"),
        (5 * 86400, "5 d ago", "hace 5 d"),
    ],
)
def test_ago(seconds: float, en: str, es: str) -> None:
    assert fmt_ago(seconds, "en") == en
    assert fmt_ago(seconds, "es") == es


def test_dates() -> None:
    when = datetime(2026, 11, 20, 14, 3)
    assert fmt_date(when, "en") == "20 Nov 2026 14:03"
    assert fmt_date(when, "es") == "20 nov 2026 14:03"
    assert fmt_date(datetime(1, 1, 2, 0, 0), "en") == "2 Jan 0001 00:00"


@pytest.mark.parametrize(
    ("n", "en"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
    ],
)
def test_ordinals(n: int, en: str) -> None:
    assert ordinal(n, "en") == en
    assert ordinal(n, "es") == f"{n}.º"


def test_queue_position_reads_naturally() -> None:
    assert t("en", "queue_position", ord=ordinal(3, "en")).startswith("You're 3rd in line")
    assert t("es", "queue_position", ord=ordinal(3, "es")).startswith("Eres el 3.º en la fila")


def test_query_error_messages_fill_params_and_format_numbers_per_language() -> None:
    assert query_error_message("es", "too_long", {"max": 40_000}) == (
        "La búsqueda es muy larga: escribe como máximo 40.000 caracteres."
    )
    assert query_error_message("en", "too_long", {"max": 40_000}) == (
        "That search is too long: keep it to at most 40,000 characters."
    )
    assert query_error_message("en", "unknown_command", {"word": "hola"}) == (
        "I don't know the command “hola”. Use find, call, status or help."
    )
    assert query_error_message("pt", "nothing_to_search", {}) == (
        "Escribe un teléfono o una identificación del cliente."
    )


@pytest.mark.parametrize(
    ("reason", "params"),
    [
        ("", {}),  # an error without a reason
        ("no_such_reason", {}),
        ("not_a_phone", {}),  # its params lost (a failure rebuilt from Redis)
        ("phone_too_short", {"text": "12"}),
    ],
)
def test_query_error_message_is_none_when_it_cannot_be_said(
    reason: str, params: dict[str, object]
) -> None:
    for lang in LANGS:
        assert query_error_message(lang, reason, params) is None


def test_query_error_params_are_not_reformatted() -> None:
    # A param that looks like a template stays text: format() does not recurse into values.
    assert query_error_message("es", "not_a_phone", {"text": "{0}{x}"}) == (
        "«{0}{x}» no es un teléfono. Escribe solo dígitos (valen espacios, +, guiones y "
        "paréntesis), p. ej. 300 123 4567."
    )

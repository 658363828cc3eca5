"""`/wolkvox` end to end: signed slash commands in, acks and response_url cards out."""

from __future__ import annotations

import pytest

from bot.devtools.stack import Stack
from tests.e2e.conftest import (
    NO_RECORDS_PHONE,
    SHOWCASE_ID,
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    TOKEN,
    ack_json,
    assert_acked,
    assert_valid_ack_card,
    button_values,
    command_answer,
    find_calls,
    is_searching,
    sent_json,
    settle,
    text_of,
    upstream_requests,
)


@pytest.mark.simulator(latency=0.3)  # slower than the ack's short wait: the card must follow
async def test_find_acks_privately_at_once_then_the_card_arrives_via_response_url(
    stack: Stack,
) -> None:
    status, ack, elapsed, url = await stack.command(f"find {SHOWCASE_PHONE}")
    assert_acked(status, elapsed)
    body = ack_json(ack)
    assert_valid_ack_card(body)
    assert is_searching(body), body
    assert SHOWCASE_PHONE in body["text"]  # private: the agent sees what they typed
    assert body.get("response_type") != "in_channel"

    [post] = await stack.slack.wait_for_response(url)
    card = post.body
    assert isinstance(card, dict)
    assert card.get("response_type", "ephemeral") == "ephemeral"
    assert card.get("replace_original") is not True  # the "searching…" ack stays as it was
    text = text_of(card["blocks"])
    assert SHOWCASE_NAME in text
    assert "6 registros" in text and "3 campañas" in text
    for campaign in ("Cobranza Q4", "Ventas Hogar", "Encuesta NPS"):
        assert campaign in text
    # Most recent campaign first; results as human labels.
    assert text.index("Cobranza Q4 · campaña 42") < text.index("Encuesta NPS · campaña 78")
    assert text.index("Encuesta NPS · campaña 78") < text.index("Ventas Hogar · campaña 57")
    assert "Promesa de pago" in text and "Contestada" in text
    assert "<!date^" in text  # each reader sees the date in their own timezone
    assert "En vivo" in text
    assert {"share_card", "refresh_card"} <= {
        e.get("action_id") for b in card["blocks"] for e in b.get("elements", [])
    }
    assert find_calls(stack) == 1
    assert stack.slack.calls("chat.postMessage") == []  # nothing visible to the channel


@pytest.mark.simulator(latency=0.3)
async def test_english_speaker_gets_english_labels(stack: Stack) -> None:
    stack.slack.add_user("U0AGENTEN", name="john.agent", locale="en-US")
    _, card, _ = await command_answer(stack, f"find id {SHOWCASE_ID}", user="U0AGENTEN")
    text = text_of(card["blocks"])
    assert "6 records" in text and "in 3 campaigns" in text
    assert "Answered" in text and "Customer" in text and "Live" in text
    assert "Cobranza Q4 · campaign 42" in text


async def test_cached_repeat_is_answered_in_the_ack_itself(stack: Stack) -> None:
    _, first, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    assert SHOWCASE_NAME in text_of(first)
    assert find_calls(stack) == 1

    # Same customer, written differently: the cache answers, and the ack is the card.
    status, ack, elapsed, url = await stack.command("buscar +57 300 123 4567")
    assert_acked(status, elapsed)
    body = ack_json(ack)
    assert_valid_ack_card(body)
    assert not is_searching(body)
    text = text_of(body["blocks"])
    assert SHOWCASE_NAME in text and "De la caché" in text
    assert body.get("response_type") != "in_channel"
    await settle(stack)
    assert stack.slack.responses(url) == []  # no second message after the ack
    assert find_calls(stack) == 1


async def test_no_records_is_an_answer_not_an_error(stack: Stack) -> None:
    _, card, _ = await command_answer(stack, f"find {NO_RECORDS_PHONE}")
    text = text_of(card["blocks"])
    assert "Sin registros" in text and NO_RECORDS_PHONE in text


@pytest.mark.parametrize("text", ["help", "ayuda", ""])
async def test_help_answers_in_the_ack_without_calling_wolkvox(stack: Stack, text: str) -> None:
    status, ack, elapsed, url = await stack.command(text)
    assert_acked(status, elapsed)
    body = ack_json(ack)
    assert_valid_ack_card(body)
    shown = text_of(body["blocks"])
    assert "Búsqueda de clientes en Wolkvox" in shown
    assert "/wolkvox buscar" in shown
    await settle(stack)
    assert upstream_requests(stack) == 0
    assert stack.slack.responses(url) == []


async def test_status_shows_usage_with_tokens_masked(stack: Stack) -> None:
    await command_answer(stack, f"find {SHOWCASE_PHONE}")
    before = upstream_requests(stack)
    status, ack, elapsed, _ = await stack.command("status")
    assert_acked(status, elapsed)
    body = ack_json(ack)
    assert_valid_ack_card(body)
    shown = text_of(body["blocks"])
    assert "Estado del bot de Wolkvox" in shown
    assert "…" + TOKEN[-4:] in shown  # enough to tell tokens apart
    assert "memory" in shown
    everything = sent_json(stack, [ack]) + "\n" + ack
    for start in range(len(TOKEN) - 4):
        assert TOKEN[start : start + 5] not in everything, "token text leaked"
    await settle(stack)
    assert upstream_requests(stack) == before  # status costs no Wolkvox call


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("find", "Escribe un teléfono o una identificación del cliente."),
        ("buscar", "Escribe un teléfono o una identificación del cliente."),
        ("find abc", "«abc» no es un teléfono."),
        ("find 12", "El teléfono es muy corto: escribe al menos 4 dígitos."),
        ("find id", "Escribe la identificación después de «id»"),
        (f"find {SHOWCASE_PHONE} campaign x", "«x» no es una campaña."),
        ("frobnicate 3001234567", "No conozco el comando «frobnicate»."),
    ],
)
async def test_bad_or_missing_arguments_get_usage_and_no_upstream_call(
    stack: Stack, text: str, reason: str
) -> None:
    status, ack, elapsed, url = await stack.command(text)
    assert_acked(status, elapsed)
    body = ack_json(ack)
    assert_valid_ack_card(body)
    shown = text_of(body["blocks"])
    assert "No entendí esa búsqueda" in shown
    assert reason in shown
    assert "Problema" not in shown  # no English detail in the Spanish card
    assert "/wolkvox buscar 3001234567" in shown  # how to write it
    assert button_values(body) == []
    await settle(stack)
    assert upstream_requests(stack) == 0
    assert stack.slack.responses(url) == []

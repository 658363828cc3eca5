"""What comes from Wolkvox never becomes Slack markup, and failures read as plain words."""

from __future__ import annotations

import json

import pytest

from bot.devtools.stack import CHANNEL, Stack
from tests.e2e.conftest import (
    MARKUP_PHONE,
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    assert_no_injected_markup,
    assert_no_traceback,
    command_answer,
    sent_payloads,
    text_of,
)


async def test_markup_in_a_record_never_pings_or_links(stack: Stack) -> None:
    ack, card, _ = await command_answer(stack, f"find {MARKUP_PHONE}")
    text = text_of(card["blocks"])
    assert "&lt;!channel&gt;" in text  # shown, harmlessly, as the text it is
    assert "Promesa" in text  # the record is still readable

    # The same record in a channel: through a mention, and shared from the private card.
    await stack.mention(f"find {MARKUP_PHONE}")
    await stack.slack.wait_for("chat.update", ok=True)
    status, _, _, url = await stack.press("share_card", card)
    assert status == 200
    await stack.slack.wait_for_response(url)

    everything = [ack, card, *sent_payloads(stack)]
    assert len(everything) >= 5
    for payload in everything:
        assert_no_injected_markup(payload)
    raw = "\n".join(json.dumps(p, ensure_ascii=False) for p in everything)
    assert "<!channel>" not in raw and "<!everyone>" not in raw and "<!here>" not in raw
    assert "<https://evil" not in raw and "<tel:" not in raw


@pytest.mark.parametrize(
    ("phone", "title", "next_works"),
    [
        ("3000000403", "Wolkvox rechazó el token del bot", False),
        ("3000000429", "Se agotó la cuota de hoy en Wolkvox", False),
        ("3000000500", "Wolkvox no está disponible", True),  # a proxy's HTML error page
        ("3000000206", "Wolkvox dio una respuesta dañada", True),  # truncated JSON
        ("3000000503", "Wolkvox no está disponible", True),  # maintenance
    ],
)
async def test_errors_get_plain_word_cards(
    stack: Stack, phone: str, title: str, next_works: bool
) -> None:
    ack, card, _ = await command_answer(stack, f"find {phone}")
    text = text_of(card["blocks"])
    assert title in text
    assert "administrador" in text or "Inténtalo" in text or "medianoche" in text  # what to do
    for payload in (ack, card, *sent_payloads(stack)):
        assert_no_traceback(payload)
    assert "<html" not in text.lower() and "502" not in text

    if next_works:  # the bot keeps serving
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        assert SHOWCASE_NAME in text_of(card["blocks"])

    if next_works:
        return  # transient failures are retried (~1.5 s); the thread variant below is enough
    # The same failure in a channel thread through a mention.
    await stack.mention(f"find {phone}")
    [update] = await stack.slack.wait_for("chat.update", ok=True, timeout=10)
    assert title in text_of(update.args["blocks"])
    assert_no_traceback(update.args)
    assert [m["channel"] for m in stack.slack.messages()] == [CHANNEL]


async def test_markup_typed_by_the_user_is_echoed_inert(stack: Stack) -> None:
    hostile = "find <!channel> <https://evil.example|x>"
    status, ack, _, _ = await stack.command(hostile)
    assert status == 200
    body = json.loads(ack)
    assert "No entendí esa búsqueda" in text_of(body["blocks"])
    assert_no_injected_markup(body)

    await stack.mention(hostile)
    [call] = await stack.slack.wait_for("chat.postEphemeral", ok=True)
    assert_no_injected_markup(call.args)

"""Message shortcut `find_in_wolkvox` end to end: phones and ids found in a message's text,
answered privately through the payload's response_url."""

from __future__ import annotations

from bot.devtools.stack import Stack
from tests.e2e.conftest import (
    SHARED_PHONE,
    SHOWCASE_NAME,
    assert_acked,
    find_calls,
    settle,
    text_of,
    upstream_requests,
)
from tests.fixtures.slack import sample


async def test_message_shortcut_finds_a_phone_in_the_text_and_answers_privately(
    stack: Stack,
) -> None:
    status, _, elapsed, url = await stack.message_shortcut(
        "Hola equipo, la clienta llamó desde el 310 456 7890, ¿la pueden revisar?"
    )
    assert_acked(status, elapsed)
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    assert post.body.get("response_type") == "ephemeral"
    text = text_of(post.body["blocks"])
    assert SHARED_PHONE in text  # a private answer keeps the full number
    assert "2 campañas" in text
    assert stack.slack.calls("chat.postMessage") == []
    assert find_calls(stack) == 1


async def test_message_shortcut_looks_up_several_phones_and_ids(stack: Stack) -> None:
    status, _, elapsed, url = await stack.message_shortcut(
        "Dos casos: 300 123 4567 y el de cc 1020304050, y también 3009999999."
    )
    assert_acked(status, elapsed)
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    text = text_of(post.body["blocks"])
    assert SHOWCASE_NAME in text
    assert "id 1020304050" in text
    assert "Sin registros" in text  # the third one, answered too
    # Several cards in one message: every button's action id stays unique (the validator checks).
    elements = [e for b in post.body["blocks"] for e in b.get("elements", [])]
    action_ids = [e["action_id"] for e in elements if "action_id" in e]
    assert "share_card" in action_ids and "share_card#2" in action_ids
    assert find_calls(stack) == 3


async def test_message_with_nothing_recognisable_says_so_without_calling_wolkvox(
    stack: Stack,
) -> None:
    status, _, elapsed, url = await stack.message_shortcut(
        "Reunión a las 3, sala 12; el pedido 42 sigue pendiente."
    )
    assert_acked(status, elapsed)
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    assert post.body.get("response_type", "ephemeral") == "ephemeral"
    assert "No encontré ningún teléfono ni identificación" in text_of(post.body["blocks"])
    await settle(stack)
    assert upstream_requests(stack) == 0


async def test_shortcut_on_slacks_file_share_message_never_looks_up_the_year(
    stack: Stack,
) -> None:
    """Slack's file_share message (bolt-python's sample) with a date in its words and in the
    unfurl's fallback: nothing is looked up, no quota spent."""
    message = sample("message_file_share")["event"]
    message["text"] = "Reporte de enero 2025, factura 2024-0001"
    message["blocks"] = []
    message["attachments"] = [{"fallback": "[enero 2025] reporte.png", "title": "reporte.png"}]
    status, _, elapsed, url = await stack.message_shortcut("", message=message)
    assert_acked(status, elapsed)
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    assert "No encontré ningún teléfono ni identificación" in text_of(post.body["blocks"])
    await settle(stack)
    assert upstream_requests(stack) == 0


async def test_shortcut_reads_a_tel_link_and_attachment_fields(stack: Stack) -> None:
    message = sample("message_file_share")["event"]
    message["text"] = "Caso de hoy (desde 2025)"
    message["blocks"] = [
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [{"type": "link", "url": "tel:+573104567890", "text": "llamar"}],
                }
            ],
        }
    ]
    status, _, elapsed, url = await stack.message_shortcut("", message=message)
    assert_acked(status, elapsed)
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    assert SHARED_PHONE in text_of(post.body["blocks"])
    assert find_calls(stack) == 1

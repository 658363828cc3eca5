"""Direct messages to the bot, over signed HTTP as Slack delivers `message.im` events."""

from __future__ import annotations

import pytest

from bot.devtools.stack import DM_CHANNEL, Stack
from tests.e2e.conftest import (
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    assert_acked,
    settle,
    text_of,
    upstream_requests,
)


async def card_in_dm(stack: Stack) -> str:
    [update] = await stack.slack.wait_for("chat.update", ok=True, timeout=10)
    assert update.args["channel"] == DM_CHANNEL
    return text_of(update.args["blocks"])


@pytest.mark.parametrize(
    "text",
    [SHOWCASE_PHONE, "find id 1020304050", "hola, ¿me ayudas con el 300 123 4567?"],
)
async def test_a_dm_gets_a_placeholder_then_the_private_card(stack: Stack, text: str) -> None:
    status, _, elapsed = await stack.direct_message(text)
    assert_acked(status, elapsed)
    [placeholder] = await stack.slack.wait_for("chat.postMessage", ok=True)
    assert placeholder.args["channel"] == DM_CHANNEL
    card = await card_in_dm(stack)
    assert SHOWCASE_NAME in card
    assert SHOWCASE_PHONE in card  # private: the phone in full (WOLKVOX_MASK_PHONES=shared)


@pytest.mark.stack_env(WOLKVOX_MASK_PHONES="always")
async def test_mask_always_masks_the_dm_card_too(stack: Stack) -> None:
    await stack.direct_message(SHOWCASE_PHONE)
    card = await card_in_dm(stack)
    assert SHOWCASE_NAME in card and SHOWCASE_PHONE not in card and "4567" in card


async def test_the_bot_ignores_bots_edits_and_other_subtypes(stack: Stack) -> None:
    for kwargs in (
        {"bot_id": "B0WOLKBOT"},  # its own messages (the cards it posts)
        {"bot_id": "B0OTHER00"},  # another bot's
        {"subtype": "message_changed"},  # an edit
        {"subtype": "message_deleted"},
        {"subtype": "bot_message"},
        {"subtype": "file_share"},
    ):
        status, _, _ = await stack.direct_message(SHOWCASE_PHONE, **kwargs)  # type: ignore[arg-type]
        assert status == 200
    await settle(stack)
    assert stack.slack.calls("chat.postMessage") == []
    assert stack.slack.calls("chat.postEphemeral") == []
    assert upstream_requests(stack) == 0


async def test_a_retried_dm_is_answered_once(stack: Stack) -> None:
    await stack.direct_message(SHOWCASE_PHONE, event_id="Ev0DMRETRY1")
    await stack.direct_message(SHOWCASE_PHONE, event_id="Ev0DMRETRY1")
    await card_in_dm(stack)
    await settle(stack)
    assert len(stack.slack.calls("chat.postMessage")) == 1


async def test_bad_input_in_a_dm_is_a_usage_note(stack: Stack) -> None:
    await stack.direct_message("find id")
    [note] = await stack.slack.wait_for("chat.postEphemeral", ok=True)
    assert note.args["channel"] == DM_CHANNEL
    assert "id" in text_of(note.args)
    await settle(stack)
    assert upstream_requests(stack) == 0


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERS="U0SOMEONE")
async def test_a_dm_from_someone_not_allowed_is_refused_without_a_lookup(stack: Stack) -> None:
    await stack.direct_message(SHOWCASE_PHONE)
    [note] = await stack.slack.wait_for("chat.postEphemeral", ok=True)
    assert "🚫" in text_of(note.args)
    await settle(stack)
    assert upstream_requests(stack) == 0

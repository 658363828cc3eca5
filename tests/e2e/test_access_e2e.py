"""Who may look customers up (issue 4), on every surface, end to end: anyone refused gets a
polite private answer and costs no Wolkvox call; the per-user rate limit; phone masking."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.devtools.stack import AGENT, CHANNEL, Stack
from tests.blockkit import assert_valid_modal
from tests.e2e.conftest import (
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    ack_json,
    assert_acked,
    assert_no_full_phone,
    assert_valid_ack_card,
    command_answer,
    find_calls,
    settle,
    text_of,
    upstream_requests,
)

OTHER = "U0OUTSIDER"
REFUSAL = "no tienes permiso para buscar clientes en Wolkvox aquí"
ALLOWED_CHANNEL = "C0ALLOWED1"


@pytest.fixture(autouse=True)
def workspace(stack: Stack) -> None:
    stack.slack.add_user(OTHER, name="otro.usuario", locale="es-ES")


def assert_refusal(card: dict[str, Any]) -> None:
    text = text_of(card.get("blocks", []))
    assert REFUSAL in text, text
    assert card.get("response_type") != "in_channel"
    assert SHOWCASE_NAME not in text


async def refused_everywhere(stack: Stack, user: str, channel: str = CHANNEL) -> None:
    """Drive every surface as `user` in `channel`; each must refuse, privately, for free."""
    before = upstream_requests(stack)

    # Slash command: the refusal is the ack.
    status, ack, elapsed, url = await stack.command(
        f"find {SHOWCASE_PHONE}", user=user, channel=channel
    )
    assert_acked(status, elapsed)
    body = ack_json(ack)
    assert_valid_ack_card(body)
    assert_refusal(body)

    # Mention: a private (ephemeral) refusal to that user, nothing in the channel.
    status, _, elapsed, _ = await stack.mention(
        f"find {SHOWCASE_PHONE}", user=user, channel=channel
    )
    assert_acked(status, elapsed)
    [ephemeral] = await stack.slack.wait_for("chat.postEphemeral", ok=True)
    assert ephemeral.args["user"] == user
    assert_refusal(ephemeral.args)

    # Message shortcut: refusal through the response_url.
    status, _, elapsed, url = await stack.message_shortcut(
        f"me llamó el {SHOWCASE_PHONE}", user=user, channel=channel
    )
    assert_acked(status, elapsed)
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    assert_refusal(post.body)

    # Modal: a submit from someone not allowed is answered with a refusal in the modal.
    view = modal_view(stack)
    status, body_text, elapsed = await stack.submit(view, {"phone": SHOWCASE_PHONE}, user=user)
    assert_acked(status, elapsed)
    answer = ack_json(body_text)
    assert answer["response_action"] == "update"
    assert_valid_modal(answer["view"])
    assert REFUSAL in text_of(answer["view"]["blocks"])

    await settle(stack)
    assert upstream_requests(stack) == before
    assert stack.slack.calls("chat.postMessage") == []
    assert stack.slack.calls("views.update") == []


def modal_view(stack: Stack) -> dict[str, Any]:
    """The search modal as an allowed agent opened it earlier (see open_modal)."""
    opened = [c for c in stack.slack.calls("views.open") if c.ok]
    assert opened, "open the modal first"
    view: dict[str, Any] = opened[0].response["view"]
    return view


async def open_modal(stack: Stack, user: str = AGENT) -> dict[str, Any]:
    status, _, elapsed = await stack.global_shortcut(user=user)
    assert_acked(status, elapsed)
    [call] = await stack.slack.wait_for("views.open", ok=True)
    view: dict[str, Any] = call.response["view"]
    return view


async def assert_refused_at(stack: Stack, url: str, upstream_before: int) -> None:
    """The refusal came privately at `url`; no Wolkvox call, nothing posted in a channel."""
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    assert_refusal(post.body)
    await settle(stack)
    assert upstream_requests(stack) == upstream_before
    assert stack.slack.calls("chat.postMessage") == []


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERS=AGENT)
async def test_allowed_users_only(stack: Stack) -> None:
    await open_modal(stack)
    await refused_everywhere(stack, OTHER)
    # The allowed agent is served.
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    assert SHOWCASE_NAME in text_of(card["blocks"])


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERS=AGENT)
async def test_global_shortcut_by_someone_not_allowed_opens_a_refusal(stack: Stack) -> None:
    view = await open_modal(stack, user=OTHER)
    assert REFUSAL in text_of(view["blocks"])
    assert not [b for b in view["blocks"] if b["type"] == "input"]
    assert upstream_requests(stack) == 0


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERGROUPS="S0SUPPORT")
async def test_allowed_usergroups_resolved_through_slack(stack: Stack) -> None:
    stack.slack.set_usergroup("S0SUPPORT", [AGENT, "U0TEAMMATE"])
    await open_modal(stack)
    await refused_everywhere(stack, OTHER)
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    assert SHOWCASE_NAME in text_of(card["blocks"])
    # Members were asked of Slack, once (then cached).
    lists = stack.slack.calls("usergroups.users.list", ok=True)
    assert 1 <= len(lists) <= 2 and lists[0].args["usergroup"] == "S0SUPPORT"


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERGROUPS="S0UNKNOWN")
async def test_unresolvable_usergroup_fails_closed(stack: Stack) -> None:
    status, ack, elapsed, _ = await stack.command(f"find {SHOWCASE_PHONE}")
    assert_acked(status, elapsed)
    assert_refusal(ack_json(ack))
    await settle(stack)
    assert upstream_requests(stack) == 0


@pytest.mark.stack_env(WOLKVOX_ALLOWED_CHANNELS=ALLOWED_CHANNEL)
async def test_allowed_channels(stack: Stack) -> None:
    await open_modal(stack)
    before = upstream_requests(stack)
    # Mentions, shortcuts and commands in another channel are refused, even for anyone.
    status, ack, elapsed, _ = await stack.command(f"find {SHOWCASE_PHONE}", channel=CHANNEL)
    assert_acked(status, elapsed)
    assert_refusal(ack_json(ack))
    status, _, _, _ = await stack.mention(f"find {SHOWCASE_PHONE}", channel=CHANNEL)
    [ephemeral] = await stack.slack.wait_for("chat.postEphemeral", ok=True)
    assert_refusal(ephemeral.args)
    status, _, _, url = await stack.message_shortcut(f"llamó el {SHOWCASE_PHONE}")
    await assert_refused_at(stack, url, before)

    # In the allowed channel, and privately in a DM with the bot, the same agent is served.
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}", channel=ALLOWED_CHANNEL)
    assert SHOWCASE_NAME in text_of(card["blocks"])
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}", channel="D0AGENTDM1")
    assert SHOWCASE_NAME in text_of(card["blocks"])
    await stack.mention(f"find {SHOWCASE_PHONE}", channel=ALLOWED_CHANNEL)
    [update] = await stack.slack.wait_for("chat.update", ok=True)
    assert update.args["channel"] == ALLOWED_CHANNEL


@pytest.mark.stack_env(WOLKVOX_ALLOWED_CHANNELS=ALLOWED_CHANNEL)
async def test_an_empty_channel_id_does_not_skip_the_channel_rule(stack: Stack) -> None:
    status, ack, elapsed, _ = await stack.command(f"find {SHOWCASE_PHONE}", channel="")
    assert_acked(status, elapsed)
    assert_refusal(ack_json(ack))
    await settle(stack)
    assert upstream_requests(stack) == 0


@pytest.mark.stack_env(WOLKVOX_ALLOWED_CHANNELS=ALLOWED_CHANNEL)
async def test_the_search_modal_is_private_so_the_channel_rule_lets_it_through(
    stack: Stack,
) -> None:
    """Decided and documented: the modal has no conversation; its answer is the user's alone,
    like a DM answered privately (the user and rate rules still apply)."""
    view = await open_modal(stack)
    status, _, _ = await stack.submit(view, {"phone": SHOWCASE_PHONE})
    assert status == 200
    [update] = await stack.slack.wait_for("views.update", ok=True)
    assert SHOWCASE_NAME in text_of(update.args["view"])


@pytest.mark.stack_env(WOLKVOX_ALLOWED_CHANNELS=ALLOWED_CHANNEL)
async def test_sharing_into_a_channel_not_allowed_is_refused(stack: Stack) -> None:
    # A private answer in a DM is fine; sharing it into a channel that is not allowed is not.
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}", channel="D0AGENTDM1")
    before = upstream_requests(stack)
    status, _, _, url = await stack.press("share_card", card, channel=CHANNEL)
    assert status == 200
    await assert_refused_at(stack, url, before)


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERS=AGENT)
async def test_buttons_on_a_shared_card_pressed_by_someone_not_allowed(stack: Stack) -> None:
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    status, _, _, url = await stack.press("share_card", card)
    assert status == 200
    [shared_post] = await stack.slack.wait_for_response(url)
    shared = shared_post.body
    assert isinstance(shared, dict) and shared["response_type"] == "in_channel"
    before = upstream_requests(stack)

    status, _, elapsed, url = await stack.press(
        "refresh_card", shared, user=OTHER, is_ephemeral=False
    )
    assert_acked(status, elapsed)
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    assert_refusal(post.body)
    assert post.body.get("response_type") == "ephemeral"
    assert post.body.get("replace_original") is not True  # the shared card stays as it is
    await settle(stack)
    assert upstream_requests(stack) == before

    # The agent who may search can still refresh it.
    status, _, _, url = await stack.press("refresh_card", shared, is_ephemeral=False)
    [post] = await stack.slack.wait_for_response(url)
    assert isinstance(post.body, dict)
    assert SHOWCASE_NAME in text_of(post.body["blocks"])
    assert find_calls(stack) == 2


@pytest.mark.stack_env(WOLKVOX_USER_RATE="2")
async def test_user_rate_limit_refuses_the_third_lookup_in_a_minute(stack: Stack) -> None:
    await command_answer(stack, f"find {SHOWCASE_PHONE}")
    await command_answer(stack, "find 3104567890")
    calls = find_calls(stack)
    assert calls == 2

    status, ack, elapsed, url = await stack.command("find 3009999999")
    assert_acked(status, elapsed)
    body = ack_json(ack)
    assert_valid_ack_card(body)
    text = text_of(body["blocks"])
    assert "Has hecho muchas búsquedas en el último minuto" in text
    assert "Inténtalo de nuevo en" in text  # says when
    await settle(stack)
    assert find_calls(stack) == calls
    assert stack.slack.responses(url) == []

    # Another agent is not slowed down by the first one's limit.
    stack.slack.add_user("U0AGENT02", name="luis.agente")
    _, card, _ = await command_answer(stack, "find 3009999999", user="U0AGENT02")
    assert "Sin registros" in text_of(card["blocks"])


@pytest.mark.stack_env(WOLKVOX_MASK_PHONES="always")
async def test_mask_always_masks_private_cards_and_channel_cards(stack: Stack) -> None:
    ack, card, url = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    assert "••••••4567" in text_of(card["blocks"])
    assert_no_full_phone(json.dumps([ack, card], ensure_ascii=False), SHOWCASE_PHONE)

    status, _, _, url = await stack.press("share_card", card)
    assert status == 200
    [shared] = await stack.slack.wait_for_response(url)
    assert isinstance(shared.body, dict) and shared.body["response_type"] == "in_channel"
    assert "••••••4567" in text_of(shared.body["blocks"])

    await stack.mention(f"find {SHOWCASE_PHONE}")
    await stack.slack.wait_for("chat.update", ok=True)
    status, _, _, url = await stack.message_shortcut(f"llamó el {SHOWCASE_PHONE}")
    await stack.slack.wait_for_response(url)
    await open_modal(stack)
    view = modal_view(stack)
    await stack.submit(view, {"phone": SHOWCASE_PHONE})
    await stack.slack.wait_for("views.update", ok=True)
    assert "••••••4567" in text_of(stack.slack.view(view["id"])["blocks"])

    everything = json.dumps(
        [c.args for c in stack.slack.calls()] + [p.body for p in stack.slack.responses()],
        ensure_ascii=False,
    )
    assert_no_full_phone(everything, SHOWCASE_PHONE)


@pytest.mark.stack_env(WOLKVOX_MASK_PHONES="shared")
async def test_default_mask_shows_full_numbers_only_privately(stack: Stack) -> None:
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
    assert SHOWCASE_PHONE in text_of(card["blocks"])
    await stack.mention(f"find {SHOWCASE_PHONE}")
    await stack.slack.wait_for("chat.update", ok=True)
    [message] = stack.slack.messages(CHANNEL)
    assert_no_full_phone(json.dumps(message, ensure_ascii=False), SHOWCASE_PHONE)


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERS=AGENT)
async def test_status_is_for_allowed_users_only(stack: Stack) -> None:
    """Status shows token usage and the last upstream error: not for everyone."""
    status, body, _, _ = await stack.command("status", user=OTHER)
    assert status == 200
    assert REFUSAL in text_of(json.loads(body)["blocks"])
    status, body, _, _ = await stack.command("status", user=AGENT)
    assert REFUSAL not in text_of(json.loads(body)["blocks"])


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERGROUPS="S0SUPPORT")
async def test_a_slow_user_group_check_never_makes_the_ack_late(stack: Stack) -> None:
    """usergroups.users.list hangs: every command is still acked within Slack's 3 s ("checking
    your access…"), one read serves them all, and each card follows once Slack answers."""
    import asyncio

    stack.slack.set_usergroup("S0SUPPORT", [AGENT])
    stack.slack.slow("usergroups.users.list", seconds=1.7)  # past the ack budget, under the read's
    results = await asyncio.gather(*(stack.command(f"find {SHOWCASE_PHONE}") for _ in range(5)))
    for status, ack, elapsed, url in results:
        assert_acked(status, elapsed)
        assert elapsed < 2.5
        assert "Comprobando tu acceso" in text_of(ack_json(ack))
        [post] = await stack.slack.wait_for_response(url, timeout=10)
        assert SHOWCASE_NAME in text_of(post.body)
    assert len(stack.slack.calls("usergroups.users.list")) == 1


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERGROUPS="S0SUPPORT")
async def test_a_user_group_check_that_fails_is_a_refusal_in_time(stack: Stack) -> None:
    """Slack's API hangs past the read's bound and no list was ever read: fail closed, and
    say so after the "checking" ack rather than miss it."""
    stack.slack.set_usergroup("S0SUPPORT", [AGENT])
    stack.slack.hang("usergroups.users.list", seconds=30)
    status, ack, elapsed, url = await stack.command(f"find {SHOWCASE_PHONE}")
    assert_acked(status, elapsed)
    assert "⏳" in text_of(ack_json(ack))
    [post] = await stack.slack.wait_for_response(url, timeout=10)
    assert isinstance(post.body, dict)
    assert_refusal(post.body)
    await settle(stack)
    assert upstream_requests(stack) == 0


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERGROUPS="S0SUPPORT")
async def test_status_suggestions_and_the_modal_are_in_time_when_slack_is_slow(
    stack: Stack,
) -> None:
    """What a first reply waits on (status, campaign names, the modal whose trigger dies in
    3 s) never waits past the ack's budget for a slow user-group read."""
    from bot.devtools.fakeslack import requests as sr
    from bot.devtools.stack import TEAM

    stack.slack.set_usergroup("S0SUPPORT", [AGENT])
    stack.slack.slow("usergroups.users.list", seconds=1.7)
    status, ack, elapsed, url = await stack.command("status")
    assert_acked(status, elapsed)
    assert elapsed < 2.5 and "Comprobando tu acceso" in text_of(ack_json(ack))
    [post] = await stack.slack.wait_for_response(url, timeout=10)
    assert "Wolkvox" in text_of(post.body) and REFUSAL not in text_of(post.body)

    stack.slack.slow("usergroups.users.list", seconds=1.7)
    await settle(stack, pause=2.0)  # the cached list expires only in minutes: force a new read
    stack.bot.runtime.access._members._values.clear()
    status, _, elapsed = await stack.global_shortcut()
    assert_acked(status, elapsed)
    [opened] = await stack.slack.wait_for("views.open", timeout=5)
    assert opened.ok, opened.response  # inside the trigger's 3 s
    [updated] = await stack.slack.wait_for("views.update", timeout=10)
    assert updated.args["view"]["callback_id"] == "wolkvox_search_submit"

    stack.bot.runtime.access._members._values.clear()
    stack.slack.slow("usergroups.users.list", seconds=1.7)
    body = sr.block_suggestion_body(
        view=updated.args["view"], action_id="campaign_id", value="", user_id=AGENT, team_id=TEAM
    )
    status, text, elapsed = await stack.post(body, sr.FORM)
    assert_acked(status, elapsed)
    assert elapsed < 2.5 and ack_json(text).get("options") == []

"""`@Wolkvox find …` end to end: threaded answers, masked phones, retried events answered once."""

from __future__ import annotations

import asyncio

from bot.devtools.fakeslack import requests as sr
from bot.devtools.stack import AGENT, CHANNEL, TEAM, Stack, local_stack
from bot.devtools.wolkvox_sim.server import SimulatorConfig
from tests.e2e.conftest import (
    SHARED_PHONE,
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    TOKEN,
    assert_acked,
    assert_everything_valid,
    assert_no_full_phone,
    find_calls,
    is_searching,
    sent_json,
    settle,
    text_of,
    upstream_requests,
)


async def test_mention_answers_in_its_thread_searching_then_the_card(stack: Stack) -> None:
    status, _, elapsed, mention_ts = await stack.mention(f"find {SHOWCASE_PHONE}")
    assert_acked(status, elapsed)

    [searching] = await stack.slack.wait_for("chat.postMessage", ok=True)
    assert searching.args["channel"] == CHANNEL
    assert searching.args["thread_ts"] == mention_ts
    assert is_searching(searching.args)
    [update] = await stack.slack.wait_for("chat.update", ok=True)
    assert update.args["ts"] == searching.response["ts"]  # the searching message becomes the card

    [message] = stack.slack.messages(CHANNEL)
    assert message["thread_ts"] == mention_ts
    text = text_of(message["blocks"])
    assert SHOWCASE_NAME in text
    assert "Cobranza Q4" in text and "Promesa de pago" in text
    assert "••••••4567" in text  # visible to the channel: last 4 digits only
    assert_no_full_phone(sent_json(stack), SHOWCASE_PHONE)
    assert find_calls(stack) == 1


async def test_mention_inside_a_thread_answers_in_that_thread(stack: Stack) -> None:
    parent_ts = "1764000000.000001"
    body = sr.app_mention_event_body(
        f"buscar {SHARED_PHONE}",
        event_id="Ev0THREAD01",
        channel=CHANNEL,
        user=AGENT,
        ts=stack.next_ts(),
        thread_ts=parent_ts,
        team_id=TEAM,
        bot_user_id=stack.slack.bot_user_id,
    )
    status, _, elapsed = await stack.post(body, sr.JSON)
    assert_acked(status, elapsed)
    await stack.slack.wait_for("chat.update", ok=True)
    [message] = stack.slack.messages(CHANNEL)
    assert message["thread_ts"] == parent_ts
    assert_no_full_phone(sent_json(stack), SHARED_PHONE)


async def test_retried_event_causes_no_second_lookup_or_reply(stack: Stack) -> None:
    event_id = "Ev0RETRY0001"
    status, _, elapsed, _ = await stack.mention(f"find {SHOWCASE_PHONE}", event_id=event_id)
    assert_acked(status, elapsed)
    await stack.slack.wait_for("chat.update", ok=True)
    lookups = find_calls(stack)

    for num in (1, 2):
        status, _, elapsed, _ = await stack.mention(
            f"find {SHOWCASE_PHONE}", event_id=event_id, headers=sr.retry_headers(num)
        )
        assert_acked(status, elapsed)
    await settle(stack)
    assert find_calls(stack) == lookups == 1
    assert len(stack.slack.calls("chat.postMessage")) == 1
    assert len(stack.slack.calls("chat.update")) == 1


async def test_retry_racing_the_first_delivery_is_answered_once(stack: Stack) -> None:
    event_id = "Ev0RETRY0002"
    results = await asyncio.gather(
        stack.mention(f"find {SHOWCASE_PHONE}", event_id=event_id),
        stack.mention(f"find {SHOWCASE_PHONE}", event_id=event_id, headers=sr.retry_headers(1)),
    )
    for status, _, elapsed, _ in results:
        assert_acked(status, elapsed)
    await stack.slack.wait_for("chat.update", ok=True)
    await settle(stack)
    assert find_calls(stack) == 1
    assert len(stack.slack.calls("chat.postMessage")) == 1


async def test_a_retry_whose_first_delivery_never_arrived_is_still_answered(
    stack: Stack,
) -> None:
    status, _, elapsed, _ = await stack.mention(
        f"find {SHOWCASE_PHONE}", event_id="Ev0LOSTFIRST", headers=sr.retry_headers(1)
    )
    assert_acked(status, elapsed)
    await stack.slack.wait_for("chat.update", ok=True)
    assert len(stack.slack.messages(CHANNEL)) == 1


async def test_mention_with_bad_arguments_gets_private_usage_and_no_lookup(
    stack: Stack,
) -> None:
    status, _, elapsed, mention_ts = await stack.mention("find abc")
    assert_acked(status, elapsed)
    [call] = await stack.slack.wait_for("chat.postEphemeral", ok=True)
    assert call.args["user"] == AGENT
    assert call.args.get("thread_ts") == mention_ts
    assert "No entendí esa búsqueda" in text_of(call.args["blocks"])
    await settle(stack)
    assert stack.slack.calls("chat.postMessage") == []
    assert upstream_requests(stack) == 0


async def test_retry_landing_on_another_instance_is_answered_once(redis_url: str) -> None:
    """Two bot processes behind one URL (dynos) share Redis: a retry delivered to the other
    one still causes no second lookup or reply."""
    env = {"WOLKVOX_TOKEN": TOKEN, "REDIS_URL": redis_url}
    async with (
        local_stack(env=env, simulator=SimulatorConfig(latency=0.1)) as first,
        local_stack(env=env, simulator_url=first.simulator_url, slack=first.slack) as second,
    ):
        event_id = "Ev0TWODYNOS1"
        await first.mention(f"find {SHOWCASE_PHONE}", event_id=event_id)
        status, _, elapsed, _ = await second.mention(
            f"find {SHOWCASE_PHONE}", event_id=event_id, headers=sr.retry_headers(1)
        )
        assert_acked(status, elapsed)
        await first.slack.wait_for("chat.update", ok=True)
        await settle(first)
        await settle(second)
        assert find_calls(first) == 1
        assert len(first.slack.calls("chat.postMessage")) == 1
        assert_everything_valid(first)


async def test_mention_in_the_middle_of_a_sentence_still_finds(stack: Stack) -> None:
    body = sr.app_mention_event_body(
        f"hola equipo, <@{stack.slack.bot_user_id}> buscar {SHOWCASE_PHONE} por favor",
        event_id="EvMIDDLE01",
        channel=CHANNEL,
        user=AGENT,
        ts=stack.next_ts(),
        team_id=TEAM,
        bot_user_id=stack.slack.bot_user_id,
    )
    status, _, elapsed = await stack.post(body, sr.JSON)
    assert_acked(status, elapsed)
    [update] = await stack.slack.wait_for("chat.update", ok=True)
    assert SHOWCASE_NAME in text_of(update.args)
    assert find_calls(stack) == 1


async def test_mention_in_prose_looks_up_the_phone_never_the_year(stack: Stack) -> None:
    """Issue 10 part 6: "… desde enero de 2025 no contesta el 300 123 4567" looked up 2025 and
    posted a public "no records" card."""
    status, _, elapsed, _ = await stack.mention(
        "hola, el cliente desde enero de 2025 no contesta el 300 123 4567"
    )
    assert_acked(status, elapsed)
    await stack.slack.wait_for("chat.update", ok=True)
    [message] = stack.slack.messages(CHANNEL)
    assert SHOWCASE_NAME in text_of(message["blocks"])
    await settle(stack)
    assert find_calls(stack) == 1

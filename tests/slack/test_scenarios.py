"""Each surface end to end in-process: a signed request through bolt's `async_dispatch` (the app
as served), the one flow, and what the bot sent back to Slack, read from the recorders. No
socket (tests/scenario.py); tests/e2e drives the same over real HTTP."""

from __future__ import annotations

import json

import pytest

from bot.devtools.fakeslack import requests as sr
from bot.devtools.fakeslack.reading import text_of
from bot.slack import ids
from tests.blockkit import assert_valid_message
from tests.scenario import ack_body, scenario

pytestmark = pytest.mark.usefixtures("no_network")

TEAM, USER, CHANNEL = "T0WOLKVOX", "U0AGENT01", "C0SOPORTE"
PHONE, NAME = "3001234567", "María Fernanda Gómez Restrepo"
HOOK = "https://hooks.slack.com/commands/T0WOLKVOX/1/x"


def slash(text: str) -> str:
    return sr.slash_command_body(
        text, user_id=USER, channel_id=CHANNEL, team_id=TEAM, response_url=HOOK, trigger_id="1.2"
    )


async def test_a_slash_command_acks_then_answers_privately_in_full() -> None:
    async with scenario() as s:
        response = await s.dispatch(slash(f"find {PHONE}"))
        assert response.status == 200
        await s.settle()
        cards = [ack_body(response), *s.hooks.bodies]
        answer = cards[-1]
        assert_valid_message(answer["blocks"])
        assert NAME in text_of(answer) and PHONE in text_of(answer)  # private: in full
        assert all(c.get("response_type", "ephemeral") == "ephemeral" for c in cards)
        assert s.wolkvox.calls == 1


async def test_a_mention_answers_in_its_thread_with_phones_masked() -> None:
    async with scenario() as s:
        body = sr.app_mention_event_body(
            f"find {PHONE}", event_id="Ev01", channel=CHANNEL, user=USER, ts="1700000000.000100"
        )
        response = await s.dispatch(body, sr.JSON)
        assert response.status == 200
        await s.settle()
        [placeholder] = s.web.named("chat.postMessage")
        assert placeholder["thread_ts"] == "1700000000.000100"
        [card] = s.web.named("chat.update")
        assert NAME in text_of(card) and PHONE not in json.dumps(card) and "4567" in text_of(card)


async def test_a_direct_message_is_answered_in_the_dm() -> None:
    async with scenario() as s:
        body = sr.direct_message_event_body(
            f"hola, ¿me ayudas con el {PHONE}?",
            event_id="Ev02",
            channel="D0AGENTDM1",
            user=USER,
            ts="1700000000.000200",
        )
        await s.dispatch(body, sr.JSON)
        await s.settle()
        [card] = s.web.named("chat.update")
        assert card["channel"] == "D0AGENTDM1" and PHONE in text_of(card)


async def test_a_message_shortcut_answers_privately() -> None:
    async with scenario() as s:
        body = sr.message_shortcut_body(
            message_text=f"el cliente llamó desde el {PHONE}",
            message_ts="1700000000.000300",
            message_user="U0CUSTOMR",
            user_id=USER,
            channel_id=CHANNEL,
            team_id=TEAM,
            response_url=HOOK,
            trigger_id="1.3",
        )
        assert (await s.dispatch(body)).status == 200
        await s.settle()
        [answer] = s.hooks.bodies
        assert answer["response_type"] == "ephemeral" and NAME in text_of(answer)


async def test_share_posts_the_card_for_the_channel_masked() -> None:
    async with scenario() as s:
        await s.dispatch(slash(f"find {PHONE}"))
        await s.settle()
        card = s.hooks.bodies[-1]
        body = sr.block_actions_body(
            action_id=ids.ACTION_SHARE,
            user_id=USER,
            team_id=TEAM,
            trigger_id="1.4",
            message={"ts": "1700000000.000400", **card},
            channel_id=CHANNEL,
            response_url=HOOK,
            is_ephemeral=True,
        )
        await s.dispatch(body)
        await s.settle()
        shared = s.hooks.bodies[-1]
        assert shared["response_type"] == "in_channel" and NAME in text_of(shared)
        assert PHONE not in json.dumps(shared)


async def test_a_workflow_run_completes_with_masked_outputs() -> None:
    async with scenario() as s:
        body = sr.function_executed_body(
            {"phone": PHONE, "requested_by": USER},
            function_execution_id="Fx01",
            bot_access_token="xwfp-1",
            event_id="Ev03",
            team_id=TEAM,
        )
        await s.dispatch(body, sr.JSON)
        await s.settle()
        [done] = s.web.named("functions.completeSuccess")
        outputs = done["outputs"]
        outputs = json.loads(outputs) if isinstance(outputs, str) else outputs
        assert outputs["found"] is True and outputs["customer_id"].endswith("4050")
        assert "1020304050" not in json.dumps(outputs)


async def test_an_unsigned_request_causes_nothing() -> None:
    async with scenario() as s:
        body = slash(f"find {PHONE}")
        forged = sr.sign(body, "not-the-secret")
        from slack_bolt.request.async_request import AsyncBoltRequest

        request = AsyncBoltRequest(body=body, headers={"content-type": sr.FORM, **forged})
        response = await s.app.async_dispatch(request)
        assert response.status == 401
        await s.settle()
        assert s.web.calls == [] and s.hooks.posts == [] and s.wolkvox.calls == 0

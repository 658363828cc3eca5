"""The end-to-end harness itself: FakeSlack answers like Slack, the request builders match Slack's
wire format (checked by slack_sdk's verifier and by a real bolt AsyncApp), and the fault switches
do what the fault-injection tests will rely on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.devtools.fakeslack.requests import (
    FORM,
    JSON,
    app_mention_event_body,
    block_actions_body,
    global_shortcut_body,
    message_shortcut_body,
    post_signed,
    sign,
    slash_command_body,
    view_submission_body,
)
from bot.devtools.fakeslack.server import TRIGGER_TTL, FakeSlack

SECRET = "e2e-signing-secret-not-real"
USER = "U0AGENT01"
CHANNEL = "C0SOPORTE"


class Clock:
    """A hand-moved clock so expiry is tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fs() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_user(USER, name="ana", locale="en-US")
        yield fake


def web_client(fs: FakeSlack, **kwargs: Any) -> AsyncWebClient:
    kwargs.setdefault("token", fs.token)
    return AsyncWebClient(base_url=fs.api_url, **kwargs)


SECTION: dict[str, Any] = {
    "type": "section",
    "text": {"type": "mrkdwn", "text": "*Ana Gómez* · Cobranza Q4"},
}
MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "wolkvox_search",
    "title": {"type": "plain_text", "text": "Search Wolkvox"},
    "submit": {"type": "plain_text", "text": "Search"},
    "blocks": [
        {
            "type": "input",
            "block_id": "phone",
            "optional": True,
            "label": {"type": "plain_text", "text": "Phone"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "customer",
            "optional": True,
            "label": {"type": "plain_text", "text": "Customer id"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
    ],
}


# --------------------------------------------------------------------------- signing


def test_sign_reproduces_slacks_documented_example() -> None:
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
        "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
        "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700"
        "885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2"
        "c447fce8b6703c"
    )
    assert sign(body, "8f742231b10e8888abcd99yyyzzz85a5", 1531420618) == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }


def test_sign_matches_slack_sdk_verifier() -> None:
    verifier = SignatureVerifier(SECRET)
    body = slash_command_body(
        "buscar +57 300 123 4567 campaña 42 ñ",
        user_id=USER,
        channel_id=CHANNEL,
        team_id="T0WOLKVOX",
        response_url="http://127.0.0.1:1/hooks/x",
        trigger_id="1.2.ab",
    )
    assert verifier.is_valid_request(body, sign(body, SECRET))
    assert not verifier.is_valid_request(body + "&x=1", sign(body, SECRET))
    assert not verifier.is_valid_request(body, sign(body, "another-secret"))
    stale = int(verifier.clock.now()) - 6 * 60
    assert not verifier.is_valid_request(body, sign(body, SECRET, stale))


def test_builders_produce_slack_shapes() -> None:
    fields = parse_qs(
        slash_command_body(
            "find 3001234567",
            user_id=USER,
            channel_id=CHANNEL,
            team_id="T0WOLKVOX",
            response_url="http://r",
            trigger_id="1.2.ab",
        )
    )
    assert {k: v[0] for k, v in fields.items() if k in ("command", "text", "user_id")} == {
        "command": "/wolkvox",
        "text": "find 3001234567",
        "user_id": USER,
    }
    assert {"team_id", "channel_id", "response_url", "trigger_id", "api_app_id"} <= fields.keys()

    event = json.loads(
        app_mention_event_body(
            "find 3001234567", event_id="Ev01", channel=CHANNEL, user=USER, ts="1.5"
        )
    )
    assert event["type"] == "event_callback" and event["event_id"] == "Ev01"
    assert event["event"]["text"] == "<@U0WOLKBOT> find 3001234567"
    assert "thread_ts" not in event["event"]

    shortcut = json.loads(
        parse_qs(
            message_shortcut_body(
                message_text="llamar al 3001234567",
                message_ts="1.5",
                message_user="U0OTHER",
                user_id=USER,
                channel_id=CHANNEL,
                team_id="T0WOLKVOX",
                response_url="http://r",
                trigger_id="1.2.ab",
            )
        )["payload"][0]
    )
    assert shortcut["type"] == "message_action"
    assert shortcut["user"] == {
        "id": USER,
        "username": "agent",
        "name": "agent",
        "team_id": "T0WOLKVOX",
    }
    assert shortcut["message"]["text"] == "llamar al 3001234567"

    submission = json.loads(
        parse_qs(
            view_submission_body(
                view=MODAL,
                values={"phone": {"value": "3001234567"}},
                user_id=USER,
                team_id="T0WOLKVOX",
                trigger_id="1.2.ab",
            )
        )["payload"][0]
    )
    assert submission["view"]["state"]["values"] == {
        "phone": {"value": {"type": "plain_text_input", "value": "3001234567"}},
        "customer": {"value": {"type": "plain_text_input", "value": None}},
    }
    with pytest.raises(ValueError, match="no input"):
        view_submission_body(
            view=MODAL,
            values={"campaign": {"value": "42"}},
            user_id=USER,
            team_id="T",
            trigger_id="t",
        )
    with pytest.raises(ValueError, match="no element"):
        block_actions_body(
            action_id="missing",
            user_id=USER,
            team_id="T",
            trigger_id="t",
            message={"ts": "1.5", "blocks": [SECTION]},
            channel_id=CHANNEL,
            response_url="http://r",
        )


# --------------------------------------------------------------------------- a real bolt app


@pytest.fixture
async def bolt_url(fs: FakeSlack) -> AsyncIterator[str]:
    """A minimal bolt AsyncApp, one listener per surface, served on loopback."""
    app = AsyncApp(token=fs.token, signing_secret=SECRET, client=web_client(fs))

    @app.command("/wolkvox")
    async def command(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        await ack("searching…")
        await respond(text=f"card for {command['text']}", blocks=[SECTION])

    @app.event("app_mention")
    async def mention(event: dict[str, Any], say: Any) -> None:
        button = {
            "type": "button",
            "action_id": "refresh",
            "value": "3001234567",
            "text": {"type": "plain_text", "text": "Refresh"},
        }
        await say(
            text="card",
            blocks=[SECTION, {"type": "actions", "block_id": "card_actions", "elements": [button]}],
            thread_ts=event.get("thread_ts") or event["ts"],
        )

    @app.shortcut("wolkvox_search")
    async def search(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.shortcut("find_in_wolkvox")
    async def find(ack: Any, shortcut: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(text=f"found in: {shortcut['message']['text']}")

    @app.action("refresh")
    async def refresh(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(replace_original=True, text=f"refreshed {body['actions'][0]['value']}")

    @app.view("wolkvox_search")
    async def submitted(ack: Any, view: dict[str, Any]) -> None:
        phone = view["state"]["values"]["phone"]["value"]["value"]
        title = {"type": "plain_text", "text": "Result"}
        await ack(response_action="update", view={"type": "modal", "title": title, "blocks": [
            {"type": "section", "text": {"type": "plain_text", "text": f"card for {phone}"}}
        ]})  # fmt: skip

    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    await runner.cleanup()


async def test_bolt_app_understands_every_builder(fs: FakeSlack, bolt_url: str) -> None:
    async with aiohttp.ClientSession() as http:
        # Slash command: immediate ack in the HTTP answer, the card through response_url.
        url = fs.new_response_url(channel_id=CHANNEL, user_id=USER)
        body = slash_command_body(
            "find 3001234567",
            user_id=USER,
            channel_id=CHANNEL,
            team_id=fs.team_id,
            response_url=url,
            trigger_id=fs.new_trigger_id(user_id=USER),
        )
        status, text, _ = await post_signed(http, bolt_url, body, FORM, SECRET)
        assert (status, text) == (200, "searching…")
        [post] = await fs.wait_for_response(url)
        assert post.body["text"] == "card for find 3001234567"
        assert fs.visible_messages(url)[0]["response_type"] == "ephemeral"

        # Mention: the card lands in the mention's thread.
        body = app_mention_event_body(
            "find 3001234567", event_id="Ev0001", channel=CHANNEL, user=USER, ts="1700000000.000100"
        )
        assert (await post_signed(http, bolt_url, body, JSON, SECRET))[0] == 200
        [posted] = await fs.wait_for("chat.postMessage", ok=True)
        assert posted.args["thread_ts"] == "1700000000.000100"
        [card] = fs.messages(CHANNEL)

        # Button on that card: respond(replace_original) replaces it for the user.
        url = fs.new_response_url(channel_id=CHANNEL, original=card)
        body = block_actions_body(
            action_id="refresh",
            user_id=USER,
            team_id=fs.team_id,
            trigger_id=fs.new_trigger_id(),
            message=card,
            channel_id=CHANNEL,
            response_url=url,
        )
        assert (await post_signed(http, bolt_url, body, FORM, SECRET))[0] == 200
        await fs.wait_for_response(url)
        [visible] = fs.visible_messages(url)
        assert visible["text"] == "refreshed 3001234567"

        # Message shortcut: private answer through its response_url.
        url = fs.new_response_url(channel_id=CHANNEL, user_id=USER)
        body = message_shortcut_body(
            message_text="llamar al 3001234567",
            message_ts="1700000000.000200",
            message_user="U0OTHER",
            user_id=USER,
            channel_id=CHANNEL,
            team_id=fs.team_id,
            response_url=url,
            trigger_id=fs.new_trigger_id(),
        )
        assert (await post_signed(http, bolt_url, body, FORM, SECRET))[0] == 200
        [post] = await fs.wait_for_response(url)
        assert post.body["text"] == "found in: llamar al 3001234567"

        # Global shortcut opens the modal with the trigger; submitting it updates the modal.
        body = global_shortcut_body(
            user_id=USER, team_id=fs.team_id, trigger_id=fs.new_trigger_id(user_id=USER)
        )
        assert (await post_signed(http, bolt_url, body, FORM, SECRET))[0] == 200
        [opened] = await fs.wait_for("views.open", ok=True)
        view = opened.response["view"]
        body = view_submission_body(
            view=view,
            values={"phone": {"value": "3001234567"}},
            user_id=USER,
            team_id=fs.team_id,
            trigger_id=fs.new_trigger_id(view_id=view["id"]),
        )
        status, text, _ = await post_signed(http, bolt_url, body, FORM, SECRET)
        assert status == 200
        assert json.loads(text)["response_action"] == "update"
        assert "card for 3001234567" in text

        # Forged and stale signatures are refused by bolt: the builders' signing is what counts.
        calls_before = len(fs.calls())
        status, _, _ = await post_signed(
            http, bolt_url, body, FORM, SECRET, headers={"X-Slack-Signature": "v0=" + "0" * 64}
        )
        assert status == 401
        status, _, _ = await post_signed(http, bolt_url, body, FORM, SECRET, timestamp=1)
        assert status == 401
        assert len(fs.calls()) == calls_before


# --------------------------------------------------------------------------- Web API answers


async def test_auth_test_and_auth_errors(fs: FakeSlack) -> None:
    answer = await web_client(fs).auth_test()
    assert {k: answer[k] for k in ("ok", "team_id", "user_id", "bot_id")} == {
        "ok": True,
        "team_id": fs.team_id,
        "user_id": fs.bot_user_id,
        "bot_id": fs.bot_id,
    }
    assert answer["url"].startswith("https://") and answer["team"] and answer["user"]

    with pytest.raises(SlackApiError) as err:
        await web_client(fs, token="xoxb-wrong").auth_test()
    assert err.value.response["error"] == "invalid_auth"

    async with aiohttp.ClientSession() as http:
        async with http.post(fs.api_url + "auth.test") as r:
            assert (r.status, await r.json()) == (200, {"ok": False, "error": "not_authed"})
        # Form body with the token as a field (Slack accepts it there too) and JSON-encoded blocks.
        form = {"token": fs.token, "channel": CHANNEL, "blocks": json.dumps([SECTION])}
        async with http.post(fs.api_url + "chat.postMessage", data=form) as r:
            assert (await r.json())["ok"] is True
    call = fs.calls("chat.postMessage")[-1]
    assert call.args["blocks"] == [SECTION] and call.content_type == FORM
    assert fs.token not in repr(fs.calls())


async def test_chat_methods(fs: FakeSlack) -> None:
    client = web_client(fs)
    posted = await client.chat_postMessage(channel=CHANNEL, text="card", blocks=[SECTION])
    assert posted["channel"] == CHANNEL and posted["message"]["blocks"] == [SECTION]
    reply = await client.chat_postMessage(channel=CHANNEL, text="reply", thread_ts=posted["ts"])
    assert reply["message"]["thread_ts"] == posted["ts"]
    assert float(reply["ts"]) > float(posted["ts"])

    updated = await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="new card")
    assert updated["ts"] == posted["ts"]
    assert [m["text"] for m in fs.messages(CHANNEL)] == ["new card", "reply"]

    ephemeral = await client.chat_postEphemeral(channel=CHANNEL, user=USER, text="only you")
    assert ephemeral["message_ts"]
    assert [m["text"] for m in fs.ephemerals(user=USER)] == ["only you"]

    for call, error in [
        (client.chat_update(channel=CHANNEL, ts="1.000001", text="x"), "message_not_found"),
        (client.api_call("chat.postMessage", json={"channel": CHANNEL}), "no_text"),
        (client.chat_postMessage(channel="#nope", text="x"), "channel_not_found"),
        (
            client.chat_postMessage(channel=CHANNEL, text="x", blocks=[SECTION] * 51),
            "invalid_blocks",
        ),
        (
            client.chat_postMessage(channel=CHANNEL, text="x", blocks=[{"type": "section"}]),
            "invalid_blocks",
        ),
        (client.api_call("chat.unknownThing"), "unknown_method"),
    ]:
        with pytest.raises(SlackApiError) as err:
            await call
        assert err.value.response["error"] == error


async def test_users_usergroups_conversations(fs: FakeSlack) -> None:
    client = web_client(fs)
    user = (await client.users_info(user=USER, include_locale=True))["user"]
    assert (user["id"], user["locale"]) == (USER, "en-US")
    assert "locale" not in (await client.users_info(user=USER))["user"]
    fs.set_usergroup("S0SUPPORT", [USER, "U0OTHER"])
    assert (await client.usergroups_users_list(usergroup="S0SUPPORT"))["users"] == [USER, "U0OTHER"]
    channel = (await client.conversations_info(channel=CHANNEL))["channel"]
    assert channel["id"] == CHANNEL and channel["is_channel"] is True
    for call, error in [
        (client.users_info(user="U0NOBODY"), "user_not_found"),
        (client.usergroups_users_list(usergroup="S0NONE"), "no_such_subteam"),
    ]:
        with pytest.raises(SlackApiError) as err:
            await call
        assert err.value.response["error"] == error
    assert [c.method for c in fs.calls()].count("users.info") == 3
    assert [c.http_method for c in fs.calls("users.info")] == ["GET"] * 3

    async with FakeSlack(strict_channels=True) as strict:
        strict.add_channel("C0KNOWN", name="known")
        client = web_client(strict)
        assert (await client.conversations_info(channel="C0KNOWN"))["channel"]["name"] == "known"
        with pytest.raises(SlackApiError) as err:
            await client.conversations_info(channel="C0OTHER")
        assert err.value.response["error"] == "channel_not_found"


async def test_views(fs: FakeSlack) -> None:
    client = web_client(fs)
    opened = (await client.views_open(trigger_id=fs.new_trigger_id(), view=MODAL))["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "wolkvox_search"
    assert opened["root_view_id"] == opened["id"] and opened["state"] == {"values": {}}

    result = dict(MODAL, blocks=[SECTION])
    updated = await client.views_update(view_id=opened["id"], hash=opened["hash"], view=result)
    assert updated["view"]["blocks"] == [SECTION]
    assert fs.view(opened["id"])["blocks"] == [SECTION]
    with pytest.raises(SlackApiError) as err:
        await client.views_update(view_id=opened["id"], hash=opened["hash"], view=result)
    assert err.value.response["error"] == "hash_conflict"

    pushed = (
        await client.views_push(trigger_id=fs.new_trigger_id(view_id=opened["id"]), view=result)
    )["view"]
    assert (pushed["previous_view_id"], pushed["root_view_id"]) == (opened["id"], opened["id"])
    await client.views_push(trigger_id=fs.new_trigger_id(view_id=pushed["id"]), view=result)
    with pytest.raises(SlackApiError) as err:  # Slack stacks at most 3 views
        await client.views_push(trigger_id=fs.new_trigger_id(view_id=opened["id"]), view=result)
    assert err.value.response["error"] == "push_limit_reached"

    bad_views: list[dict[str, Any]] = [
        dict(MODAL, submit=None),  # input blocks need a submit button
        dict(MODAL, title={"type": "plain_text", "text": "A title longer than 24 chars"}),
        dict(MODAL, blocks=[{"type": "no_such_block"}]),
    ]
    for view in bad_views:
        with pytest.raises(SlackApiError) as err:
            await client.views_open(trigger_id=fs.new_trigger_id(), view=view)
        assert err.value.response["error"] == "invalid_arguments"
        assert err.value.response["response_metadata"]["messages"]


async def test_trigger_ids_die_after_three_seconds_and_work_once() -> None:
    clock = Clock()
    async with FakeSlack(clock=clock) as fs:
        assert fs.trigger_ttl == TRIGGER_TTL == 3.0
        client = web_client(fs)

        async def open_with(trigger_id: str) -> str:
            try:
                await client.views_open(trigger_id=trigger_id, view=MODAL)
            except SlackApiError as err:
                return str(err.response["error"])
            return "ok"

        fresh = fs.new_trigger_id()
        clock.now += 2.9
        assert await open_with(fresh) == "ok"
        assert await open_with(fresh) == "exchanged_trigger_id"
        late = fs.new_trigger_id()
        clock.now += 3.1
        assert await open_with(late) == "expired_trigger_id"
        killed = fs.new_trigger_id()
        fs.expire_trigger(killed)
        assert await open_with(killed) == "expired_trigger_id"
        assert await open_with("12345.98765.abcd2358fdea") == "expired_trigger_id"
        assert await open_with("not-a-trigger") == "invalid_trigger_id"
        assert len(fs.calls("views.open", ok=True)) == 1


# --------------------------------------------------------------------------- response URLs


async def test_response_url_records_and_applies_slack_semantics() -> None:
    clock = Clock()
    async with FakeSlack(clock=clock) as fs:
        original = {"text": "searching…", "response_type": "ephemeral"}
        url = fs.new_response_url(channel_id=CHANNEL, user_id=USER, original=original)
        hook = AsyncWebhookClient(url)
        assert (await hook.send(text="card", response_type="in_channel")).status_code == 200
        [post] = await fs.wait_for_response(url)
        assert post.body == {"text": "card", "response_type": "in_channel"}
        assert [m["text"] for m in fs.visible_messages(url)] == ["searching…", "card"]

        await hook.send(text="final card", replace_original=True)
        await hook.send(delete_original=True)
        assert [m["text"] for m in fs.visible_messages(url)] == ["card"]

        assert (await hook.send(text="4th")).status_code == 200
        assert (await hook.send(text="5th")).status_code == 200
        sixth = await hook.send(text="6th")
        assert (sixth.status_code, json.loads(sixth.body)["error"]) == (404, "used_url")
        assert len(fs.responses(url, accepted=True)) == 5

        late = AsyncWebhookClient(fs.new_response_url())
        clock.now += 30 * 60 + 1
        answer = await late.send(text="too late")
        assert (answer.status_code, json.loads(answer.body)["error"]) == (404, "expired_url")

        fresh = fs.new_response_url()
        fs.expire_hook(fresh)
        assert (await AsyncWebhookClient(fresh).send(text="x")).status_code == 404
        assert (await AsyncWebhookClient(fresh + "x").send(text="x")).status_code == 404

        checks = AsyncWebhookClient(fs.new_response_url())
        assert json.loads((await checks.send(text="")).body)["error"] == "no_text"
        bad = await checks.send(text="x", blocks=[{"type": "section"}])
        assert (bad.status_code, json.loads(bad.body)["error"]) == (400, "invalid_blocks")


async def test_response_url_fault_switches(fs: FakeSlack) -> None:
    url = fs.new_response_url()
    fs.hook_fail(url, times=2, status=500)
    hook = AsyncWebhookClient(url)
    assert [(await hook.send(text=f"try {i}")).status_code for i in range(3)] == [500, 500, 200]
    [shown] = await fs.wait_for_response(url)
    assert shown.body["text"] == "try 2"
    assert [p.status for p in fs.responses(url)] == [500, 500, 200]

    fs.hook_hang(url, seconds=30)
    with pytest.raises(asyncio.TimeoutError):
        await AsyncWebhookClient(url, timeout=1).send(text="hangs")
    assert (await hook.send(text="after the hang")).status_code == 200
    assert [p.body["text"] for p in fs.responses(url, accepted=True)] == ["try 2", "after the hang"]

    with pytest.raises(AssertionError, match="expected 3 POST"):
        await fs.wait_for_response(url, count=3, timeout=0.2)


# --------------------------------------------------------------------------- faults and waits


async def test_rate_limit_answers_429_with_retry_after(fs: FakeSlack) -> None:
    fs.rate_limit("chat.postMessage", times=1, retry_after=1)
    with pytest.raises(SlackApiError) as err:
        await web_client(fs).chat_postMessage(channel=CHANNEL, text="x")
    assert err.value.response.status_code == 429
    assert err.value.response["error"] == "ratelimited"
    assert err.value.response.headers["Retry-After"] == "1"

    fs.rate_limit("chat.postMessage", times=1, retry_after=1)
    client = web_client(fs, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])
    answer = await client.chat_postMessage(channel=CHANNEL, text="card")
    assert answer["ok"] is True
    limited, retried = fs.calls("chat.postMessage")[-2:]
    assert (limited.status, limited.fault, retried.ok) == (429, "ratelimit", True)
    assert retried.at - limited.at >= 0.9  # slack_sdk waited out Retry-After before retrying
    assert [m["text"] for m in fs.messages(CHANNEL)] == ["card"]


async def test_other_api_faults_and_wait_for(fs: FakeSlack) -> None:
    client = web_client(fs)
    fs.answer_error("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel=CHANNEL, text="x")
    assert err.value.response["error"] == "channel_not_found"

    fs.fail("views.open", status=503)
    with pytest.raises(SlackApiError) as err:
        await client.views_open(trigger_id=fs.new_trigger_id(), view=MODAL)
    assert err.value.response.status_code == 503

    fs.hang("users.info", seconds=30)
    with pytest.raises(asyncio.TimeoutError):
        await web_client(fs, timeout=1).users_info(user=USER)
    assert (await client.users_info(user=USER))["ok"] is True
    assert [(c.status, c.fault) for c in fs.calls("users.info")] == [(504, "hang"), (200, None)]

    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel=CHANNEL, text="later")

    task = asyncio.create_task(later())
    [done] = await fs.wait_for("chat.postMessage", ok=True)
    await task
    assert done.args["text"] == "later"
    with pytest.raises(AssertionError, match=r"expected 2 chat\.postMessage"):
        await fs.wait_for("chat.postMessage", count=2, timeout=0.2, ok=True)


async def test_the_stand_in_refuses_a_message_over_slacks_cumulative_text_limit() -> None:
    """Slack refuses blocks whose text adds up past roughly 11-13k characters (undocumented,
    measured in bolt-js #2509/#2867): the stand-in refuses at 11,000 with Slack's error."""
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}
    async with FakeSlack() as fake, aiohttp.ClientSession() as http:
        for count, expected in ((3, True), (4, False)):
            async with http.post(
                f"{fake.api_url}chat.postMessage",
                json={"channel": "C0SOPORTE", "text": "t", "blocks": [section] * count},
                headers={"Authorization": f"Bearer {fake.token}"},
            ) as resp:
                body = await resp.json()
            assert body["ok"] is expected, body
            if not expected:
                assert body["error"] == "msg_blocks_too_long"

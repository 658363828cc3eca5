"""The whole product on loopback: Wolkvox simulator, Slack stand-in and the real bot over HTTP.

The demo, the end-to-end tests and the benchmarks all drive the bot through this, as Slack
does: signed HTTP requests to POST /slack/events, answers read back from the stand-in.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.config import Settings, load_settings
from bot.devtools.fakeslack import requests as sr
from bot.devtools.fakeslack.server import FakeSlack
from bot.devtools.wolkvox_sim.server import STATS, SimulatorConfig, SimulatorStats, serve_simulator
from bot.slack.server import Bot, make_runner
from bot.wiring import create_bot

TEAM = "T0WOLKVOX"
AGENT = "U0AGENT01"
CHANNEL = "C0SOPORTE"
DM_CHANNEL = "D0AGENTDM1"  # the agent's direct conversation with the bot


def bot_settings(
    slack: FakeSlack, wolkvox_url: str, secret: str, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A bot's settings against the stand-ins: the simulator as Wolkvox (with a demo token),
    FakeSlack as Slack, `secret` to sign with; `extra` adds or overrides settings."""
    return {
        "WOLKVOX_BASE_URL": wolkvox_url,
        "WOLKVOX_TOKEN": "demo-token-1",
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": slack.api_url,
        **(extra or {}),
    }


def slash_command(
    slack: FakeSlack,
    text: str,
    *,
    user: str = AGENT,
    channel: str = CHANNEL,
    team: str = TEAM,
    response_url: str | None = None,
) -> tuple[str, str]:
    """`/wolkvox <text>` as Slack's form body; returns (body, response_url).

    The response_url (fresh unless one is given, e.g. with faults set on it beforehand) and
    the trigger id come from `slack`, so the bot's answers land where the caller can read them.
    """
    url = response_url
    if url is None:
        url = slack.new_response_url(channel_id=channel, user_id=user)
    body = sr.slash_command_body(
        text,
        user_id=user,
        channel_id=channel,
        team_id=team,
        response_url=url,
        trigger_id=slack.new_trigger_id(user_id=user),
    )
    return body, url


def button_press(
    slack: FakeSlack,
    action_id: str,
    message: Mapping[str, Any],
    *,
    user: str = AGENT,
    channel: str = CHANNEL,
    is_ephemeral: bool = True,
) -> tuple[str, str]:
    """A press of `action_id` on `message` (its `ts` included) as Slack's form body; returns
    (body, response_url), the response_url and trigger id from `slack` like a command's."""
    url = slack.new_response_url(channel_id=channel, user_id=user)
    body = sr.block_actions_body(
        action_id=action_id,
        user_id=user,
        team_id=TEAM,
        trigger_id=slack.new_trigger_id(user_id=user),
        message=dict(message),
        channel_id=channel,
        response_url=url,
        is_ephemeral=is_ephemeral,
    )
    return body, url


async def post_slash_command(
    session: aiohttp.ClientSession,
    events_url: str,
    secret: str,
    slack: FakeSlack,
    text: str,
    *,
    user: str = AGENT,
    channel: str = CHANNEL,
    team: str = TEAM,
    response_url: str | None = None,
) -> tuple[int, str, float, str]:
    """Post `/wolkvox <text>` signed with `secret` to a bot's `events_url`, as Slack does.

    Returns (status, ack body, seconds to ack, response_url): the ack may be the whole answer
    or a "searching…" one, the card then arriving at the response_url on `slack`.
    """
    body, url = slash_command(
        slack, text, user=user, channel=channel, team=team, response_url=response_url
    )
    status, ack, elapsed = await sr.post_signed(session, events_url, body, sr.FORM, secret)
    return status, ack, elapsed, url


@dataclass
class Stack:
    bot: Bot
    slack: FakeSlack
    simulator_url: str
    simulator_stats: SimulatorStats | None
    events_url: str
    health_url: str
    signing_secret: str
    session: aiohttp.ClientSession
    _ts: int = field(default=1_764_000_000)

    @property
    def settings(self) -> Settings:
        return self.bot.settings

    def next_ts(self) -> str:
        self._ts += 1
        return f"{self._ts}.000100"

    async def post(
        self, body: str, content_type: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, str, float]:
        return await sr.post_signed(
            self.session, self.events_url, body, content_type, self.signing_secret, headers
        )

    async def command(
        self,
        text: str,
        *,
        user: str = AGENT,
        channel: str = CHANNEL,
        response_url: str | None = None,
    ) -> tuple[int, str, float, str]:
        """`/wolkvox <text>`; returns (status, ack body, seconds to ack, response_url).

        `response_url` is a fresh one unless given (e.g. one with faults set beforehand).
        """
        return await post_slash_command(
            self.session,
            self.events_url,
            self.signing_secret,
            self.slack,
            text,
            user=user,
            channel=channel,
            response_url=response_url,
        )

    async def direct_message(
        self,
        text: str,
        *,
        user: str = AGENT,
        channel: str = DM_CHANNEL,
        subtype: str | None = None,
        bot_id: str | None = None,
        event_id: str | None = None,
    ) -> tuple[int, str, float]:
        """A message the user writes in their DM with the bot (a ``message.im`` event)."""
        body = sr.direct_message_event_body(
            text,
            event_id=event_id or "Ev" + secrets.token_hex(5).upper(),
            channel=channel,
            user=user,
            ts=self.next_ts(),
            team_id=TEAM,
            subtype=subtype,
            bot_id=bot_id,
        )
        return await self.post(body, sr.JSON)

    async def workflow_step(
        self, inputs: dict[str, Any], *, event_id: str | None = None
    ) -> tuple[int, str, float, str]:
        """Workflow Builder runs the `find_customer` step; returns (status, body, seconds, the
        run's function_execution_id, whose result is in `slack.function_results`)."""
        body, execution_id = self.workflow_step_body(inputs, event_id=event_id)
        status, text, elapsed = await self.post(body, sr.JSON)
        return status, text, elapsed, execution_id

    def workflow_step_body(
        self, inputs: dict[str, Any], *, event_id: str | None = None
    ) -> tuple[str, str]:
        """A new run's signed-to-be `function_executed` body and its function_execution_id
        (post it twice to play Slack's retry of the same event)."""
        execution_id, token = self.slack.new_function_execution()
        body = sr.function_executed_body(
            inputs,
            function_execution_id=execution_id,
            bot_access_token=token,
            event_id=event_id or "Ev" + secrets.token_hex(5).upper(),
            team_id=TEAM,
        )
        return body, execution_id

    async def open_home(self, *, user: str = AGENT, tab: str = "home") -> tuple[int, str, float]:
        """The user opens the app's Home tab."""
        body = sr.app_home_opened_body(
            user=user,
            channel=DM_CHANNEL,
            event_id="Ev" + secrets.token_hex(5).upper(),
            team_id=TEAM,
            tab=tab,
        )
        return await self.post(body, sr.JSON)

    async def mention(
        self,
        text: str,
        *,
        user: str = AGENT,
        channel: str = CHANNEL,
        event_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, str, float, str]:
        """An app_mention event; returns (status, body, seconds, the mention's ts)."""
        ts = self.next_ts()
        body = sr.app_mention_event_body(
            f"<@{self.slack.bot_user_id}> {text}",
            event_id=event_id or "Ev" + secrets.token_hex(5).upper(),
            channel=channel,
            user=user,
            ts=ts,
            team_id=TEAM,
            bot_user_id=self.slack.bot_user_id,
        )
        status, text_, elapsed = await self.post(body, sr.JSON, headers)
        return status, text_, elapsed, ts

    async def message_shortcut(
        self,
        message_text: str,
        *,
        user: str = AGENT,
        channel: str = CHANNEL,
        message: dict[str, Any] | None = None,
    ) -> tuple[int, str, float, str]:
        response_url = self.slack.new_response_url(channel_id=channel, user_id=user)
        body = sr.message_shortcut_body(
            message_text=message_text,
            message_ts=self.next_ts(),
            message_user="U0CUSTOMR",
            user_id=user,
            channel_id=channel,
            team_id=TEAM,
            response_url=response_url,
            trigger_id=self.slack.new_trigger_id(user_id=user),
            message=message,
        )
        status, text, elapsed = await self.post(body, sr.FORM)
        return status, text, elapsed, response_url

    async def global_shortcut(self, *, user: str = AGENT) -> tuple[int, str, float]:
        body = sr.global_shortcut_body(
            user_id=user, team_id=TEAM, trigger_id=self.slack.new_trigger_id(user_id=user)
        )
        return await self.post(body, sr.FORM)

    async def submit(
        self, view: Mapping[str, Any], values: Mapping[str, str], *, user: str = AGENT
    ) -> tuple[int, str, float]:
        body = sr.view_submission_body(
            view=view,
            values={k: {k: v} for k, v in values.items()},
            user_id=user,
            team_id=TEAM,
            trigger_id=self.slack.new_trigger_id(user_id=user),
        )
        return await self.post(body, sr.FORM)

    async def press(
        self,
        action_id: str,
        message: Mapping[str, Any],
        *,
        user: str = AGENT,
        channel: str = CHANNEL,
        is_ephemeral: bool = True,
    ) -> tuple[int, str, float, str]:
        """Press a button on a message (a dict with `blocks` and `ts`); returns the response_url
        the press carried, where the answer arrives."""
        body, response_url = button_press(
            self.slack,
            action_id,
            {"ts": self.next_ts(), **dict(message)},
            user=user,
            channel=channel,
            is_ephemeral=is_ephemeral,
        )
        status, text, elapsed = await self.post(body, sr.FORM)
        return status, text, elapsed, response_url

    async def press_in_home(self, action_id: str, *, user: str = AGENT) -> tuple[int, str, float]:
        """Press a button on the home tab last published for `user`."""
        home = self.slack.home_of(user)
        if home is None:
            raise LookupError(f"no home tab published for {user}")
        body = sr.block_actions_body(
            action_id=action_id,
            user_id=user,
            team_id=TEAM,
            trigger_id=self.slack.new_trigger_id(user_id=user),
            view=home,
        )
        return await self.post(body, sr.FORM)


@contextlib.asynccontextmanager
async def local_stack(
    env: Mapping[str, str] | None = None,
    *,
    simulator: SimulatorConfig | None = None,
    simulator_url: str | None = None,
    validate_blocks: bool = True,
    slack: FakeSlack | None = None,
) -> AsyncIterator[Stack]:
    """Start everything on free loopback ports; `env` adds or overrides settings.

    `simulator_url` points at a simulator already running (e.g. in another process, so that its
    memory does not count in the bot's); otherwise one runs in this process.
    """
    async with contextlib.AsyncExitStack() as stack:
        stats: SimulatorStats | None = None
        if simulator_url is None:
            wolkvox_url, sim_app = await stack.enter_async_context(
                serve_simulator(simulator or SimulatorConfig(latency=0.05))
            )
            stats = sim_app[STATS]
        else:
            wolkvox_url = simulator_url
        if slack is None:
            slack = await stack.enter_async_context(FakeSlack(validate_blocks=validate_blocks))
        slack.add_user(AGENT, name="ana.agente", locale="es-LA")
        secret = slack.signing_secret
        settings = load_settings(bot_settings(slack, wolkvox_url, secret, env), dotenv=False)
        bot = await create_bot(settings)
        stack.push_async_callback(bot.close)
        runner = make_runner(bot, handle_signals=False)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        session = await stack.enter_async_context(aiohttp.ClientSession())
        yield Stack(
            bot=bot,
            slack=slack,
            simulator_url=wolkvox_url,
            simulator_stats=stats,
            events_url=f"http://{host}:{port}/slack/events",
            health_url=f"http://{host}:{port}/healthz",
            signing_secret=secret,
            session=session,
        )
        # Let answers still in flight finish before the stand-ins go away.
        await bot.runtime.drain(5.0)

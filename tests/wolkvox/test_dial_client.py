"""The agent API as the client speaks it, against the simulator over loopback: a dial and its
conn_id, Wolkvox's refusals by their words, no answer in time (never retried), and the agents
list (extension, SSO user, enabled)."""

from __future__ import annotations

import pytest

from bot.config import Secret
from bot.devtools.wolkvox_sim.server import STATS, SimulatorConfig, serve_simulator
from bot.wolkvox.client import Agent, WolkvoxClient
from bot.wolkvox.errors import (
    AgentNotLoggedIn,
    DialRefused,
    DialUncertain,
    TokenRejected,
    UnknownExtension,
    dial_refusal,
)

TOKEN = Secret("demo-token-1")


async def test_a_dial_returns_wolkvox_conn_id_and_is_not_counted() -> None:
    async with serve_simulator(SimulatorConfig(latency=0)) as (url, app):
        async with WolkvoxClient(url) as client:
            conn_id = await client.dial(
                TOKEN, agent_id="12004", phone="3001234567", customer_id="1", customer_name="M"
            )
        assert conn_id
        assert [(ext, phone) for _, ext, phone, _ in app[STATS].dials] == [("12004", "3001234567")]
        assert sum(app[STATS].daily_use.values()) == 0


@pytest.mark.parametrize(
    ("extension", "error"),
    [("12005", AgentNotLoggedIn), ("99999", UnknownExtension), ("12006", UnknownExtension)],
)
async def test_refusals_are_named_by_their_words(extension: str, error: type[DialRefused]) -> None:
    async with (
        serve_simulator(SimulatorConfig(latency=0)) as (url, _),
        WolkvoxClient(url) as client,
    ):
        with pytest.raises(error):
            await client.dial(TOKEN, agent_id=extension, phone="3001234567")


async def test_no_answer_in_time_is_uncertain() -> None:
    async with serve_simulator(SimulatorConfig(latency=0, slow_seconds=10)) as (url, app):
        async with WolkvoxClient(url, timeout=0.5) as client:
            with pytest.raises(DialUncertain):
                await client.dial(TOKEN, agent_id="12009", phone="3001234567")
        assert len(app[STATS].dials) == 1


async def test_a_rejected_token_is_the_token_error() -> None:
    async with (
        serve_simulator(SimulatorConfig(latency=0, tokens=frozenset({"other"}))) as (
            url,
            _,
        ),
        WolkvoxClient(url) as client,
    ):
        with pytest.raises(TokenRejected):
            await client.dial(TOKEN, agent_id="12004", phone="3001234567")


async def test_the_agents_list_is_read_with_sso_and_enabled() -> None:
    async with (
        serve_simulator(SimulatorConfig(latency=0)) as (url, _),
        WolkvoxClient(url) as client,
    ):
        agents = await client.agents(TOKEN)
    by_extension = {a.extension: a for a in agents}
    assert by_extension["12004"] == Agent("12004", "Ana Agente", "ana.agente@example.com", True)
    assert by_extension["12006"].enabled is False


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"agent_id": "12004", "agent_sso": "A@X.CO", "enabled": "1"}, ("12004", "a@x.co", True)),
        ({"agent_id": 12004, "enabled": True}, ("12004", "", True)),
        ({"agent_id": "12004", "enabled": "0"}, ("12004", "", False)),
        ({"agent_id": "", "enabled": "1"}, None),
        ({"agent_id": "12; DROP", "enabled": "1"}, None),
    ],
)
def test_agent_rows_are_read_defensively(
    item: dict[str, object], expected: tuple[str, str, bool] | None
) -> None:
    agent = Agent.of(item)
    assert (None if agent is None else (agent.extension, agent.sso, agent.enabled)) == expected


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("The agent is not logged in", "agent_not_logged_in"),
        ("El agente no está logueado", "agent_not_logged_in"),
        ("Agent does not exist", "unknown_extension"),
        ("Algo salió mal", "dial_refused"),
    ],
)
def test_dial_refusals_by_their_words(message: str, kind: str) -> None:
    assert dial_refusal(message).kind == kind

"""*Call* and `/wolkvox call` end to end over signed HTTP: the confirm on the card, each way a
user is mapped to their Wolkvox extension, the dial through the token's guard (ahead of lookups,
never a third in flight), once per press, never retried, refused in plain words, and never from a
card others read."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from bot.devtools.stack import AGENT, TEAM, Stack, local_stack
from bot.devtools.wolkvox_sim.server import (
    STATS,
    SimulatorConfig,
    SimulatorStats,
    serve_simulator,
)
from tests.e2e.conftest import SHOWCASE_PHONE, command_answer, settle, text_of

MAPPED = {"WOLKVOX_AGENTS": f"{AGENT}:12004"}
OTHER = "U0OTHER02"
THIRD = "U0THIRD03"


@contextlib.asynccontextmanager
async def dial_stack(
    env: dict[str, str] | None = None, **sim: Any
) -> AsyncIterator[tuple[Stack, SimulatorStats]]:
    """The bot and a simulator of its own (its stats beside: what agentbox.php was asked)."""
    async with serve_simulator(SimulatorConfig(**{"latency": 0.05, **sim})) as (url, app):
        settings = {"WOLKVOX_TOKEN": "demo-token-1", **(env or {})}
        async with local_stack(env=settings, simulator_url=url) as stack:
            yield stack, app[STATS]


def call_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for block in card.get("blocks", []):
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("action_id") == "dial_customer":
            found.append(accessory)
        if block.get("type") == "actions":
            found += [e for e in block["elements"] if e.get("action_id") == "dial_customer"]
    return found


async def press_call(stack: Stack, card: dict[str, Any], **kwargs: Any) -> str:
    """Press the first *Call*; the private note it answers with."""
    status, _, elapsed, url = await stack.press("dial_customer", card, **kwargs)
    assert status == 200 and elapsed < 3
    notes = await stack.slack.wait_for_response(url, timeout=15)
    return text_of(notes[-1].body["blocks"])  # type: ignore[index]


# --- the confirm flow ------------------------------------------------------------------------


async def test_a_private_card_offers_call_with_a_confirm_and_the_press_dials() -> None:
    async with dial_stack(MAPPED) as (stack, sim):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        buttons = call_buttons(card)
        assert buttons, "no Call button on a private card"
        assert buttons[0]["confirm"]["text"]["text"] == (
            "¿Marcar ••• ••• 4567 desde tu Wolkvox Agent, extensión 12004?"
        )
        assert SHOWCASE_PHONE not in json.dumps(buttons)  # the value is sealed
        note = await press_call(stack, card)
        assert "está marcando ••• ••• 4567 (extensión 12004)" in note
        await settle(stack)
        assert [(ext, phone) for _, ext, phone, _ in sim.dials] == [("12004", SHOWCASE_PHONE)]
        assert sum(sim.daily_use.values()) == sim.total_requests - 1  # not the dial


async def test_the_call_command_answers_with_the_same_confirmation() -> None:
    async with dial_stack(MAPPED) as (stack, sim):
        for text in ("call 300 123 4567", "llamar +57 300 123 4567"):
            _, card, _ = await command_answer(stack, text)
            assert "Llamar a ••• ••• 4567 desde tu Wolkvox Agent (extensión 12004)" in text_of(
                card["blocks"]
            )
            [button] = call_buttons(card)
            assert "extensión 12004" in button["confirm"]["text"]["text"]
        assert "está marcando" in await press_call(stack, card)
        await settle(stack)
        assert [phone for _, _, phone, _ in sim.dials] == [SHOWCASE_PHONE]
        _, card, _ = await command_answer(stack, "call id 1020304050")
        assert "Escribe el teléfono a marcar" in text_of(card["blocks"])
        _, card, _ = await command_answer(stack, "call 3001234567 en ec")  # one operation here
        assert "una sola operación" in text_of(card["blocks"]) and not call_buttons(card)


# --- who is which agent ------------------------------------------------------------------------


async def test_the_users_slack_email_finds_their_extension() -> None:
    async with dial_stack() as (stack, sim):
        stack.slack.add_user(AGENT, name="ana.agente", email="Ana.Agente@example.com")
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        assert "está marcando ••• ••• 4567 (extensión 12004)" in await press_call(stack, card)
        await settle(stack)
        assert [ext for _, ext, _, _ in sim.dials] == ["12004"]
        agents_reads = sum(n for k, n in sim.queries.items() if k.api == "agents")
        _, card, _ = await command_answer(stack, "call 3101234567")
        assert "extensión 12004" in text_of(card["blocks"])
        assert sum(n for k, n in sim.queries.items() if k.api == "agents") == agents_reads == 1


async def link(stack: Stack, extension: str, user: str = AGENT) -> str:
    """Open the Home tab's form as `user` and send `extension`; the error said, or ""."""
    published = len(stack.slack.calls("views.publish", ok=True))
    await stack.open_home(user=user)
    await stack.slack.wait_for("views.publish", published + 1, ok=True)
    opened = len(stack.slack.calls("views.open", ok=True))
    await stack.press_in_home("link_extension", user=user)
    views = await stack.slack.wait_for("views.open", opened + 1, ok=True)
    _, body, _ = await stack.submit(views[-1].response["view"], {"extension": extension}, user=user)
    answer = json.loads(body) if body.strip().startswith("{") else {}
    return str((answer.get("errors") or {}).get("extension", ""))


async def test_a_user_links_their_extension_on_the_home_tab() -> None:
    async with dial_stack() as (stack, sim):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        note = await press_call(stack, card)
        assert "Vincúlala una vez en la pestaña *Inicio*" in note  # no extension yet
        assert "no tiene esa extensión" in await link(stack, "99999")
        assert "es de otro usuario de Wolkvox" in await link(stack, "12004")  # Ana's SSO user
        assert await link(stack, "12007") == ""  # enabled, no SSO user: linked
        home = await stack.slack.wait_for("views.publish", 3, ok=True)
        assert "extensión *12007*" in text_of(home[-1].args["view"]["blocks"])
        assert "está marcando ••• ••• 4567 (extensión 12007)" in await press_call(stack, card)
        await settle(stack)
        assert [ext for _, ext, _, _ in sim.dials] == ["12007"]


async def test_one_extension_one_slack_user() -> None:
    """Nobody links an extension someone else linked, or one an administrator gave someone
    else: one Slack user per extension (the attack: make a colleague's Agent dial)."""
    env = {"WOLKVOX_AGENTS": f"{OTHER}:12005"}
    async with dial_stack(env) as (stack, sim):
        stack.slack.add_user(OTHER, name="otro")
        stack.slack.add_user(THIRD, name="tercero")
        assert await link(stack, "12007") == ""
        assert "ya está asociada a otra persona" in await link(stack, "12007", user=THIRD)
        assert "ya está asociada a otra persona" in await link(stack, "12005", user=THIRD)
        # Unlinked, the extension is free again.
        await stack.open_home()
        await stack.press_in_home("unlink_extension")
        await settle(stack)
        assert await link(stack, "12007", user=THIRD) == ""
        assert sim.dials == []


async def test_a_link_forged_in_the_store_is_ignored() -> None:
    async with dial_stack() as (stack, sim):
        assert await link(stack, "12007") == ""
        store = stack.bot.store
        dialing = stack.bot.flow.dialing
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        from bot.slack.runtime import Actor, Surface

        actor = Actor(TEAM, AGENT, "C0SOPORTE", Surface.DIAL)
        await store.value_set(dialing._link_key(actor, ""), "12004.nonce.forged", 3600)
        assert "Vincúlala una vez" in await press_call(stack, card)
        assert sim.dials == []


async def test_self_link_can_be_switched_off() -> None:
    async with dial_stack({"WOLKVOX_AGENT_SELF_LINK": "false"}) as (stack, sim):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        assert "un administrador debe asociar tu usuario" in await press_call(stack, card)
        assert sim.dials == []


# --- the dial itself ---------------------------------------------------------------------------


async def test_a_double_press_dials_once() -> None:
    async with dial_stack(MAPPED) as (stack, sim):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        notes = await asyncio.gather(press_call(stack, card), press_call(stack, card))
        assert sum("Tu Wolkvox Agent está marcando" in n for n in notes) == 1
        assert sum("Ya se está marcando" in n for n in notes) == 1
        await settle(stack)
        assert len(sim.dials) == 1


async def test_a_dial_goes_next_when_both_slots_are_busy_never_a_third() -> None:
    """Two slow lookups hold the token's two slots, eight more wait; the dial is the next call
    Wolkvox sees, and never a third in flight."""
    env = {**MAPPED, "WOLKVOX_MAX_CONCURRENCY": "2", "WOLKVOX_CACHE_TTL": "0",
           "WOLKVOX_USER_RATE": "100", "WOLKVOX_STUCK_AFTER": "0"}  # fmt: skip
    async with dial_stack(env, latency=1.0) as (stack, sim):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}", timeout=15)
        searches = [
            asyncio.ensure_future(command_answer(stack, f"find 31{n:08d}", timeout=30))
            for n in range(10)
        ]
        await asyncio.sleep(0.5)  # two in flight, eight queued
        pressed = time.monotonic()
        note = await press_call(stack, card)
        assert "está marcando" in note
        [(dialled_at, _, _, _)] = sim.dials
        assert dialled_at - pressed < 1.0 + 0.6  # the next free slot, not the queue's end
        await asyncio.gather(*searches)
        assert sim.max_concurrent_overall <= 2
        assert sum(sim.refusals.values()) == 0


async def test_a_timeout_is_never_retried_and_says_we_do_not_know() -> None:
    env = {"WOLKVOX_AGENTS": f"{AGENT}:12009", "WOLKVOX_TIMEOUT": "2"}  # 12009's dial hangs
    async with dial_stack(env, slow_seconds=30) as (stack, sim):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        note = await press_call(stack, card)
        assert "No sabemos si Wolkvox marcó ••• ••• 4567" in note
        await asyncio.sleep(0.5)
        assert len(sim.dials) == 1  # once: a customer called twice is worse


async def test_wolkvox_refusals_are_one_plain_line() -> None:
    async with dial_stack({"WOLKVOX_AGENTS": f"{AGENT}:12345"}) as (stack, _):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        note = await press_call(stack, card)
        assert "Wolkvox no marcó ••• ••• 4567: la extensión 12345 no existe" in note


async def test_the_dial_is_audited_and_counted() -> None:
    async with dial_stack(MAPPED) as (stack, _):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        await press_call(stack, card)
        await settle(stack)
        url = stack.events_url.rsplit("/slack/events", 1)[0] + "/metrics"
        async with stack.session.get(url) as resp:
            page = await resp.text()
        assert re.search(
            r'^wolkvox_dials_total\{operation="",outcome="dialled"\} [1-9]', page, re.M
        )


# --- trust -------------------------------------------------------------------------------------


async def test_a_shared_card_has_no_call_button_and_a_forged_press_is_refused() -> None:
    async with dial_stack(MAPPED) as (stack, sim):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        _, _, _, url = await stack.press("share_card", card)
        [shared] = await stack.slack.wait_for_response(url, timeout=10)
        assert call_buttons(shared.body) == []  # type: ignore[arg-type]
        # Someone copies the private card's Call button onto a channel message and presses it.
        forged = {**shared.body, "blocks": card["blocks"]}  # type: ignore[dict-item]
        note = await press_call(stack, forged, is_ephemeral=False)
        assert "solo se ofrece en una respuesta privada" in note
        # Another user presses the asker's button (its value is sealed to the asker).
        stack.slack.add_user(OTHER, name="otro")
        assert "es de otra persona" in await press_call(stack, card, user=OTHER)
        await settle(stack)
        assert sim.dials == []


async def test_a_user_not_allowed_may_not_dial() -> None:
    env = {**MAPPED, "WOLKVOX_ALLOWED_USERS": AGENT}
    async with dial_stack(env) as (stack, sim):
        stack.slack.add_user(OTHER, name="otro")
        _, refused, _ = await command_answer(stack, "call 3001234567", user=OTHER)
        assert call_buttons(refused) == []
        assert "no tienes permiso" in text_of(refused["blocks"])
        await settle(stack)
        assert sim.dials == []


async def test_a_record_is_dialled_through_its_own_operation() -> None:
    """Two countries: Ecuador's campaign's Call goes to Ecuador's Wolkvox with Ecuador's
    extension for the agent."""
    async with serve_simulator(SimulatorConfig(latency=0.05)) as (url, app):
        env = {
            "WOLKVOX_BASE_URL": "",
            "WOLKVOX_TOKEN": "",
            "WOLKVOX_OPERATIONS": "co,ec",
            "WOLKVOX_CO_NAME": "Colombia",
            "WOLKVOX_CO_BASE_URL": f"{url}/co",
            "WOLKVOX_CO_TOKEN": "demo-token-1",
            "WOLKVOX_CO_AGENTS": f"{AGENT}:12005",
            "WOLKVOX_EC_NAME": "Ecuador",
            "WOLKVOX_EC_BASE_URL": f"{url}/ec",
            "WOLKVOX_EC_TOKEN": "demo-token-2",
            "WOLKVOX_EC_AGENTS": f"{AGENT}:12004",
        }
        async with local_stack(env=env, simulator_url=url) as stack:
            _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
            [ecuador] = [
                b for b in card["blocks"] if "Ecuador ·" in str(b.get("text", {}).get("text"))
            ]
            assert "extensión 12004" in ecuador["accessory"]["confirm"]["text"]["text"]
            message = {**card, "blocks": [ecuador]}  # press the Call beside Ecuador's phone
            assert "está marcando" in await press_call(stack, message)
            await settle(stack)
            assert [(ext, op) for _, ext, _, op in app[STATS].dials] == [("12004", "ec")]


async def test_each_user_has_a_dial_rate() -> None:
    async with dial_stack({**MAPPED, "WOLKVOX_DIAL_RATE": "1"}) as (stack, sim):
        _, first, _ = await command_answer(stack, "call 3001234567")
        assert "está marcando" in await press_call(stack, first)
        _, second, _ = await command_answer(stack, "call 3101234567")
        assert "Demasiadas llamadas desde Slack en la última hora" in await press_call(
            stack, second
        )
        await settle(stack)
        assert len(sim.dials) == 1


async def test_the_channel_allow_list_holds_for_calls_too() -> None:
    env = {**MAPPED, "WOLKVOX_ALLOWED_CHANNELS": "C0SOPORTE"}
    async with dial_stack(env) as (stack, sim):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        _, refused, _ = await command_answer(stack, "call 3001234567", channel="C0OTRO")
        assert call_buttons(refused) == [] and "no tienes permiso" in text_of(refused["blocks"])
        note = await press_call(stack, card, channel="C0OTRO")  # the card carried elsewhere
        assert "no tienes permiso" in note
        await settle(stack)
        assert sim.dials == []


async def test_a_call_keeps_within_the_channels_operations() -> None:
    async with serve_simulator(SimulatorConfig(latency=0.05)) as (url, app):
        env = {
            "WOLKVOX_BASE_URL": "",
            "WOLKVOX_TOKEN": "",
            "WOLKVOX_OPERATIONS": "co,ec",
            "WOLKVOX_CO_BASE_URL": f"{url}/co",
            "WOLKVOX_CO_TOKEN": "demo-token-1",
            "WOLKVOX_CO_AGENTS": f"{AGENT}:12004",
            "WOLKVOX_CO_CHANNELS": "C0SOPORTECO",
            "WOLKVOX_EC_BASE_URL": f"{url}/ec",
            "WOLKVOX_EC_TOKEN": "demo-token-2",
            "WOLKVOX_EC_AGENTS": f"{AGENT}:12004",
        }
        async with local_stack(env=env, simulator_url=url) as stack:
            _, card, _ = await command_answer(stack, "call 3001234567 en ec", channel="C0SOPORTECO")
            [button] = call_buttons(card)  # Colombia's only: the channel is pinned to it
            assert "está marcando" in await press_call(stack, card, channel="C0SOPORTECO")
            await settle(stack)
            assert [op for _, _, _, op in app[STATS].dials] == ["co"]
            del button


async def test_a_link_replayed_or_overridden_dials_nothing() -> None:
    """An old link value written back after the extension passed to someone else, and a link
    an administrator's mapping later overrides, both stop dialling."""
    async with dial_stack() as (stack, sim):
        stack.slack.add_user(OTHER, name="otro")
        dialing = stack.bot.flow.dialing
        from bot.slack.runtime import Actor, Surface

        me = Actor(TEAM, AGENT, "C0SOPORTE", Surface.DIAL)
        assert await link(stack, "12007") == ""
        old = await stack.bot.store.value_get(dialing._link_key(me, ""))
        await stack.open_home()
        await stack.press_in_home("unlink_extension")
        await settle(stack)
        assert await link(stack, "12007", user=OTHER) == ""  # free again: the colleague's now
        await stack.bot.store.value_set(dialing._link_key(me, ""), str(old), 3600)  # replayed
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        assert "Vincúlala una vez" in await press_call(stack, card)
        assert sim.dials == []


async def test_an_administrators_mapping_overrides_an_earlier_link() -> None:
    async with dial_stack() as (stack, sim):
        assert await link(stack, "12007") == ""
        # The administrator gives 12007 to its real owner (settings change, links kept).
        op = stack.bot.flow.rt.settings.operations[0]
        op.agents[OTHER] = "12007"
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        assert "Vincúlala una vez" in await press_call(stack, card)
        assert sim.dials == []


async def test_a_refused_dial_can_be_retried_at_once() -> None:
    async with dial_stack({"WOLKVOX_AGENTS": f"{AGENT}:12005"}) as (stack, sim):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        assert "no tiene sesión abierta" in await press_call(stack, card)
        assert "no tiene sesión abierta" in await press_call(stack, card)  # not "already"
        await settle(stack)
        assert len(sim.dials) == 2

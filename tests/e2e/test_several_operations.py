"""Several Wolkvox operations in one bot (WOLKVOX_OPERATIONS), end to end over signed HTTP: one
simulator serving two countries (a path each, with their own campaigns), each operation with
its own token; a search goes to both at once and answers with one card grouped by country."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import AsyncIterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.devtools.process import free_port
from bot.devtools.stack import Stack, local_stack
from bot.devtools.wolkvox_sim.data import BIG_PHONE
from bot.devtools.wolkvox_sim.server import (
    STATS,
    SimulatorConfig,
    SimulatorStats,
    serve_simulator,
)
from tests.blockkit import assert_valid_modal
from tests.e2e.conftest import (
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    assert_everything_valid,
    command_answer,
    settle,
    text_of,
)


@contextlib.asynccontextmanager
async def two_countries(
    *, co_url: str | None = None, ec_url: str | None = None, **extra: str
) -> AsyncIterator[tuple[Stack, SimulatorStats]]:
    """Colombia and Ecuador on one simulator (its stats beside the stack); `co_url`/`ec_url`
    point a country elsewhere (down), `extra` adds settings."""
    async with serve_simulator(SimulatorConfig(latency=0.05, big_records=300)) as (url, sim):
        env = {
            "WOLKVOX_BASE_URL": "",
            "WOLKVOX_TOKEN": "",
            "WOLKVOX_OPERATIONS": "co,ec",
            "WOLKVOX_CO_NAME": "Colombia",
            "WOLKVOX_CO_BASE_URL": co_url or f"{url}/co",
            "WOLKVOX_CO_TOKEN": "demo-token-1",
            "WOLKVOX_EC_NAME": "Ecuador",
            "WOLKVOX_EC_BASE_URL": ec_url or f"{url}/ec",
            "WOLKVOX_EC_TOKEN": "demo-token-2",
            **extra,
        }
        async with local_stack(env=env, simulator_url=url) as stack:
            yield stack, sim[STATS]
            await settle(stack, pause=0.05)
            assert_everything_valid(stack)


async def test_a_customer_in_two_countries_is_one_card_grouped_by_country() -> None:
    async with two_countries() as (stack, _):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        text = text_of(card["blocks"])
        assert SHOWCASE_NAME in text
        assert "Colombia · Cobranza Q4" in text and "Ecuador · Encuesta NPS" in text
        assert "Sin respuesta" not in text


async def test_a_country_that_is_down_leaves_the_others_answer_and_is_named() -> None:
    async with two_countries(ec_url=f"http://127.0.0.1:{free_port()}/ec") as (stack, _):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}", timeout=30)
        text = text_of(card["blocks"])
        assert "Colombia · Cobranza Q4" in text and "Ecuador ·" not in text
        assert "Sin respuesta de Ecuador" in text


async def test_en_narrows_a_search_to_one_country() -> None:
    async with two_countries() as (stack, _):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE} en ec")
        text = text_of(card["blocks"])
        assert "Ecuador · Encuesta NPS" in text and "Colombia" not in text
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE} en mx")
        assert "No hay una operación «mx»" in text_of(card["blocks"])
        assert "co, ec" in text_of(card["blocks"])


async def test_every_country_down_is_the_error_card() -> None:
    down = f"http://127.0.0.1:{free_port()}"
    async with two_countries(co_url=f"{down}/co", ec_url=f"{down}/ec") as (stack, stats):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}", timeout=30)
        assert SHOWCASE_NAME not in text_of(card["blocks"])
        assert "Wolkvox no está disponible" in text_of(card["blocks"])
        await settle(stack)
        assert stats.find_record_calls() == 0  # both countries were out of reach


async def test_a_channel_pinned_to_a_country_searches_that_country_only() -> None:
    async with two_countries(WOLKVOX_EC_CHANNELS="C0SOPORTEEC") as (stack, _):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}", channel="C0SOPORTEEC")
        text = text_of(card["blocks"])
        assert "Ecuador · Encuesta NPS" in text and "Colombia" not in text
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")  # elsewhere
        assert "Colombia · Cobranza Q4" in text_of(card["blocks"])


async def test_the_workflow_steps_operation_input_searches_that_country() -> None:
    async with two_countries() as (stack, _):
        _, _, _, run = await stack.workflow_step(
            {"phone": SHOWCASE_PHONE, "operation": "ec", "requested_by": "U0AGENT01"}
        )
        outputs = (await stack.slack.wait_for_function_result(run, 10.0))["outputs"]
        assert outputs["found"] is True
        assert outputs["last_campaign"].startswith("Ecuador · ")


async def test_operators_read_each_operation_on_healthz_metrics_and_status() -> None:
    down = f"http://127.0.0.1:{free_port()}/ec"
    async with two_countries(ec_url=down, WOLKVOX_EC_DAILY_QUOTA="500") as (stack, _):
        await command_answer(stack, f"find {SHOWCASE_PHONE}", timeout=30)
        await settle(stack)
        base = stack.events_url.rsplit("/slack/events", 1)[0]
        async with stack.session.get(f"{base}/healthz") as resp:
            health = await resp.json()
        assert health["status"] == "ok"  # one country down degrades its entry, not the bot
        operations = health["operations"]
        assert set(operations) == {"co", "ec"}
        assert operations["ec"]["name"] == "Ecuador"
        assert operations["ec"]["wolkvox"]["last_error"] == "unavailable"
        assert operations["co"]["wolkvox"]["last_error"] is None
        assert operations["co"]["wolkvox"]["last_ok_at"] is not None
        async with stack.session.get(f"{base}/metrics") as resp:
            page = await resp.text()
        families = {f.name: f for f in text_string_to_metric_families(page)}
        quota = {s.labels["operation"]: s.value for s in families["wolkvox_token_quota"].samples}
        assert quota == {"ec": 500}
        upstream = {
            s.labels["operation"]
            for s in families["wolkvox_upstream_seconds"].samples
            if s.labels.get("api") == "find_record"
        }
        assert {"co", "ec"} <= upstream  # (the process-wide histogram has earlier tests too)
        breakers = {
            s.labels["operation"]
            for s in families["wolkvox_breaker_state"].samples
            if s.labels["state"] == "closed" and s.value == 1
        }
        assert breakers == {"co", "ec"}
        for secret in ("demo-token-1", "demo-token-2", "/co", "/ec", "127.0.0.1"):
            assert secret not in page  # a key labels an operation, never its server or token
        _, card, _ = await command_answer(stack, "status")
        text = text_of(card["blocks"])
        assert "Colombia · " in text and "Ecuador · " in text and "500" in text
        assert "Ecuador · unavailable" in text


async def test_export_carries_each_records_operation(capsys: pytest.CaptureFixture[str]) -> None:
    async with two_countries() as (stack, _):
        _, card, _ = await command_answer(stack, f"find {BIG_PHONE}")
        _, _, _, url = await stack.press("export_csv", card)
        await stack.slack.wait_for_response(url, 2, timeout=30)
        [shared] = stack.slack.files
        data = shared["data"]
        assert isinstance(data, bytes)
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        header, records = rows[0], rows[1:]
        assert header[0] == "operation" and "tel1" in header and "campaign_id" in header
        assert [r[0] for r in records] == ["Colombia"] * 300 + ["Ecuador"] * 300
        assert all(len(r) == len(header) for r in records)
        await settle(stack)
        lines = [
            json.loads(line) for line in capsys.readouterr().out.splitlines() if '"audit"' in line
        ]
        [export] = [line for line in lines if line["surface"] == "export"]
        assert export["operation"] == "co,ec" and export["records"] == 600


async def test_the_search_modal_offers_the_operations_and_searches_the_one_picked() -> None:
    async with two_countries() as (stack, sim):
        await stack.global_shortcut()
        [opened] = await stack.slack.wait_for("views.open", ok=True)
        view = opened.response["view"]
        assert_valid_modal(opened.args["view"])
        [picker] = [b for b in view["blocks"] if b["block_id"] == "operation"]
        offered = [o["text"]["text"] for o in picker["element"]["options"]]
        assert offered == ["Todas las operaciones", "Colombia", "Ecuador"]
        await stack.submit(view, {"phone": SHOWCASE_PHONE, "operation": "ec"})
        await stack.slack.wait_for("views.update", ok=True)
        text = text_of(stack.slack.view(view["id"])["blocks"])
        assert "Ecuador · Encuesta NPS" in text and "Colombia" not in text
        await settle(stack)
        assert sim.find_record_calls() == 1  # Ecuador alone was asked


async def test_one_operation_has_no_operation_picker(stack: Stack) -> None:
    await stack.global_shortcut()
    [opened] = await stack.slack.wait_for("views.open", ok=True)
    assert "operation" not in {b.get("block_id") for b in opened.response["view"]["blocks"]}


@contextlib.asynccontextmanager
async def slow_ecuador() -> AsyncIterator[Stack]:
    """Ecuador's Wolkvox takes 3 s a call; the card waits 1 s for it once Colombia has
    answered."""
    async with (
        serve_simulator(SimulatorConfig(latency=3.0)) as (slow_url, _),
        two_countries(ec_url=f"{slow_url}/ec", WOLKVOX_STUCK_AFTER="1") as (stack, _),
    ):
        yield stack


async def test_a_slow_country_is_still_searching_then_the_card_is_completed() -> None:
    async with slow_ecuador() as stack:
        await stack.mention(f"find {SHOWCASE_PHONE}")
        # "searching…" posted, then replaced by the card without Ecuador, then by the whole
        updates = await stack.slack.wait_for("chat.update", 1, ok=True, timeout=10)
        first = text_of(updates[0].args["blocks"])
        assert "Colombia · Cobranza Q4" in first and "Ecuador ·" not in first
        assert "Ecuador (todavía buscando" in first
        completed = await stack.slack.wait_for("chat.update", 2, ok=True, timeout=15)
        assert completed[1].args["ts"] == updates[0].args["ts"]  # in place, not a new post
        whole = text_of(completed[1].args["blocks"])
        assert "Colombia · Cobranza Q4" in whole and "Ecuador · Encuesta NPS" in whole
        assert "todavía buscando" not in whole
        assert len(stack.slack.calls("chat.postMessage")) == 1  # the placeholder alone


async def test_a_slash_commands_answer_is_followed_by_the_whole_card() -> None:
    async with slow_ecuador() as stack:
        _, card, url = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        assert "Ecuador (todavía buscando" in text_of(card["blocks"])
        posts = await stack.slack.wait_for_response(url, 2, timeout=15)
        whole = text_of(posts[-1].body["blocks"])  # type: ignore[index]
        assert "Ecuador · Encuesta NPS" in whole and "todavía buscando" not in whole


# --- three countries on two servers ----------------------------------------------------------


@contextlib.asynccontextmanager
async def three_countries(
    *, ec_url: str | None = None, pa_url: str | None = None, **extra: str
) -> AsyncIterator[tuple[Stack, SimulatorStats, SimulatorStats]]:
    """Colombia and Ecuador on one Wolkvox server, Panamá on another (each its token); the
    stats of both servers beside the stack. `ec_url`/`pa_url` point a country elsewhere."""
    async with (
        serve_simulator(SimulatorConfig(latency=0.05)) as (pa_server, pa_sim),
        two_countries(
            ec_url=ec_url,
            WOLKVOX_OPERATIONS="co,ec,pa",
            WOLKVOX_PA_NAME="Panamá",
            WOLKVOX_PA_BASE_URL=pa_url or f"{pa_server}/pa",
            WOLKVOX_PA_TOKEN="demo-token-3",
            WOLKVOX_PA_PHONE_REGION="PA",
            WOLKVOX_PA_TIMEZONE="America/Panama",
            **extra,
        ) as (stack, sim),
    ):
        yield stack, sim, pa_sim[STATS]


async def test_three_countries_two_servers_and_one_with_no_records() -> None:
    async with three_countries() as (stack, sim, pa_sim):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        text = text_of(card["blocks"])
        assert "Colombia · Cobranza Q4" in text and "Ecuador · Encuesta NPS" in text
        assert "Sin registros en Panamá" in text and "Sin respuesta" not in text
        await settle(stack)
        assert sim.find_record_calls() == 2 and pa_sim.find_record_calls() == 1
        # Each server saw only its own operations' tokens.
        assert set(sim.daily_use) == {"demo-token-1", "demo-token-2"}
        assert set(pa_sim.daily_use) == {"demo-token-3"}


async def test_a_country_over_its_quota_is_skipped_and_named() -> None:
    async with three_countries(WOLKVOX_PA_DAILY_QUOTA="1") as (stack, sim, pa_sim):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE}")
        assert "Panamá" in text_of(card["blocks"])  # its one call of the day
        _, _, _, url = await stack.press("refresh_card", card)  # asks every country again
        [post] = await stack.slack.wait_for_response(url)
        text = text_of(post.body["blocks"])  # type: ignore[index]
        assert "Colombia · Cobranza Q4" in text and "Ecuador · Encuesta NPS" in text
        assert "Panamá (cuota de hoy agotada)" in text
        await settle(stack)
        assert pa_sim.find_record_calls() == 1  # never asked past its quota
        assert sim.find_record_calls() == 4


async def test_one_slow_one_down_the_card_then_the_slow_one_completes_it() -> None:
    down = f"http://127.0.0.1:{free_port()}"
    async with (
        serve_simulator(SimulatorConfig(latency=3.0)) as (slow_url, _),
        three_countries(ec_url=f"{slow_url}/ec", pa_url=f"{down}/pa", WOLKVOX_STUCK_AFTER="1") as (
            stack,
            _,
            _,
        ),
    ):
        await stack.mention(f"find {SHOWCASE_PHONE}")
        [partial] = await stack.slack.wait_for("chat.update", 1, ok=True, timeout=10)
        text = text_of(partial.args["blocks"])
        assert "Colombia · Cobranza Q4" in text and "Ecuador (todavía buscando)" in text
        assert "Panamá (" in text  # still retrying, or given up on: named either way
        completed = await stack.slack.wait_for("chat.update", 2, ok=True, timeout=15)
        whole = text_of(completed[1].args["blocks"])
        assert "Ecuador · Encuesta NPS" in whole and "todavía buscando" not in whole
        assert "Panamá (no disponible)" in whole  # still named: it did not answer


async def test_refresh_keeps_a_search_narrowed_to_one_country() -> None:
    async with two_countries() as (stack, _):
        _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE} en ec")
        _, _, _, url = await stack.press("refresh_card", card)
        [post] = await stack.slack.wait_for_response(url)
        text = text_of(post.body["blocks"])  # type: ignore[index]
        assert "Ecuador · Encuesta NPS" in text and "Colombia" not in text


async def test_the_campaign_picker_lists_each_countrys_campaigns_and_narrows_to_one() -> None:
    async with two_countries() as (stack, sim):
        await command_answer(stack, f"find {SHOWCASE_PHONE}")  # the campaign names are known
        await stack.global_shortcut()
        [opened] = await stack.slack.wait_for("views.open", ok=True)
        view = opened.response["view"]
        [picker] = [b for b in view["blocks"] if b["block_id"] == "campaign_id"]
        labels = {o["value"]: o["text"]["text"] for o in picker["element"]["options"]}
        assert labels["co:42"] == "Colombia · Cobranza Q4 · 42"
        assert labels["ec:78"] == "Ecuador · Encuesta NPS · 78"
        before = sim.find_record_calls()
        await stack.submit(view, {"phone": SHOWCASE_PHONE, "campaign_id": "ec:78"})
        await stack.slack.wait_for("views.update", ok=True)
        text = text_of(stack.slack.view(view["id"])["blocks"])
        assert "Ecuador · Encuesta NPS · campaña 78" in text and "Colombia" not in text
        await settle(stack)
        assert sim.find_record_calls() == before + 1  # Ecuador alone, campaign 78


async def test_one_operation_refuses_a_narrowing_to_another(stack: Stack) -> None:
    _, card, _ = await command_answer(stack, f"find {SHOWCASE_PHONE} en ec")
    assert "Este bot busca en una sola operación de Wolkvox: quita «en ec»" in text_of(
        card["blocks"]
    )

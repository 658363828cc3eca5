"""The Wolkvox simulator over real HTTP on loopback: endpoints, errors, quirks, limits, stats."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.cli import main as cli_main
from bot.devtools.wolkvox_sim import data as demo_data
from bot.devtools.wolkvox_sim import server as simulator
from bot.devtools.wolkvox_sim.data import RECORD_FIELDS, build_demo_data
from bot.devtools.wolkvox_sim.server import (
    CONFIG,
    DEMO_NUMBERS,
    DEMO_TOKENS,
    REJECTED_TOKENS,
    STATS,
    QueryKey,
    Refusal,
    SimulatorConfig,
    create_app,
    serve_simulator,
)

TOKEN = "tok-A"
FIND = "/api/v2/campaign.php"
INFO = "/api/v2/information.php"
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

Client = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[Client]]


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    clients: list[Client] = []

    async def make(**config: Any) -> Client:
        config.setdefault("latency", 0.0)
        client: Client = TestClient(
            TestServer(create_app(SimulatorConfig(**config)), host="127.0.0.1", port=0)
        )
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def find(
    client: Client,
    phone: str = "",
    customer_id: str = "",
    campaign_id: str = "",
    token: str | None = TOKEN,
    **extra: str,
) -> tuple[int, Any]:
    params = {
        "api": "find_record",
        "campaign_id": campaign_id,
        "customer_phone": phone,
        "customer_id": customer_id,
        **extra,
    }
    headers = {"wolkvox-token": token} if token is not None else {}
    resp = await client.get(FIND, params=params, headers=headers)
    return resp.status, await resp.json(content_type=None)


async def info(client: Client, api: str, token: str = TOKEN) -> tuple[int, Any]:
    resp = await client.get(INFO, params={"api": api}, headers={"wolkvox-token": token})
    return resp.status, await resp.json(content_type=None)


def app_of(client: Client) -> web.Application:
    assert client.app is not None
    return client.app


def error(status: int, name: str, msg: str) -> dict[str, Any]:
    return {"code": str(status), "error": name, "msg": msg, "data": None}


# --- find_record: answers ------------------------------------------------------------------------


async def test_showcase_customer_in_three_campaigns(make_client: MakeClient) -> None:
    client = await make_client()
    resp = await client.get(
        FIND,
        params={"api": "find_record", "campaign_id": "", "customer_phone": "3001234567"},
        headers={"wolkvox-token": TOKEN},
    )
    assert resp.status == 200
    assert resp.content_type == "application/json"
    raw = await resp.read()
    assert raw.isascii()  # PHP-style \uXXXX escapes
    body = json.loads(raw)
    assert body["code"] == "200"
    assert body["error"] is None
    assert body["msg"] == "6 records were found"
    records = body["data"]
    assert len(records) == 6
    assert {r["campaign_id"] for r in records} == {"42", "57", "78"}
    for rec in records:
        assert list(rec) == list(RECORD_FIELDS)
        assert all(isinstance(v, str) for v in rec.values())
        assert DATE_RE.match(rec["date"])
        assert rec["calls"].isdigit()
        assert rec["customer_name"] == "María Fernanda"
        assert rec["customer_id"] == "1020304050"
    results = {r["result"] for r in records}
    assert {"ANSWER", "Promesa de pago", "no-answer", "busy", "answer-machine"} <= results
    dates = [r["date"] for r in records]
    assert dates != sorted(dates, reverse=True)  # storage order, not newest first


async def test_search_by_customer_id_and_by_both(make_client: MakeClient) -> None:
    client = await make_client()
    _, by_phone = await find(client, phone="3001234567")
    status, by_id = await find(client, customer_id="1020304050")
    assert status == 200
    assert by_id["data"] == by_phone["data"]
    status, both = await find(client, phone="3001234567", customer_id="1020304050")
    assert status == 200 and both["data"] == by_phone["data"]
    status, mismatch = await find(client, phone="3001234567", customer_id="79845123")
    assert status == 404
    assert mismatch == error(404, "NOT FOUND", "0 records were found")


async def test_campaign_filter_and_empty_or_absent_campaign(make_client: MakeClient) -> None:
    client = await make_client()
    status, body = await find(client, phone="3001234567", campaign_id="42")
    assert status == 200
    assert body["msg"] == "3 records were found"
    assert {r["campaign_id"] for r in body["data"]} == {"42"}
    status, _ = await find(client, phone="3001234567", campaign_id="91")
    assert status == 404
    status, _ = await find(client, phone="3001234567", campaign_id="nope")
    assert status == 404
    resp = await client.get(
        FIND,
        params={"api": "find_record", "customer_phone": "3001234567"},
        headers={"wolkvox-token": TOKEN},
    )
    assert resp.status == 200
    assert len((await resp.json())["data"]) == 6


async def test_shared_phone_returns_two_customers(make_client: MakeClient) -> None:
    client = await make_client()
    status, body = await find(client, phone=demo_data.SHARED_PHONE)
    assert status == 200
    assert len({r["customer_id"] for r in body["data"]}) == 2
    assert any(r["tel3"] == demo_data.SHARED_PHONE for r in body["data"])


async def test_no_records_is_404_with_json(make_client: MakeClient) -> None:
    client = await make_client()
    resp = await client.get(
        FIND,
        params={"api": "find_record", "customer_phone": "3009999999"},
        headers={"wolkvox-token": TOKEN},
    )
    assert resp.status == 404
    assert resp.content_type == "application/json"
    assert await resp.json() == error(404, "NOT FOUND", "0 records were found")


async def test_code_as_int_quirk(make_client: MakeClient) -> None:
    client = await make_client()
    status, body = await find(client, phone="3000000200")
    assert status == 200
    assert body["code"] == 200 and isinstance(body["code"], int)
    assert body["msg"] == "2 records were found"
    # ordinary answers carry it as text, and some generated customers as an int too
    data = build_demo_data()
    generated_int = sorted(data.int_code_customer_ids - {"16789012"})[0]
    _, other = await find(client, customer_id=generated_int)
    assert other["code"] == 200


async def test_markup_record_survives_verbatim(make_client: MakeClient) -> None:
    client = await make_client()
    resp = await client.get(
        FIND,
        params={"api": "find_record", "customer_phone": "3000000666"},
        headers={"wolkvox-token": TOKEN},
    )
    raw = await resp.read()
    assert b"https:\\/\\/evil" in raw  # PHP escapes slashes
    (rec,) = json.loads(raw)["data"]
    assert len(rec["customer_name"]) == 5000
    assert "<!channel>" in rec["customer_name"] and "🦜" in rec["customer_name"]
    assert "<https://evil.example/phish|haz clic aquí>" in rec["customer_last_name"]
    assert "&amp;" in rec["opt1"] and "*opt1*" in rec["opt1"]
    assert "<!channel>" in rec["result"]


async def test_odd_fields_record(make_client: MakeClient) -> None:
    client = await make_client()
    status, body = await find(client, phone="3000000777")
    assert status == 200
    first, second, third = body["data"]
    assert first["calls"] == 4 and first["customer_id"] == 43123987
    assert first["tel2"] is None and first["notes"] is None
    assert first["vip"] is True and first["score"] == 9.5
    assert {"agent_id", "score", "vip", "notes", "skill"} <= set(first)
    assert second["date"] == "2026-01-10-15" and second["calls"] is None
    assert third["date"] == "ayer en la tarde"


async def test_big_answer_small_count_and_campaign_filter(make_client: MakeClient) -> None:
    client = await make_client(big_records=250)
    status, body = await find(client, phone=demo_data.BIG_PHONE)
    assert status == 200
    assert body["msg"] == "250 records were found"
    assert len(body["data"]) == 250
    assert len({r["campaign_id"] for r in body["data"]}) == 5
    assert all(list(r) == list(RECORD_FIELDS) for r in body["data"])
    assert len({r["conn_id"] for r in body["data"]}) == 250
    status, filtered = await find(client, phone=demo_data.BIG_PHONE, campaign_id="63")
    assert status == 200
    assert {r["campaign_id"] for r in filtered["data"]} == {"63"}
    status, _ = await find(client, phone=demo_data.BIG_PHONE, campaign_id="999")
    assert status == 404
    assert (250, "") in simulator._BIG_BODIES  # built once, then served from bytes


async def test_big_answer_default_is_60000_records(make_client: MakeClient) -> None:
    client = await make_client()
    resp = await client.get(
        FIND,
        params={"api": "find_record", "customer_phone": demo_data.BIG_PHONE},
        headers={"wolkvox-token": TOKEN},
    )
    assert resp.status == 200
    raw = await resp.read()
    assert 30e6 < len(raw) < 45e6
    assert raw.count(b'"conn_id"') == 60_000
    again = await client.get(
        FIND,
        params={"api": "find_record", "customer_phone": demo_data.BIG_PHONE},
        headers={"wolkvox-token": TOKEN},
    )
    assert await again.read() == raw


# --- find_record: faults by demo number ------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "msg", "kind"),
    [
        ("3000000403", "PLEASE VALIDATE TOKEN", Refusal.BAD_TOKEN),
        ("3000000429", "TOKEN LIMIT EXCEEDED", Refusal.TOKEN_LIMIT),
        ("3000000503", simulator.MSG_MAINTENANCE, Refusal.MAINTENANCE),
    ],
)
async def test_demo_numbers_for_403s(
    make_client: MakeClient, phone: str, msg: str, kind: Refusal
) -> None:
    client = await make_client()
    status, body = await find(client, phone=phone)
    assert status == 403
    assert body == error(403, "FORBIDDEN", msg)
    assert app_of(client)[STATS].refusals[kind] == 1
    status, _ = await find(client, phone="3001234567")  # the token itself still works
    assert status == 200


async def test_html_error_page(make_client: MakeClient) -> None:
    client = await make_client()
    resp = await client.get(
        FIND,
        params={"api": "find_record", "customer_phone": "3000000500"},
        headers={"wolkvox-token": TOKEN},
    )
    assert resp.status == 502
    assert resp.content_type == "text/html"
    assert (await resp.text()).startswith("<html>")


async def test_truncated_json(make_client: MakeClient) -> None:
    client = await make_client()
    resp = await client.get(
        FIND,
        params={"api": "find_record", "customer_phone": "3000000206"},
        headers={"wolkvox-token": TOKEN},
    )
    assert resp.status == 200
    assert resp.content_type == "application/json"
    raw = await resp.read()
    assert raw.startswith(b'{"code":"200"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)


async def test_slow_number_answers_504_after_slow_seconds(make_client: MakeClient) -> None:
    client = await make_client(slow_seconds=0.2)
    resp = await client.get(
        FIND,
        params={"api": "find_record", "customer_phone": "3000000408"},
        headers={"wolkvox-token": TOKEN},
    )
    assert resp.status == 504
    assert "Gateway Time-out" in await resp.text()


async def test_slow_number_frees_its_slot_when_the_client_gives_up(
    make_client: MakeClient,
) -> None:
    client = await make_client(slow_seconds=60)
    stats = app_of(client)[STATS]
    with pytest.raises(asyncio.TimeoutError):
        await client.get(
            FIND,
            params={"api": "find_record", "customer_phone": "3000000408"},
            headers={"wolkvox-token": TOKEN},
            timeout=aiohttp.ClientTimeout(total=0.3),
        )
    for _ in range(100):  # the server notices the closed connection within ~0.1 s
        if stats.in_flight[TOKEN] == 0:
            break
        await asyncio.sleep(0.05)
    assert stats.in_flight[TOKEN] == 0


# --- documented errors ------------------------------------------------------------------------


async def test_missing_parameters_is_400(make_client: MakeClient) -> None:
    client = await make_client()
    status, body = await find(client)
    assert status == 400
    assert body == error(400, "BAD REQUEST", "SOME PARAMETERS ARE REQUIRED")
    resp = await client.get(FIND, params={"api": "find_record"}, headers={"wolkvox-token": TOKEN})
    assert resp.status == 400
    assert app_of(client)[STATS].refusals[Refusal.MISSING_PARAMETERS] == 2


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (FIND, {"api": "find_records", "customer_phone": "3001234567"}),
        (FIND, {"customer_phone": "3001234567"}),
        (INFO, {"api": "campaign"}),
        (INFO, {}),
    ],
)
async def test_unknown_api_is_400(
    make_client: MakeClient, path: str, params: dict[str, str]
) -> None:
    client = await make_client()
    resp = await client.get(path, params=params, headers={"wolkvox-token": TOKEN})
    assert resp.status == 400
    assert await resp.json() == error(
        400, "BAD REQUEST", "THE API YOU WANT TO CONSULT DOES NOT EXIST"
    )
    assert app_of(client)[STATS].refusals[Refusal.UNKNOWN_API] == 1


async def test_missing_or_blank_token_is_401(make_client: MakeClient) -> None:
    client = await make_client()
    for token in (None, "", "   "):
        status, body = await find(client, phone="3001234567", token=token)
        assert status == 401
        assert body == error(401, "UNAUTHORIZED", "PLEASE ENTER THE WOLKVOX-TOKEN")
    resp = await client.get(INFO, params={"api": "campaigns"})
    assert resp.status == 401
    stats = app_of(client)[STATS]
    assert stats.refusals[Refusal.MISSING_TOKEN] == 4
    assert stats.queries == {}


async def test_rejected_tokens_by_default(make_client: MakeClient) -> None:
    client = await make_client()
    for token in REJECTED_TOKENS:
        status, body = await find(client, phone="3001234567", token=token)
        assert status == 403
        assert body == error(403, "FORBIDDEN", "PLEASE VALIDATE TOKEN")
    status, _ = await find(client, phone="3001234567", token="anything-else")
    assert status == 200


async def test_configured_tokens_only(make_client: MakeClient) -> None:
    client = await make_client(tokens=frozenset({"good"}))
    status, _ = await find(client, phone="3001234567", token="good")
    assert status == 200
    status, body = await find(client, phone="3001234567", token=TOKEN)
    assert status == 403 and body["msg"] == "PLEASE VALIDATE TOKEN"
    status, _ = await info(client, "campaigns", token="other")
    assert status == 403
    assert app_of(client)[STATS].refusals[Refusal.BAD_TOKEN] == 2


async def test_maintenance_for_every_endpoint_and_switchable(make_client: MakeClient) -> None:
    client = await make_client(maintenance=True)
    status, body = await find(client, phone="3001234567")
    assert status == 403
    assert body == error(403, "FORBIDDEN", simulator.MSG_MAINTENANCE)
    for api in ("campaigns", "token_info"):
        status, _ = await info(client, api)
        assert status == 403
    app_of(client)[CONFIG].maintenance = False
    status, _ = await find(client, phone="3001234567")
    assert status == 200
    assert app_of(client)[STATS].refusals[Refusal.MAINTENANCE] == 3


# --- limits -------------------------------------------------------------------------------------


async def test_third_simultaneous_request_is_refused(make_client: MakeClient) -> None:
    client = await make_client(latency=0.5)
    results = await asyncio.gather(*(find(client, phone="3001234567") for _ in range(3)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 200, 403]
    refused = next(body for status, body in results if status == 403)
    assert refused == error(
        403, "FORBIDDEN", "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)"
    )
    stats = app_of(client)[STATS]
    assert stats.max_concurrent[TOKEN] == 3
    assert stats.refusals[Refusal.SIMULTANEOUS] == 1
    assert stats.in_flight[TOKEN] == 0
    assert stats.daily_use[TOKEN] == 2  # the refused call does not count


async def test_simultaneous_limit_is_per_token_and_configurable(make_client: MakeClient) -> None:
    client = await make_client(latency=0.5)
    calls = [find(client, phone="3001234567", token=t) for t in ("a", "a", "b", "b")]
    assert [s for s, _ in await asyncio.gather(*calls)] == [200] * 4
    strict = await make_client(latency=0.5, simultaneous_limit=1)
    results = await asyncio.gather(*(info(strict, "campaigns") for _ in range(2)))
    assert sorted(s for s, _ in results) == [200, 403]
    refused = next(body for s, body in results if s == 403)
    assert refused["msg"] == "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (1)"


async def test_sequential_calls_are_never_refused(make_client: MakeClient) -> None:
    client = await make_client(latency=0.01)
    for _ in range(5):
        status, _ = await find(client, phone="3001234567")
        assert status == 200
    stats = app_of(client)[STATS]
    assert stats.max_concurrent[TOKEN] == 1
    assert stats.max_concurrent_overall == 1
    assert not stats.refusals


async def test_daily_limit_counts_every_endpoint(make_client: MakeClient) -> None:
    client = await make_client(daily_limit=3)
    assert (await find(client, phone="3001234567"))[0] == 200
    assert (await info(client, "campaigns"))[0] == 200
    status, tinfo = await info(client, "token_info")
    assert status == 200
    assert tinfo["data"]["token_use_today"] == "3"
    assert tinfo["data"]["available_consumption_options"] == "0"
    status, body = await find(client, phone="3001234567")
    assert status == 403
    assert body == error(403, "FORBIDDEN", "TOKEN LIMIT EXCEEDED")
    status, _ = await find(client, phone="3001234567", token="other")
    assert status == 200  # per token
    stats = app_of(client)[STATS]
    assert stats.refusals[Refusal.TOKEN_LIMIT] == 1
    stats.new_day()
    assert (await find(client, phone="3001234567"))[0] == 200


# --- information.php ----------------------------------------------------------------------------


async def test_campaigns(make_client: MakeClient) -> None:
    client = await make_client()
    status, body = await info(client, "campaigns")
    assert status == 200
    assert body["code"] == "200" and body["error"] is None
    items = body["data"]
    assert [i["campaign_name"] for i in items] == [
        "Cobranza Q4",
        "Ventas Hogar",
        "Retención Móvil",
        "Encuesta NPS",
        "Soporte Técnico",
    ]
    keys = {
        "campaign_id",
        "campaign_name",
        "campaign_description",
        "type_campaign",
        "status",
        "records",
        "speed",
        "dial_mode",
        "last_use",
        "recycled",
        "turbo_dial",
        "skill_id",
    }
    for item in items:
        assert set(item) == keys
        assert item["campaign_id"].isdigit()
        assert item["type_campaign"] in {"predictive", "preview"}
        assert item["status"] in {"Started", "Stopped"}
        assert int(item["records"]) > 0
        assert DATE_RE.match(item["last_use"])


async def test_token_info_counts_itself_and_all_tokens(make_client: MakeClient) -> None:
    client = await make_client()
    await find(client, phone="3001234567", token="other")
    await find(client, phone="3001234567")
    status, body = await info(client, "token_info")
    assert status == 200
    assert body["data"] == {
        "token_limit": str(simulator.REPORTED_TOKEN_LIMIT),
        "token_use_today": "2",
        "all_token_today": "3",
        "available_consumption_options": str(simulator.REPORTED_TOKEN_LIMIT - 2),
    }
    limited = await make_client(daily_limit=10)
    _, body = await info(limited, "token_info")
    assert body["data"]["token_limit"] == "10"


# --- stats --------------------------------------------------------------------------------------


async def test_stats_record_requests_tokens_and_queries(make_client: MakeClient) -> None:
    client = await make_client()
    a, b = "secret-token-a", "secret-token-b"
    await find(client, phone="3001234567", token=a)
    await find(client, phone="3001234567", token=a)
    await find(client, customer_id="1020304050", campaign_id="42", token=b)
    await info(client, "campaigns", token=b)
    await find(client, phone="3001234567", token=None)
    stats = app_of(client)[STATS]
    assert stats.total_requests == 5
    assert stats.requests_per_token == {a: 2, b: 2}
    assert stats.queries == {
        QueryKey("find_record", "", "3001234567", ""): 2,
        QueryKey("find_record", "42", "", "1020304050"): 1,
        QueryKey("campaigns"): 1,
    }
    assert stats.find_record_calls() == 3
    assert stats.refusals == {Refusal.MISSING_TOKEN: 1}
    assert "secret" not in repr(stats)
    assert "total_requests=5" in repr(stats)


# --- demo data, serving, CLI -------------------------------------------------------------------


def test_demo_data_is_deterministic_and_colombian() -> None:
    one, two = build_demo_data(), build_demo_data()
    assert one == two
    assert len(one.records) > 500
    mobiles = [p for p in one.by_phone if p.startswith("3")]
    assert all(len(p) == 10 and p.isdigit() for p in mobiles)
    assert {str(r["city"]) for r in one.records} >= {"Bogotá", "Medellín", "Cali"}
    assert {str(r["campaign_id"]) for r in one.records} == set(demo_data.CAMPAIGN_IDS)
    ordinary = [r for r in one.records if all(isinstance(v, str) for v in r.values())]
    assert all(tuple(r) == RECORD_FIELDS for r in ordinary if r["tel1"] != "3000000777")
    campaigns_of: dict[str, set[str]] = {}
    for r in one.records:
        campaigns_of.setdefault(str(r["customer_id"]), set()).add(str(r["campaign_id"]))
    assert sum(len(c) > 1 for c in campaigns_of.values()) > 50


def test_demo_numbers_are_documented() -> None:
    doc = simulator.__doc__ or ""
    for number in DEMO_NUMBERS:
        assert number in doc
    assert len(DEMO_NUMBERS) >= 14


async def test_serve_simulator_on_loopback() -> None:
    async with (
        serve_simulator(SimulatorConfig(latency=0), port=0) as (base_url, app),
        aiohttp.ClientSession() as session,
    ):
        assert base_url.startswith("http://127.0.0.1:")
        url = f"{base_url}{FIND}?api=find_record&customer_phone=3001234567"
        async with session.get(url, headers={"wolkvox-token": "demo-token-1"}) as resp:
            assert resp.status == 200
        assert app[STATS].total_requests == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--latency", "-1"],
        ["--port", "70000"],
        ["--simultaneous-limit", "0"],
        ["--daily-limit", "-3"],
    ],
)
def test_simulator_command_rejects_bad_arguments(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main(["simulator", *args])
    assert exc.value.code == 2


def test_simulator_command_reports_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli_main(["simulator", "--port", str(port)]) == 1
    assert "cannot listen" in capsys.readouterr().err


def test_simulator_command_serves_until_interrupted() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "simulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert match, banner
        for number in DEMO_NUMBERS:
            assert number in banner
        base_url = match.group(0)

        async def probe() -> tuple[int, int]:
            async with aiohttp.ClientSession() as session:
                url = f"{base_url}{FIND}?api=find_record&customer_phone=3001234567"
                headers = {"wolkvox-token": sorted(DEMO_TOKENS)[0]}
                async with session.get(url, headers=headers) as good:
                    good_status = good.status
                async with session.get(url, headers={"wolkvox-token": "not-a-demo"}) as bad:
                    return good_status, bad.status

        assert asyncio.run(probe()) == (200, 403)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_shift_days_moves_the_demo_dates_and_nothing_else(make_client: MakeClient) -> None:
    from datetime import datetime, timedelta

    fixed = await make_client()
    moved = await make_client(shift_days=10)
    _, a = await find(fixed, "3001234567")
    _, b = await find(moved, "3001234567")
    assert len(a["data"]) == len(b["data"]) == 6
    for before, after in zip(a["data"], b["data"], strict=True):
        shift = datetime.fromisoformat(after["date"]) - datetime.fromisoformat(before["date"])
        assert shift == timedelta(days=10)
        assert {k: v for k, v in before.items() if k != "date"} == {
            k: v for k, v in after.items() if k != "date"
        }
    # "año-mes-día-Hora" and unparseable dates are kept as Wolkvox wrote them.
    _, odd_fixed = await find(fixed, "3000000777")
    _, odd_moved = await find(moved, "3000000777")
    odd = [r["date"] for r in odd_fixed["data"] if not DATE_RE.match(r["date"])]
    assert odd and odd == [r["date"] for r in odd_moved["data"] if not DATE_RE.match(r["date"])]


def test_days_to_today_brings_the_reference_to_today() -> None:
    from datetime import date, timedelta

    assert simulator.REFERENCE_TIME.date() + timedelta(days=simulator.days_to_today()) == (
        date.today()
    )

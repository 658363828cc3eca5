"""A local stand-in for Wolkvox's documented read endpoints, for the demo, the tests and benchmarks.

It answers like the original (see docs/wolkvox-api.md) so that the bot's client, guard and
cards can be exercised over real HTTP without an account:

- ``GET /api/v2/campaign.php?api=find_record&campaign_id=&customer_phone=&customer_id=``
- ``GET /api/v2/information.php?api=campaigns`` and ``?api=token_info``

with the ``wolkvox-token`` header. Every call holds one of its token's "simultaneous" slots for
``latency`` seconds; a call beyond ``simultaneous_limit`` in flight on one token is refused with
Wolkvox's 403 ``EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)``, so a broken guard shows.
Every accepted call counts toward the token's daily use (``token_info`` shows it); over
``daily_limit`` the answer is 403 ``TOKEN LIMIT EXCEEDED``. ``app[STATS]`` records what happened.

Quirks reproduced: ``code`` is text in most answers and an int in some (the customer of
3000000200 and every tenth generated customer); no records → HTTP 404 with a JSON body; an empty
``campaign_id`` searches all campaigns; phone and id together must both match; records come in
storage order, not sorted by date; bodies are encoded as PHP does (``\\uXXXX``, ``\\/``).

Tokens: with no ``tokens`` configured any non-empty token is accepted except ``REJECTED_TOKENS``
("revoked", "invalid"); ``python -m bot simulator`` accepts ``DEMO_TOKENS`` by default.

Demo numbers (``customer_phone`` unless noted; also in ``DEMO_NUMBERS``):

==============  =================================================================================
3001234567      María Fernanda Gómez Restrepo: 6 records in 3 campaigns (Cobranza Q4, Ventas Hogar,
                Encuesta NPS); latest "Promesa de pago" in Cobranza Q4
1020304050      ``customer_id`` of the same customer (``find id 1020304050``)
3104567890      a phone two customers share (tel1 of one, tel3 of another), 2 campaigns each
3009999999      no records: HTTP 404
3000000403      403 PLEASE VALIDATE TOKEN (token rejected)
3000000429      403 TOKEN LIMIT EXCEEDED (daily quota spent)
3000000503      403 maintenance (API temporarily disabled)
3000000408      slow: holds the call for ``slow_seconds`` (default 65 s, past Wolkvox's 60 s and the
                client's timeout), then a 504 HTML page; gives up early when the client leaves
3000000500      an HTML error page with HTTP 502 (a proxy in front of Wolkvox)
3000000206      HTTP 200 with truncated JSON
3000000666      a record full of markup: ``<!channel>``, ``<https://evil|click>``, ``*bold*``,
                ``&amp;``, emoji, a 5,000-character name (escaping tests)
3000060000      the big answer: ``big_records`` records (default 60,000, ~38 MB), built once per
                process on first use and served from cached bytes
3000000200      an answer whose ``code`` is the integer 200
3000000777      records with undocumented extra fields, int/float/bool/null values, a date as
                "año-mes-día-Hora" (2026-01-10-15) and an unparseable date
==============  =================================================================================

Campaign ids: 42 Cobranza Q4, 57 Ventas Hogar, 63 Retención Móvil, 78 Encuesta NPS,
91 Soporte Técnico. Dates lie in the six weeks before 2026-01-19 09:30 (``REFERENCE_TIME``);
``shift_days`` moves them (the CLI and the demo move them up to today, see ``days_to_today``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, NamedTuple

from aiohttp import web

from bot.devtools.wolkvox_sim import data as demo_data
from bot.devtools.wolkvox_sim.data import CAMPAIGN_IDS, REFERENCE_TIME, DemoData

__all__ = [
    "CONFIG",
    "DEMO_NUMBERS",
    "DEMO_TOKENS",
    "REFERENCE_TIME",
    "REJECTED_TOKENS",
    "STATS",
    "QueryKey",
    "Refusal",
    "SimulatorConfig",
    "SimulatorStats",
    "create_app",
    "run_until_stopped",
    "serve_simulator",
]

DEMO_TOKENS: Final = frozenset({"demo-token-1", "demo-token-2", "demo-token-3", "demo-token-4"})
REJECTED_TOKENS: Final = frozenset({"revoked", "invalid"})

SHOWCASE_PHONE: Final = demo_data.SHOWCASE_PHONE
SHOWCASE_CUSTOMER_ID: Final = demo_data.SHOWCASE_CUSTOMER_ID
NO_RECORDS_PHONE: Final = "3009999999"
REJECTED_PHONE: Final = "3000000403"
QUOTA_PHONE: Final = "3000000429"
MAINTENANCE_PHONE: Final = "3000000503"
SLOW_PHONE: Final = "3000000408"
HTML_ERROR_PHONE: Final = "3000000500"
TRUNCATED_PHONE: Final = "3000000206"
MARKUP_PHONE: Final = demo_data.MARKUP_PHONE
BIG_PHONE: Final = demo_data.BIG_PHONE
INT_CODE_PHONE: Final = demo_data.INT_CODE_PHONE
ODD_FIELDS_PHONE: Final = demo_data.ODD_FIELDS_PHONE
SHARED_PHONE: Final = demo_data.SHARED_PHONE

DEMO_NUMBERS: Final[dict[str, str]] = {
    SHOWCASE_PHONE: "customer in 3 campaigns (6 records, latest: Promesa de pago)",
    SHOWCASE_CUSTOMER_ID: "customer id (find id) of the same customer",
    SHARED_PHONE: "phone shared by two customers",
    NO_RECORDS_PHONE: "no records (HTTP 404)",
    REJECTED_PHONE: "token rejected (403 PLEASE VALIDATE TOKEN)",
    QUOTA_PHONE: "daily quota spent (403 TOKEN LIMIT EXCEEDED)",
    MAINTENANCE_PHONE: "maintenance (403)",
    SLOW_PHONE: "slow: answers after 65 s, past the timeout",
    HTML_ERROR_PHONE: "HTML error page (HTTP 502)",
    TRUNCATED_PHONE: "truncated JSON",
    MARKUP_PHONE: "record full of markup, emoji and a 5,000-char name",
    BIG_PHONE: "the big answer: 60,000 records (~38 MB)",
    INT_CODE_PHONE: 'answer with "code" as an int',
    ODD_FIELDS_PHONE: "records with extra fields, int/null values, odd dates",
}

MSG_NO_API: Final = "THE API YOU WANT TO CONSULT DOES NOT EXIST"
MSG_PARAMS: Final = "SOME PARAMETERS ARE REQUIRED"
MSG_NO_TOKEN: Final = "PLEASE ENTER THE WOLKVOX-TOKEN"
MSG_BAD_TOKEN: Final = "PLEASE VALIDATE TOKEN"
MSG_LIMIT: Final = "TOKEN LIMIT EXCEEDED"
MSG_SIMULTANEOUS: Final = "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN ({limit})"
MSG_MAINTENANCE: Final = "THE API IS TEMPORARILY DISABLED FOR MAINTENANCE, PLEASE TRY AGAIN LATER"
MSG_NOT_FOUND: Final = "0 records were found"
MSG_DIALLED: Final = "Dial has been successful"
# Wolkvox's docs show no refusal of a dial; these are the simulator's (bot.wolkvox.errors reads
# such words): an agent whose Agent is closed, an extension the operation does not have.
MSG_AGENT_NOT_LOGGED_IN: Final = "The agent is not logged in"
MSG_AGENT_UNKNOWN: Final = "The agent does not exist"

# The demo operation's agents (information.php?api=agents, agentbox.php?api=dial): extension →
# (name, SSO user, enabled, logged in to Wolkvox Agent). DIAL_HANGS_EXTENSION's dial never
# answers (held `slow_seconds`), for "we do not know whether Wolkvox dialled".
DEMO_AGENTS: Final[dict[str, tuple[str, str, bool, bool]]] = {
    "12004": ("Ana Agente", "ana.agente@example.com", True, True),
    "12005": ("Bruno Cobranzas", "bruno@example.com", True, False),
    "12006": ("Carla Retirada", "carla@example.com", False, False),
    "12007": ("Elena Turno Noche", "", True, True),  # no SSO user: only a self-link finds her
    "12009": ("Dario Lento", "dario@example.com", True, True),
}
DIAL_HANGS_EXTENSION: Final = "12009"

REPORTED_TOKEN_LIMIT: Final = 5000  # what token_info shows when no daily_limit is enforced

_HTML_502: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_HTML_504: Final = _HTML_502.replace(b"502 Bad Gateway", b"504 Gateway Time-out")
_JSON: Final = "application/json"


class Refusal(StrEnum):
    """Kinds of error answers the simulator gives (keys of `SimulatorStats.refusals`)."""

    MISSING_TOKEN = "missing_token"  # 401
    BAD_TOKEN = "bad_token"  # 403 PLEASE VALIDATE TOKEN
    TOKEN_LIMIT = "token_limit"  # 403 TOKEN LIMIT EXCEEDED
    SIMULTANEOUS = "simultaneous"  # 403 EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS
    MAINTENANCE = "maintenance"  # 403 maintenance
    UNKNOWN_API = "unknown_api"  # 400 THE API YOU WANT TO CONSULT DOES NOT EXIST
    MISSING_PARAMETERS = "missing_parameters"  # 400 SOME PARAMETERS ARE REQUIRED


class QueryKey(NamedTuple):
    """One distinct query, as counted in `SimulatorStats.queries`."""

    api: str
    campaign_id: str = ""
    customer_phone: str = ""
    customer_id: str = ""


@dataclass
class SimulatorConfig:
    """What the simulator enforces; mutable so a test can flip `maintenance` while it runs."""

    latency: float = 0.05  # seconds each call holds its slot
    tokens: AbstractSet[str] = frozenset()  # empty: any non-empty token but REJECTED_TOKENS
    daily_limit: int | None = None  # calls per token per day; None: not enforced
    simultaneous_limit: int = 2
    maintenance: bool = False
    big_records: int = 60_000
    slow_seconds: float = 65.0  # how long the slow demo number takes
    # Days added to the demo records' dates: 0 keeps them fixed (tests); the demo and
    # `python -m bot simulator` move them so the latest contact is recent (`days_to_today()`).
    shift_days: int = 0


@dataclass(repr=False)
class SimulatorStats:
    """What happened, for tests and benchmarks. Keys are the raw tokens: never log this object."""

    total_requests: int = 0
    requests_per_token: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    max_concurrent: Counter[str] = field(default_factory=Counter)  # peak, refused calls included
    refusals: Counter[Refusal] = field(default_factory=Counter)
    queries: Counter[QueryKey] = field(default_factory=Counter)  # accepted calls, per query
    daily_use: Counter[str] = field(default_factory=Counter)  # what counts toward daily_limit
    # Each dial that reached agentbox.php, in arrival order: (monotonic time, extension, phone,
    # the operation's path or "")
    dials: list[tuple[float, str, str, str]] = field(default_factory=list)

    @property
    def max_concurrent_overall(self) -> int:
        """The highest number of calls seen in flight on any single token."""
        return max(self.max_concurrent.values(), default=0)

    def find_record_calls(self) -> int:
        """Accepted `find_record` calls, all queries together."""
        return sum(n for key, n in self.queries.items() if key.api == "find_record")

    def new_day(self) -> None:
        """Roll the day over: daily use starts again from zero, as at midnight on Wolkvox."""
        self.daily_use.clear()

    def __repr__(self) -> str:  # no tokens in a repr
        return (
            f"SimulatorStats(total_requests={self.total_requests}, "
            f"tokens={len(self.requests_per_token)}, "
            f"max_concurrent={self.max_concurrent_overall}, refusals={dict(self.refusals)})"
        )


STATS: Final = web.AppKey("wolkvox_simulator_stats", SimulatorStats)
CONFIG: Final = web.AppKey("wolkvox_simulator_config", SimulatorConfig)


def _encode(payload: object) -> bytes:
    """JSON as Wolkvox's PHP writes it: ASCII with \\uXXXX escapes and escaped slashes."""
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def _json(status: int, body: bytes) -> web.Response:
    return web.Response(status=status, body=body, content_type=_JSON, charset="utf-8")


_ERROR_NAMES: Final = {400: "BAD REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT FOUND"}


@functools.lru_cache(maxsize=32)
def _error_body(status: int, msg: str) -> bytes:
    return _encode({"code": str(status), "error": _ERROR_NAMES[status], "msg": msg, "data": None})


def _error(status: int, msg: str) -> web.Response:
    return _json(status, _error_body(status, msg))


class _BigCache:
    """The big answer's bytes per campaign filter, built once in a thread on first use."""

    def __init__(self) -> None:
        self._bodies: dict[tuple[int, str], bytes] = {}
        self._lock = asyncio.Lock()

    async def get(self, count: int, campaign_id: str) -> bytes:
        key = (count, campaign_id)
        body = self._bodies.get(key) or _BIG_BODIES.get(key)
        if body is not None:
            return body
        async with self._lock:
            body = _BIG_BODIES.get(key)
            if body is None:
                body = await asyncio.to_thread(demo_data.big_answer_body, count, campaign_id)
                _BIG_BODIES[key] = body
            self._bodies[key] = body
            return body


_BIG: Final = web.AppKey("wolkvox_simulator_big", _BigCache)

# Shared by every app in the process (tests build many apps): the ~38 MB is built once.
_BIG_BODIES: dict[tuple[int, str], bytes] = {}


@functools.cache
def _demo_data() -> DemoData:
    return demo_data.build_demo_data()


def days_to_today() -> int:
    """How many days the demo data's fixed "now" (REFERENCE_TIME) lies behind today."""
    return max(0, (datetime.now().date() - REFERENCE_TIME.date()).days)


def _shifted(record: dict[str, Any], days: int) -> dict[str, Any]:
    """`record` with its date moved by `days` (a date in another form stays as it is)."""
    raw = record.get("date")
    try:
        when = datetime.strptime(str(raw), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return record
    return {**record, "date": (when + timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")}


# Each demo operation's campaigns, when the simulator serves several (a path each); any other
# path serves every campaign.
OPERATION_CAMPAIGNS: dict[str, frozenset[str]] = {
    "co": frozenset({"42", "57", "63"}),
    "ec": frozenset({"78", "91"}),
    "pa": frozenset({"63"}),
}


@functools.lru_cache(maxsize=4096)
def find_body(
    campaign_id: str, phone: str, customer_id: str, shift_days: int = 0, operation: str = ""
) -> bytes | None:
    """The answer body for a search, or None when nothing matches (→ 404). Data is fixed."""
    data = _demo_data()
    if phone and customer_id:
        ids = set(data.by_customer_id.get(customer_id, ()))
        positions: tuple[int, ...] = tuple(p for p in data.by_phone.get(phone, ()) if p in ids)
    elif phone:
        positions = data.by_phone.get(phone, ())
    else:
        positions = data.by_customer_id.get(customer_id, ())
    records = [data.records[p] for p in positions]
    if operation in OPERATION_CAMPAIGNS:
        records = [r for r in records if str(r["campaign_id"]) in OPERATION_CAMPAIGNS[operation]]
    if campaign_id:
        records = [r for r in records if str(r["campaign_id"]) == campaign_id]
    if not records:
        return None
    if shift_days:
        records = [_shifted(r, shift_days) for r in records]
    int_code = str(records[0]["customer_id"]) in data.int_code_customer_ids
    return _encode(
        {
            "code": 200 if int_code else "200",
            "error": None,
            "msg": f"{len(records)} records were found",
            "data": records,
        }
    )


def _truncated_body() -> bytes:
    full = find_body("", SHOWCASE_PHONE, "")
    assert full is not None
    return full[: len(full) * 3 // 5]


async def _slow(request: web.Request, seconds: float) -> web.Response:
    """Hold the call like an overloaded Wolkvox; stop early once the client has gone."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        transport = request.transport
        if transport is None or transport.is_closing():
            break
        await asyncio.sleep(min(0.1, left))
    return web.Response(status=504, body=_HTML_504, content_type="text/html")


async def _find_record(request: web.Request) -> web.StreamResponse:
    app = request.app
    cfg = app[CONFIG]
    q = request.query
    campaign_id = q.get("campaign_id", "").strip()
    phone = q.get("customer_phone", "").strip()
    customer_id = q.get("customer_id", "").strip()
    if not phone and not customer_id:
        app[STATS].refusals[Refusal.MISSING_PARAMETERS] += 1
        return _error(400, MSG_PARAMS)
    app[STATS].queries[QueryKey("find_record", campaign_id, phone, customer_id)] += 1

    if phone == REJECTED_PHONE:
        app[STATS].refusals[Refusal.BAD_TOKEN] += 1
        return _error(403, MSG_BAD_TOKEN)
    if phone == QUOTA_PHONE:
        app[STATS].refusals[Refusal.TOKEN_LIMIT] += 1
        return _error(403, MSG_LIMIT)
    if phone == MAINTENANCE_PHONE:
        app[STATS].refusals[Refusal.MAINTENANCE] += 1
        return _error(403, MSG_MAINTENANCE)
    if phone == SLOW_PHONE:
        return await _slow(request, cfg.slow_seconds)
    if phone == HTML_ERROR_PHONE:
        return web.Response(status=502, body=_HTML_502, content_type="text/html")
    if phone == TRUNCATED_PHONE:
        return _json(200, _truncated_body())
    if phone == BIG_PHONE and (not campaign_id or campaign_id in CAMPAIGN_IDS):
        body = await app[_BIG].get(cfg.big_records, campaign_id)
        return _json(200, body)

    operation = request.match_info.get("operation", "")
    found = find_body(campaign_id, phone, customer_id, cfg.shift_days, operation)
    if found is None:
        return _json(404, _error_body(404, MSG_NOT_FOUND))
    return _json(200, found)


@functools.cache
def campaigns_body() -> bytes:
    items = _demo_data().campaign_items()
    msg = f"{len(items)} records were found"
    return _encode({"code": "200", "error": None, "msg": msg, "data": items})


def _campaigns(request: web.Request) -> web.Response:
    request.app[STATS].queries[QueryKey("campaigns")] += 1
    return _json(200, campaigns_body())


def _token_info(request: web.Request, token: str) -> web.Response:
    app = request.app
    stats, cfg = app[STATS], app[CONFIG]
    stats.queries[QueryKey("token_info")] += 1
    limit = cfg.daily_limit if cfg.daily_limit is not None else REPORTED_TOKEN_LIMIT
    used = stats.daily_use[token]
    data = {
        "token_limit": str(limit),
        "token_use_today": str(used),
        "all_token_today": str(sum(stats.daily_use.values())),
        "available_consumption_options": str(max(0, limit - used)),
    }
    return _json(200, _encode({"code": "200", "error": None, "msg": "OK", "data": data}))


Endpoint = Callable[[web.Request, str], Awaitable[web.StreamResponse]]


def _token_accepted(cfg: SimulatorConfig, token: str) -> bool:
    if cfg.tokens:
        return token in cfg.tokens
    return token not in REJECTED_TOKENS


async def _guarded(
    request: web.Request, endpoint: Endpoint, *, counts: bool = True
) -> web.StreamResponse:
    """Authenticate, count, hold a simultaneous slot for `latency`, then answer. `counts`
    False: an agent v2 call, which Wolkvox does not count against the day's quota."""
    app = request.app
    cfg, stats = app[CONFIG], app[STATS]
    stats.total_requests += 1
    token = request.headers.get("wolkvox-token", "").strip()
    if not token:
        stats.refusals[Refusal.MISSING_TOKEN] += 1
        return _error(401, MSG_NO_TOKEN)
    stats.requests_per_token[token] += 1
    if cfg.maintenance:
        stats.refusals[Refusal.MAINTENANCE] += 1
        return _error(403, MSG_MAINTENANCE)
    if not _token_accepted(cfg, token):
        stats.refusals[Refusal.BAD_TOKEN] += 1
        return _error(403, MSG_BAD_TOKEN)

    in_flight = stats.in_flight[token] + 1
    if in_flight > stats.max_concurrent[token]:
        stats.max_concurrent[token] = in_flight
    if in_flight > cfg.simultaneous_limit:
        stats.refusals[Refusal.SIMULTANEOUS] += 1
        return _error(403, MSG_SIMULTANEOUS.format(limit=cfg.simultaneous_limit))
    stats.in_flight[token] = in_flight
    try:
        if cfg.latency > 0:
            await asyncio.sleep(cfg.latency)
        if not counts:
            return await endpoint(request, token)
        if cfg.daily_limit is not None and stats.daily_use[token] >= cfg.daily_limit:
            stats.refusals[Refusal.TOKEN_LIMIT] += 1
            return _error(403, MSG_LIMIT)
        stats.daily_use[token] += 1
        return await endpoint(request, token)
    finally:
        stats.in_flight[token] -= 1


async def _unknown_api(request: web.Request, token: str) -> web.Response:
    request.app[STATS].refusals[Refusal.UNKNOWN_API] += 1
    return _error(400, MSG_NO_API)


async def _campaign_endpoint(request: web.Request, token: str) -> web.StreamResponse:
    if request.query.get("api") == "find_record":
        return await _find_record(request)
    return await _unknown_api(request, token)


async def _information_endpoint(request: web.Request, token: str) -> web.StreamResponse:
    api = request.query.get("api")
    if api == "campaigns":
        return _campaigns(request)
    if api == "token_info":
        return _token_info(request, token)
    if api == "agents":
        return _agents(request)
    return await _unknown_api(request, token)


def _agents(request: web.Request) -> web.Response:
    request.app[STATS].queries[QueryKey("agents")] += 1
    wanted = request.query.get("agent", "").strip()
    items = [
        {
            "agent_id": extension,
            "agent_name": name,
            "agent_dni": "",
            "agent_status": "available" if logged_in else "offline",
            "last_use": "",
            "agent_sso": sso,
            "enabled": "1" if enabled else "0",
        }
        for extension, (name, sso, enabled, logged_in) in DEMO_AGENTS.items()
        if not wanted or wanted == extension
    ]
    body = {"code": "", "error": None, "msg": f"{len(items)} records were found", "data": items}
    return _json(200, _encode(body))


async def _dial_endpoint(request: web.Request, token: str) -> web.StreamResponse:
    """agentbox.php?api=dial: the agent's Agent dials; refused for an agent not logged in or
    an extension the operation does not have; the hanging extension never answers."""
    app = request.app
    q = request.query
    if q.get("api") != "dial":
        return await _unknown_api(request, token)
    extension = q.get("agent_id", "").strip()
    phone = q.get("customer_phone", "").strip()
    if not extension or not phone:
        app[STATS].refusals[Refusal.MISSING_PARAMETERS] += 1
        return _error(400, MSG_PARAMS)
    operation = request.match_info.get("operation", "")
    app[STATS].dials.append((time.monotonic(), extension, phone, operation))
    agent = DEMO_AGENTS.get(extension)
    if agent is None or not agent[2]:
        return _error(400, MSG_AGENT_UNKNOWN)
    if not agent[3]:
        return _error(400, MSG_AGENT_NOT_LOGGED_IN)
    if extension == DIAL_HANGS_EXTENSION:
        return await _slow(request, app[CONFIG].slow_seconds)
    conn_id = f"{time.time():.2f}".replace(".", "") + "." + str(len(app[STATS].dials))
    body = {"code": "200", "error": None, "msg": MSG_DIALLED, "data": {"conn_id": conn_id}}
    return _json(200, _encode(body))


async def _agentbox_php(request: web.Request) -> web.StreamResponse:
    return await _guarded(request, _dial_endpoint, counts=False)


async def _campaign_php(request: web.Request) -> web.StreamResponse:
    return await _guarded(request, _campaign_endpoint)


async def _information_php(request: web.Request) -> web.StreamResponse:
    return await _guarded(request, _information_endpoint)


def create_app(config: SimulatorConfig) -> web.Application:
    """The simulator as an aiohttp application (stats in `app[STATS]`, config in `app[CONFIG]`)."""
    app = web.Application()
    app[CONFIG] = config
    app[STATS] = SimulatorStats()
    app[_BIG] = _BigCache()
    app.router.add_get("/api/v2/campaign.php", _campaign_php)
    app.router.add_get("/api/v2/information.php", _information_php)
    # One operation per path (WOLKVOX_<OP>_BASE_URL=http://127.0.0.1:8089/<op>), each with its
    # own share of the demo data (OPERATION_CAMPAIGNS), so a customer shows in two countries.
    app.router.add_get("/{operation}/api/v2/campaign.php", _campaign_php)
    app.router.add_get("/{operation}/api/v2/information.php", _information_php)
    app.router.add_post("/api/v2/agentbox.php", _agentbox_php)
    app.router.add_post("/{operation}/api/v2/agentbox.php", _agentbox_php)
    return app


@contextlib.asynccontextmanager
async def serve_simulator(
    config: SimulatorConfig, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[tuple[str, web.Application]]:
    """Run the simulator on `host:port` (0: a free port); yields (base URL, app)."""
    app = create_app(config)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield f"http://{shown}:{bound_port}", app
    finally:
        await runner.cleanup()


def _banner(base_url: str, config: SimulatorConfig) -> str:
    numbers = "; ".join(f"{n} {what}" for n, what in DEMO_NUMBERS.items())
    return (
        f"Wolkvox simulator on {base_url} (WOLKVOX_BASE_URL={base_url}, "
        f"latency {config.latency:g}s, {len(config.tokens) or 'any'} tokens) — demo numbers: "
        f"{numbers}"
    )


async def run_until_stopped(config: SimulatorConfig, host: str, port: int) -> None:
    """`python -m bot simulator`: serve on host:port until SIGINT/SIGTERM, banner first."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with serve_simulator(config, host, port) as (base_url, _):
        print(_banner(base_url, config), flush=True)
        await stop.wait()

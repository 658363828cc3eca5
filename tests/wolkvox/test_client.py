"""WolkvoxClient against loopback servers that answer well, badly, slowly or not at all."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot import __version__
from bot.config import Secret
from bot.devtools.wolkvox_sim.data import big_answer_body
from bot.errors import LookupFailure, ShuttingDown
from bot.wolkvox import errors
from bot.wolkvox.client import WolkvoxClient
from bot.wolkvox.records import decode_find_record

TOKEN_VALUE = "tok-S3CRET-abcdef0123456789"
TOKEN = Secret(TOKEN_VALUE)

RECORD = {
    "customer_name": "Ana",
    "customer_last_name": "Gómez",
    "customer_id": "1020304050",
    "tel1": "3001234567",
    "date": "2026-01-18 19:34:31",
    "calls": "3",
    "conn_id": "c-1",
    "result": "answer",
    "campaign_id": "42",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Seen:
    """What a test server received: one entry per request."""

    queries: list[dict[str, str]] = field(default_factory=list)
    raw_queries: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    peers: list[Any] = field(default_factory=list)


def body_json(doc: Any, status: int = 200, **headers: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=json.dumps(doc).encode(),
            status=status,
            content_type="application/json",
            headers=headers,
        )

    return handler


def body_text(text: str, status: int, content_type: str = "text/html", **headers: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(text=text, status=status, content_type=content_type, headers=headers)

    return handler


def error_body(status: int, error: str, msg: str) -> Handler:
    return body_json({"code": str(status), "error": error, "msg": msg, "data": None}, status)


def found(records: list[dict[str, str]], code: Any = "200") -> Handler:
    return body_json(
        {"code": code, "error": None, "msg": f"{len(records)} records were found", "data": records}
    )


@pytest.fixture
async def web_server() -> AsyncIterator[Callable[[Handler], Awaitable[tuple[str, Seen]]]]:
    """Start an aiohttp app on 127.0.0.1 that answers every path with `handler`."""
    servers: list[TestServer] = []

    async def start(handler: Handler) -> tuple[str, Seen]:
        seen = Seen()

        async def recording(request: web.Request) -> web.StreamResponse:
            seen.queries.append(dict(request.query))
            seen.raw_queries.append(request.query_string)
            seen.headers.append(dict(request.headers))
            seen.paths.append(request.path)
            assert request.transport is not None
            seen.peers.append(request.transport.get_extra_info("peername"))
            return await handler(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", recording)
        server = TestServer(app, host="127.0.0.1", port=0)
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/"), seen

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Script], Awaitable[str]]]:
    """Start a bare TCP server on 127.0.0.1 that plays `script` on each connection."""
    servers: list[asyncio.Server] = []
    writers: list[asyncio.StreamWriter] = []

    async def start(script: Script) -> str:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.append(writer)
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                await script(reader, writer)

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    yield start
    for writer in writers:
        writer.transport.abort()
    for server in servers:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., WolkvoxClient]]:
    clients: list[WolkvoxClient] = []

    def make(base_url: str, **kwargs: Any) -> WolkvoxClient:
        client = WolkvoxClient(base_url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def assert_no_secret(exc: BaseException, client: WolkvoxClient | None = None) -> None:
    """The token appears nowhere in what an error shows: str, repr, args, attributes."""
    shown = [str(exc), repr(exc), *map(repr, exc.args), *map(repr, vars(exc).values())]
    if client is not None:
        shown.append(repr(client.last_error))
    for text in shown:
        assert TOKEN_VALUE not in text
        assert "S3CRET" not in text


async def fails(call: Awaitable[Any], kind: type[LookupFailure]) -> LookupFailure:
    with pytest.raises(kind) as info:
        await call
    assert_no_secret(info.value)
    return info.value


async def read_request(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


# ------------------------------------------------------------------------- the request itself


async def test_find_record_sends_encoded_params_and_headers(web_server, make_client) -> None:
    base, seen = await web_server(body_text("", 404))
    client = make_client(base, server="0042")
    await client.find_record(TOKEN, phone="+57 300 123 4567", customer_id="A&B C=1", campaign_id="")

    assert seen.paths == ["/api/v2/campaign.php"]
    assert seen.queries == [
        {
            "api": "find_record",
            "campaign_id": "",
            "customer_phone": "+57 300 123 4567",
            "customer_id": "A&B C=1",
        }
    ]
    raw = seen.raw_queries[0]
    assert "%2B57" in raw and "%26" in raw and "%3D" in raw  # '+', '&', '=' never raw
    headers = seen.headers[0]
    assert headers["wolkvox-token"] == TOKEN_VALUE
    assert headers["wolkvox_server"] == "0042"
    assert headers["User-Agent"] == f"wolkvox-slack/{__version__}"


async def test_no_server_header_without_server_and_base_path_kept(web_server, make_client) -> None:
    base, seen = await web_server(body_text("", 404))
    client = make_client(base + "/proxy/wolkvox/")
    await client.find_record(TOKEN, customer_id="1020304050", campaign_id="42")
    assert seen.paths == ["/proxy/wolkvox/api/v2/campaign.php"]
    assert "wolkvox_server" not in seen.headers[0]
    assert seen.queries[0]["customer_phone"] == ""
    assert seen.queries[0]["campaign_id"] == "42"


async def test_bad_constructor_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        WolkvoxClient("ftp://example.invalid")
    with pytest.raises(ValueError):
        WolkvoxClient("http://127.0.0.1", server="00 42\r\nX: y")
    with pytest.raises(ValueError):
        WolkvoxClient("http://127.0.0.1/?a=b")


async def test_empty_token_fails_without_a_call(web_server, make_client) -> None:
    base, seen = await web_server(body_text("", 404))
    client = make_client(base)
    await fails(client.find_record(Secret(""), phone="3001234567"), errors.TokenMissing)
    await fails(
        client.find_record(Secret("bad token\r\n"), phone="3001234567"), errors.TokenRejected
    )
    assert seen.queries == []


# ------------------------------------------------------------------------------- answers


async def test_200_is_decoded(web_server, make_client) -> None:
    base, _ = await web_server(found([RECORD, {**RECORD, "campaign_id": "7"}]))
    client = make_client(base)
    answer = await client.find_record(TOKEN, phone="3001234567")
    assert answer.total_records == 2
    assert {c.campaign_id for c in answer.campaigns} == {"42", "7"}
    assert client.last_ok_at is not None and client.last_error is None


async def test_200_with_integer_code_is_decoded(web_server, make_client) -> None:
    base, _ = await web_server(found([RECORD], code=200))
    answer = await make_client(base).find_record(TOKEN, phone="3001234567")
    assert answer.total_records == 1


@pytest.mark.parametrize(
    "handler",
    [
        body_text("", 404, content_type="text/plain"),
        error_body(404, "NOT FOUND", "no records were found"),
        body_text("<html><body><h1>404 Not Found</h1>nginx</body></html>", 404),
    ],
    ids=["empty", "json", "html"],
)
async def test_404_is_no_records(web_server, make_client, handler: Handler) -> None:
    base, _ = await web_server(handler)
    client = make_client(base)
    answer = await client.find_record(TOKEN, phone="3001234567")
    assert answer.total_records == 0
    assert answer.campaigns == () and answer.records == ()
    assert client.last_ok_at is not None


@pytest.mark.parametrize(
    ("status", "error", "msg", "kind"),
    [
        (403, "FORBIDDEN", "PLEASE VALIDATE TOKEN", errors.TokenRejected),
        (403, "FORBIDDEN", "TOKEN LIMIT EXCEEDED", errors.QuotaExceeded),
        (
            403,
            "FORBIDDEN",
            "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)",
            errors.SimultaneousLimit,
        ),
        (401, "UNAUTHORIZED", "PLEASE ENTER THE WOLKVOX-TOKEN", errors.TokenMissing),
        (400, "BAD REQUEST", "SOME PARAMETERS ARE REQUIRED", errors.UpstreamError),
        (400, "BAD REQUEST", "THE API YOU WANT TO CONSULT DOES NOT EXIST", errors.UpstreamError),
    ],
)
async def test_documented_json_errors(
    web_server, make_client, status: int, error: str, msg: str, kind: type[LookupFailure]
) -> None:
    base, _ = await web_server(error_body(status, error, msg))
    client = make_client(base)
    exc = await fails(client.find_record(TOKEN, phone="3001234567"), kind)
    assert type(exc) is kind
    assert client.last_error == exc.kind  # the kind only: upstream text may echo a token
    assert_no_secret(exc, client)


async def test_403_maintenance_page_is_unavailable(web_server, make_client) -> None:
    page = "<html><body><h1>Estamos en mantenimiento</h1><p>Backup in progress</p></body></html>"
    base, _ = await web_server(body_text(page, 403))
    exc = await fails(make_client(base).find_record(TOKEN, phone="1"), errors.Unavailable)
    assert type(exc) is errors.Unavailable and "403" in str(exc)


async def test_403_plain_text_documented_message_is_still_recognised(
    web_server, make_client
) -> None:
    base, _ = await web_server(body_text("PLEASE VALIDATE TOKEN", 403, content_type="text/plain"))
    await fails(make_client(base).find_record(TOKEN, phone="1"), errors.TokenRejected)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_is_unavailable(web_server, make_client, status: int) -> None:
    base, _ = await web_server(body_text("<html><h1>Bad Gateway</h1></html>", status))
    exc = await fails(make_client(base).find_record(TOKEN, phone="1"), errors.Unavailable)
    assert type(exc) is errors.Unavailable and str(status) in str(exc) and "HTML" in str(exc)


async def test_5xx_json_and_retry_after(web_server, make_client) -> None:
    base, _ = await web_server(
        body_json({"code": "503", "error": "x", "msg": "y"}, 503, **{"Retry-After": "30"})
    )
    exc = await fails(make_client(base).find_record(TOKEN, phone="1"), errors.Unavailable)
    assert exc.retry_after == 30


async def test_429_is_simultaneous_limit_with_retry_after(web_server, make_client) -> None:
    base, _ = await web_server(body_text("slow down", 429, **{"Retry-After": "5"}))
    exc = await fails(make_client(base).find_record(TOKEN, phone="1"), errors.SimultaneousLimit)
    assert exc.retry_after == 5


async def test_other_status_is_upstream_error(web_server, make_client) -> None:
    base, _ = await web_server(error_body(418, "TEAPOT", "short and stout"))
    exc = await fails(make_client(base).find_record(TOKEN, phone="1"), errors.UpstreamError)
    assert isinstance(exc, errors.UpstreamError) and exc.code == "418"
    assert "short and stout" in str(exc)


async def test_redirect_is_not_followed(web_server, make_client) -> None:
    target, target_seen = await web_server(body_text("", 404))

    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(target + "/api/v2/campaign.php")

    base, _ = await web_server(redirect)
    exc = await fails(make_client(base).find_record(TOKEN, phone="1"), errors.UpstreamError)
    assert "302" in str(exc)
    assert target_seen.queries == []  # the token never went to the redirect's host


# ------------------------------------------------------------------------ broken transports


async def test_truncated_body_is_broken_answer(raw_server, make_client) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            b'{"code":"200","error":null,"msg":"1 records","data":[{"customer_name":"An'
        )
        await writer.drain()
        writer.close()

    base = await raw_server(script)
    client = make_client(base)
    await fails(client.find_record(TOKEN, phone="1"), errors.BrokenAnswer)
    assert client.last_error == "broken_answer"


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST instead of FIN (SO_LINGER 0): a connection reset as the peer sees it."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def test_reset_mid_body_is_broken_answer(raw_server, make_client) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 5000)
        await writer.drain()
        await asyncio.sleep(0.05)
        _reset(writer)

    base = await raw_server(script)
    await fails(make_client(base).find_record(TOKEN, phone="1"), errors.BrokenAnswer)


async def test_reset_before_answer_is_unavailable(raw_server, make_client) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        _reset(writer)

    base = await raw_server(script)
    await fails(make_client(base).find_record(TOKEN, phone="1"), errors.Unavailable)


async def test_disconnect_before_answer_is_unavailable(raw_server, make_client) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.close()

    base = await raw_server(script)
    exc = await fails(make_client(base).find_record(TOKEN, phone="1"), errors.Unavailable)
    assert type(exc) is errors.Unavailable


async def test_garbage_instead_of_http_is_a_typed_error(raw_server, make_client) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()
        writer.close()

    base = await raw_server(script)
    exc = await fails(
        make_client(base).find_record(TOKEN, phone="+573001234567"), errors.BrokenAnswer
    )
    assert "573001234567" not in str(exc)  # aiohttp's text names the URL: its query is cut


async def test_connection_refused_is_unavailable(make_client) -> None:
    # A bound socket that never listens: connecting to its port is refused, and nobody else
    # can take the port meanwhile.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        client = make_client(f"http://127.0.0.1:{port}")
        exc = await fails(client.find_record(TOKEN, phone="1"), errors.Unavailable)
    assert "connect" in str(exc)
    assert client.last_error == "unavailable"


async def test_slow_headers_time_out(raw_server, make_client) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(30)

    base = await raw_server(script)
    client = make_client(base)
    exc = await fails(client.find_record(TOKEN, phone="1", timeout=0.2), errors.UpstreamTimeout)
    assert "0.2" in str(exc)


async def test_slow_body_times_out_on_the_configured_deadline(raw_server, make_client) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
        await writer.drain()
        await asyncio.sleep(30)

    base = await raw_server(script)
    client = make_client(base, timeout=0.2)  # configured deadline is shorter than the call's
    await fails(client.find_record(TOKEN, phone="1", timeout=30), errors.UpstreamTimeout)


async def test_cancellation_is_not_swallowed(raw_server, make_client) -> None:
    started = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        started.set()
        await asyncio.sleep(30)

    base = await raw_server(script)
    task = asyncio.create_task(make_client(base).find_record(TOKEN, phone="1"))
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# --------------------------------------------------------------------------- size cap


async def test_declared_length_over_cap_is_refused_early(raw_server, make_client) -> None:
    sent = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n" + b" " * 1000)
        await writer.drain()
        sent.set()
        await asyncio.sleep(30)  # the rest never comes: the client must not wait for it

    base = await raw_server(script)
    client = make_client(base, max_response_bytes=4096)
    exc = await fails(client.find_record(TOKEN, phone="1", timeout=10), errors.BrokenAnswer)
    assert "larger than" in str(exc)


async def test_chunked_body_over_cap_is_refused(web_server, make_client) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(20):
            await resp.write(b" " * 1024)
        await resp.write_eof()
        return resp

    base, _ = await web_server(handler)
    client = make_client(base, max_response_bytes=8 * 1024)
    exc = await fails(client.find_record(TOKEN, phone="1"), errors.BrokenAnswer)
    assert "larger than" in str(exc)


async def test_gzip_bomb_is_capped_on_decompressed_size(web_server, make_client) -> None:
    packed = gzip.compress(b" " * 200_000)

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=packed, headers={"Content-Encoding": "gzip"})

    base, _ = await web_server(handler)
    client = make_client(base, max_response_bytes=64 * 1024)
    assert len(packed) < 64 * 1024
    exc = await fails(client.campaigns(TOKEN), errors.BrokenAnswer)
    assert "larger than" in str(exc)


async def test_a_big_answer_in_odd_chunks_is_decoded_as_it_arrives(web_server, make_client) -> None:
    body = big_answer_body(5_000, "")

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for start in range(0, len(body), 333):
            await resp.write(body[start : start + 333])
        await resp.write_eof()
        return resp

    base, _ = await web_server(handler)
    answer = await make_client(base).find_record(TOKEN, phone="1")
    assert answer == decode_find_record(body)


async def test_a_gzip_find_record_answer_streams_on_the_decompressed_bytes(
    web_server, make_client
) -> None:
    body = big_answer_body(2_000, "")

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=gzip.compress(body), headers={"Content-Encoding": "gzip"})

    base, _ = await web_server(handler)
    assert await make_client(base).find_record(TOKEN, phone="1") == decode_find_record(body)


async def test_a_broken_record_fails_without_waiting_for_the_rest(web_server, make_client) -> None:
    """The stream judges records as they come: a broken one ends the call at once, not after
    a stalled (or 36 MB) remainder."""
    stalled = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(b'{"code": "200", "data": [{"date": "2026-01-01"}, 5, {"a": 1},')
        await stalled.wait()  # never sends the rest
        return resp

    base, _ = await web_server(handler)
    client = make_client(base, timeout=30)
    async with asyncio.timeout(5):
        exc = await fails(client.find_record(TOKEN, phone="1"), errors.BrokenAnswer)
    assert "record 1 is a number" in str(exc)
    stalled.set()


async def test_failed_decode_does_not_pin_the_body(web_server, make_client) -> None:
    base, _ = await web_server(body_text("<html>" + "x" * 100_000 + "</html>", 200))
    with pytest.raises(errors.BrokenAnswer) as info:
        await make_client(base).find_record(TOKEN, phone="1")
    tb = info.value.__traceback__
    while tb is not None:
        for name, value in tb.tb_frame.f_locals.items():
            assert not isinstance(value, bytearray | memoryview), name
        tb = tb.tb_next


# ----------------------------------------------------------------------- companion calls


async def test_campaigns_tolerates_codes_types_and_missing_names(web_server, make_client) -> None:
    doc = {
        "code": 200,
        "error": None,
        "msg": "ok",
        "data": [
            {"campaign_id": "42", "campaign_name": "Cobranza Q4", "status": "Started", "x": [1]},
            {"campaign_id": 7, "campaign_name": "Ventas ", "records": 120},
            {"campaign_id": "9"},
            {"campaign_name": "no id, skipped"},
            "not an object",
        ],
    }
    base, seen = await web_server(body_json(doc))
    names = await make_client(base).campaigns(TOKEN)
    assert names == {"42": "Cobranza Q4", "7": "Ventas", "9": ""}
    assert seen.paths == ["/api/v2/information.php"]
    assert seen.queries == [{"api": "campaigns"}]
    assert seen.headers[0]["wolkvox-token"] == TOKEN_VALUE


@pytest.mark.parametrize(
    "handler",
    [
        body_json({"code": "200", "error": None, "msg": "", "data": None}),
        body_json({"code": "200", "error": None, "msg": "", "data": []}),
        body_text("", 404),
    ],
    ids=["null", "empty", "404"],
)
async def test_campaigns_empty(web_server, make_client, handler: Handler) -> None:
    base, _ = await web_server(handler)
    assert await make_client(base).campaigns(TOKEN) == {}


async def test_campaigns_gzip_answer(web_server, make_client) -> None:
    doc = {"code": "200", "data": [{"campaign_id": "1", "campaign_name": "Uno"}]}
    packed = gzip.compress(json.dumps(doc).encode())

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=packed, headers={"Content-Encoding": "gzip"})

    base, _ = await web_server(handler)
    assert await make_client(base).campaigns(TOKEN) == {"1": "Uno"}


@pytest.mark.parametrize(
    ("handler", "kind"),
    [
        (body_text("<html>oops</html>", 200), errors.BrokenAnswer),
        (body_json({"code": "200", "data": 5}), errors.BrokenAnswer),
        (body_json(["not", "an", "object"]), errors.BrokenAnswer),
        (error_body(403, "FORBIDDEN", "PLEASE VALIDATE TOKEN"), errors.TokenRejected),
        (
            body_json({"code": "403", "error": "FORBIDDEN", "msg": "TOKEN LIMIT EXCEEDED"}),
            errors.QuotaExceeded,
        ),
        (body_text("<html>502</html>", 502), errors.Unavailable),
    ],
    ids=["html", "data-number", "list", "403-json", "error-in-200", "502"],
)
async def test_campaigns_errors(
    web_server, make_client, handler: Handler, kind: type[LookupFailure]
) -> None:
    base, _ = await web_server(handler)
    await fails(make_client(base).campaigns(TOKEN), kind)


@pytest.mark.parametrize("as_list", [False, True])
async def test_token_info(web_server, make_client, as_list: bool) -> None:
    info = {
        "token_limit": 5000,
        "token_use_today": "12",
        "all_token_today": "40",
        "available_consumption_options": ["find_record", "campaigns"],
    }
    base, seen = await web_server(body_json({"code": "200", "data": [info] if as_list else info}))
    got = await make_client(base).token_info(TOKEN)
    assert got == {
        "token_limit": "5000",
        "token_use_today": "12",
        "all_token_today": "40",
        "available_consumption_options": '["find_record","campaigns"]',
    }
    assert seen.queries == [{"api": "token_info"}]


async def test_token_info_without_data_is_broken(web_server, make_client) -> None:
    base, _ = await web_server(body_json({"code": "200", "data": None}))
    await fails(make_client(base).token_info(TOKEN), errors.BrokenAnswer)


# ------------------------------------------------------------------- session and lifecycle


async def test_one_session_one_connection_reused(web_server, make_client) -> None:
    base, seen = await web_server(body_text("", 404))
    client = make_client(base)
    for _ in range(3):
        await client.find_record(TOKEN, phone="3001234567")
    session = client._session
    await client.campaigns(TOKEN)
    assert client._session is session
    assert len(seen.peers) == 4 and len(set(seen.peers)) == 1  # keep-alive: one connection


async def test_close_owns_only_its_own_session(web_server) -> None:
    base, _ = await web_server(body_text("", 404))
    async with aiohttp.ClientSession() as shared:
        client = WolkvoxClient(base, session=shared)
        await client.find_record(TOKEN, phone="1")
        await client.close()
        assert not shared.closed
        await fails(client.find_record(TOKEN, phone="1"), ShuttingDown)

    owned = WolkvoxClient(base)
    await owned.find_record(TOKEN, phone="1")
    session = owned._session
    assert session is not None
    await owned.close()
    assert session.closed


async def test_last_error_cleared_by_next_success(web_server, make_client) -> None:
    calls = 0

    async def flaky(request: web.Request) -> web.StreamResponse:
        nonlocal calls
        calls += 1
        if calls == 1:
            return web.Response(text="<html>down</html>", status=502, content_type="text/html")
        return web.Response(status=404)

    base, _ = await web_server(flaky)
    client = make_client(base)
    await fails(client.find_record(TOKEN, phone="1"), errors.Unavailable)
    assert client.last_error == "unavailable" and client.last_error_at is not None
    assert client.last_ok_at is None
    await client.find_record(TOKEN, phone="1")
    assert client.last_error is None and client.last_ok_at is not None


async def test_403_json_with_unpublished_message_is_unavailable(web_server, make_client) -> None:
    base, _ = await web_server(
        body_json(
            {"code": "403", "error": "FORBIDDEN", "msg": "API DISABLED FOR MAINTENANCE"},
            403,
            **{"Retry-After": "120"},
        )
    )
    exc = await fails(make_client(base).find_record(TOKEN, phone="1"), errors.Unavailable)
    assert type(exc) is errors.Unavailable and exc.retry_after == 120

"""A misbehaving Wolkvox on loopback, for fault-injection tests.

The simulator answers like Wolkvox on a good day; this server answers like the network and
the proxies in front of Wolkvox on a bad one. It speaks raw HTTP/1.1 over asyncio streams
(not aiohttp's server) so that it can do what a well-behaved server never does: reset the
connection before or in the middle of an answer, promise more bytes than it sends, send a
body far over the bot's size cap, or hold an answer past the bot's timeout.

Each request is answered by the first fault queued for its phone number (``plan``), else by
that phone's standing behaviour (``plan(..., then=…)``), else by ``default`` (a good answer:
one record, or HTTP 404 for ``NO_RECORDS``). ``revoked``/``spent`` tokens and ``down`` (a
fault for every request) model state of the whole upstream. ``seen`` records every request.

Also the few helpers the fault tests share for reading what the agent saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, urlsplit

from bot.devtools.process import free_port

FaultKind = Literal[
    "ok",
    "no_records",
    "reset",  # RST before any answer
    "reset_mid_body",  # status line, headers and part of the body, then RST
    "truncated",  # Content-Length promises more than is sent, then a clean close
    "truncated_json",  # HTTP 200 with a complete body that is cut-off JSON
    "html_200",  # an HTML page with HTTP 200 (a captive portal, a misrouted proxy)
    "html_502",  # a proxy's 502 page
    "html_403",  # a proxy's (or a maintenance window's) 403 page
    "huge",  # a valid JSON answer over the size cap, with Content-Length
    "huge_chunked",  # the same without Content-Length (chunked)
    "slow",  # a good answer after `seconds`
    "simultaneous",  # 403 EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)
    "maintenance",  # 403 with Wolkvox's maintenance message
    "token_rejected",  # 403 PLEASE VALIDATE TOKEN
    "quota",  # 403 TOKEN LIMIT EXCEEDED
    "echo_token",  # a proxy's 500 whose text repeats the token sent, with markup and a phone
]

NO_RECORDS = "3009999999"
HUGE_BYTES = 2 * 1024 * 1024  # over WOLKVOX_MAX_RESPONSE_MB=1
CAMPAIGN_ID = "42"
CAMPAIGN_NAME = "Cobranza Q4"

_MESSAGES = {
    "simultaneous": "EXCEEDS THE LIMIT OF SIMULTANEOUS REQUESTS PER TOKEN (2)",
    "maintenance": "THE API IS TEMPORARILY DISABLED FOR MAINTENANCE, PLEASE TRY AGAIN LATER",
    "token_rejected": "PLEASE VALIDATE TOKEN",
    "quota": "TOKEN LIMIT EXCEEDED",
}
_HTML = (
    "<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n<center><h1>{status}</h1>"
    "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_REASONS = {200: "OK", 403: "Forbidden", 404: "Not Found", 502: "Bad Gateway"}


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    seconds: float = 0.0  # for "slow"


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it (the token is kept: this is a test server)."""

    api: str
    phone: str
    customer_id: str
    token: str


def customer_name(phone: str) -> str:
    """The name the good answer gives the customer of `phone` (tests look for it on cards)."""
    return f"Ana Prueba {phone[-4:]}"


def good_body(phone: str, customer_id: str = "") -> bytes:
    """A one-record find_record answer, as Wolkvox writes it."""
    record = {
        "customer_name": customer_name(phone),
        "customer_last_name": "Gómez",
        "customer_id": customer_id or "1020304050",
        "tel1": phone,
        "date": "2026-01-18 19:34:31",
        "calls": "3",
        "conn_id": "c-1",
        "result": "answer",
        "campaign_id": CAMPAIGN_ID,
    }
    return _json({"code": "200", "error": None, "msg": "1 records were found", "data": [record]})


def huge_body(phone: str) -> bytes:
    """Valid JSON well over HUGE_BYTES: many records of the same customer."""
    record = json.loads(good_body(phone))["data"][0]
    record["opt1"] = "x" * 900
    count = HUGE_BYTES // 1000 + 100
    return _json({"code": "200", "error": None, "msg": "", "data": [record] * count})


def _json(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=True).encode()


def _error_json(status: int, msg: str) -> bytes:
    name = {403: "FORBIDDEN", 404: "NOT FOUND", 500: "INTERNAL SERVER ERROR"}[status]
    return _json({"code": str(status), "error": name, "msg": msg, "data": None})


def _head(status: int, content_type: str, length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}", f"Content-Type: {content_type}"]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), not FIN: what a crashing proxy or firewall does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@dataclass
class FaultyWolkvox:
    """Start with ``async with FaultyWolkvox() as up:``; ``up.url`` is WOLKVOX_BASE_URL."""

    port: int = 0
    default: Fault = Fault("ok")
    down: Fault | None = None  # when set, every find_record gets this
    revoked: set[str] = field(default_factory=set)  # tokens answered 403 PLEASE VALIDATE TOKEN
    spent: set[str] = field(default_factory=set)  # tokens answered 403 TOKEN LIMIT EXCEEDED
    seen: list[Seen] = field(default_factory=list)
    _plans: dict[str, deque[Fault]] = field(default_factory=dict)
    _standing: dict[str, Fault] = field(default_factory=dict)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    # --------------------------------------------------------------- lifecycle

    async def start(self) -> Self:
        """Listen on 127.0.0.1 (`port`, or a free one); `start` again after `stop` reuses it."""
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        """Stop listening and drop every open connection: the port now refuses connections."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=2)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --------------------------------------------------------------- behaviour

    def plan(
        self, phone: str, *faults: Fault | FaultKind, then: Fault | FaultKind | None = None
    ) -> None:
        """Answer the next requests for `phone` with `faults` in turn, then with `then` (if
        given) for good; otherwise with `default`."""
        self._plans.setdefault(phone, deque()).extend(_fault(f) for f in faults)
        if then is not None:
            self._standing[phone] = _fault(then)

    def calls(self, phone: str | None = None, api: str = "find_record") -> list[Seen]:
        return [s for s in self.seen if s.api == api and (phone is None or s.phone == phone)]

    def _choose(self, seen: Seen) -> Fault:
        if seen.token in self.revoked:
            return Fault("token_rejected")
        if seen.token in self.spent:
            return Fault("quota")
        if self.down is not None:
            return self.down
        queue = self._plans.get(seen.phone)
        if queue:
            return queue.popleft()
        if seen.phone in self._standing:
            return self._standing[seen.phone]
        if seen.phone == NO_RECORDS:
            return Fault("no_records")
        return self.default

    # --------------------------------------------------------------- HTTP

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client left (it gave up on a slow or huge answer)
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            if not writer.transport.is_closing():
                writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        target = lines[0].split(" ")[1]
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        seen = Seen(
            api=query.get("api", ""),
            phone=query.get("customer_phone", ""),
            customer_id=query.get("customer_id", ""),
            token=headers.get("wolkvox-token", ""),
        )
        self.seen.append(seen)
        if seen.api == "campaigns":
            items = [{"campaign_id": CAMPAIGN_ID, "campaign_name": CAMPAIGN_NAME}]
            await self._send(writer, 200, _json({"code": "200", "error": None, "data": items}))
            return
        await self._answer(writer, self._choose(seen), seen)

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        writer.write(_head(status, content_type, len(body)) + body)
        await writer.drain()

    async def _answer(self, writer: asyncio.StreamWriter, fault: Fault, seen: Seen) -> None:
        kind = fault.kind
        good = good_body(seen.phone, seen.customer_id)
        if kind == "slow":
            await asyncio.sleep(fault.seconds)
            kind = "ok"
        if kind == "ok":
            await self._send(writer, 200, good)
        elif kind == "no_records":
            await self._send(writer, 404, _error_json(404, "0 records were found"))
        elif kind == "reset":
            _reset(writer)
        elif kind in ("reset_mid_body", "truncated"):
            writer.write(_head(200, "application/json", len(good)) + good[: len(good) // 2])
            await writer.drain()
            await asyncio.sleep(0.05)  # let the client read the headers: the body is what breaks
            if kind == "reset_mid_body":
                _reset(writer)
            else:
                writer.close()
        elif kind == "truncated_json":
            await self._send(writer, 200, good[: len(good) * 3 // 5])
        elif kind in ("html_200", "html_502", "html_403"):
            status = int(kind[-3:])
            page = _HTML.format(status=f"{status} {_REASONS[status]}").encode()
            await self._send(writer, status, page, "text/html")
        elif kind == "echo_token":
            text = f"upstream failed for wolkvox-token={seen.token} <b>{seen.phone}</b>"
            await self._send(writer, 500, _error_json(500, text))
        elif kind == "huge":
            await self._send(writer, 200, huge_body(seen.phone))
        elif kind == "huge_chunked":
            body = huge_body(seen.phone)
            writer.write(_head(200, "application/json", None))
            for start in range(0, len(body), 64 * 1024):
                chunk = body[start : start + 64 * 1024]
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        else:
            await self._send(writer, 403, _error_json(403, _MESSAGES[kind]))


def _fault(value: Fault | FaultKind) -> Fault:
    return value if isinstance(value, Fault) else Fault(value)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    return free_port()


# ------------------------------------------------------------------- what the agent saw


def card_text(message: dict[str, Any]) -> str:
    """Everything visible in a message or view (text and blocks), as one string."""
    return json.dumps({k: message.get(k) for k in ("text", "blocks", "title")}, ensure_ascii=False)


def is_searching(message: dict[str, Any]) -> bool:
    """The interim "🔎 Searching …" ack rather than an answer."""
    return str(message.get("text") or "").startswith("🔎")


SECRET_MARKERS: tuple[str, ...] = (
    "Traceback",
    'File "',
    "aiohttp",
    "Error:",
    "Exception",
    "wolkvox-token",
    "xoxb-",
)


def leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """What in `text` an agent must never see: a traceback, an exception name, a secret."""
    found = [m for m in SECRET_MARKERS if m in text]
    found += [f"secret #{i}" for i, s in enumerate(secrets) if s and s in text]
    return found

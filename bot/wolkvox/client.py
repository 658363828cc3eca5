"""The Wolkvox HTTP client: one attempt per call, every failure turned into a typed error.

Retries, the per-token guard, quotas and the circuit breaker live in the lookup service; this
module only talks HTTP correctly: encoded query parameters, the token in a header, a size cap on
the body, a deadline on the whole call, no redirects, and no aiohttp exception ever escaping.

Assumptions where Wolkvox's docs are silent (also stated in the README):
- `find_record` always gets all four parameters (`api`, `campaign_id`, `customer_phone`,
  `customer_id`), the unused ones as empty strings, as the documented URL template does.
- HTTP 404 means "no records", whatever its body: public clients report that Wolkvox's report
  endpoints answer 404 instead of an empty list, and a proxy's 404 page cannot be told apart
  reliably. The JSON `msg`, when there is one, is kept on the answer.
- Redirects are not followed: a custom header such as `wolkvox-token` would be sent on to
  whatever host the redirect names. A 3xx is reported as an upstream error.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import aiohttp
import msgspec
from multidict import CIMultiDictProxy
from yarl import URL

from bot import __version__
from bot.config import Secret
from bot.errors import LookupFailure, ShuttingDown
from bot.metrics import UPSTREAM_SECONDS
from bot.wolkvox.errors import (
    BrokenAnswer,
    DialUncertain,
    QuotaExceeded,
    SimultaneousLimit,
    TokenMissing,
    TokenRejected,
    Unavailable,
    UpstreamError,
    UpstreamTimeout,
    WolkvoxError,
    dial_refusal,
)
from bot.wolkvox.records import FindAnswer, as_text, error_for, write_csv
from bot.wolkvox.stream import FindRecordStream

USER_AGENT = f"wolkvox-slack/{__version__}"
CONNECT_TIMEOUT = 10.0  # a firewalled (not allow-listed) host drops SYNs: say so before 55 s
ERROR_BODY_LIMIT = 64 * 1024  # an error answer's message is short; don't read a huge page
POOL_LIMIT = 64  # connections in total; the guard keeps each token at 1-2 in flight
POOL_LIMIT_PER_HOST = 32
YIELD_EVERY = 0.005  # seconds of decoding a streamed answer between turns of the event loop

_SERVER_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")
_TOKEN_RE = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces: safe as a header value
_QUERY_IN_TEXT_RE = re.compile(r"\?\S*")  # query strings in exception texts carry phone numbers
_DECODER = msgspec.json.Decoder()
_APIS = frozenset({"find_record", "campaigns", "token_info", "token"})  # metric labels


class WolkvoxClient:
    """Talks to one Wolkvox operation over one shared aiohttp session.

    `last_ok_at` (unix time) and `last_error` (a short, secret-free description, cleared by the
    next success) tell /healthz how Wolkvox looked the last time it was asked.
    """

    def __init__(
        self,
        base_url: str,
        *,
        server: str = "",
        operation: str = "",
        timeout: float = 55,
        max_response_bytes: int = 256 * 1024 * 1024,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        base = URL(base_url.rstrip("/"))
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError("Wolkvox base URL must be an http(s) URL with a host")
        if base.query_string or base.fragment:
            raise ValueError("Wolkvox base URL must not have a query or fragment")
        if server and not _SERVER_RE.match(server):
            raise ValueError("Wolkvox server may contain only letters and digits")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_response_bytes <= 0:
            raise ValueError("max_response_bytes must be positive")
        self._campaign_url = base / "api" / "v2" / "campaign.php"
        self._information_url = base / "api" / "v2" / "information.php"
        self._agentbox_url = base / "api" / "v2" / "agentbox.php"
        self._server = server
        self._operation = operation  # its key, for /metrics
        self._timeout = float(timeout)
        self._max_bytes = max_response_bytes
        self._session = session
        self._owns_session = session is None
        self._closed = False
        self.last_ok_at: float | None = None
        self.last_error: str | None = None
        self.last_error_at: float | None = None

    # ----------------------------------------------------------------------------- lifecycle

    def _get_session(self) -> aiohttp.ClientSession:
        """The shared session, created on first use (it must be made inside the running loop)."""
        if self._closed:
            raise ShuttingDown("the Wolkvox client is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=POOL_LIMIT,
                limit_per_host=POOL_LIMIT_PER_HOST,
                ttl_dns_cache=300,
                keepalive_timeout=30,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT},
                # Deadlines are enforced per call (asyncio.timeout); no session-wide total.
                timeout=aiohttp.ClientTimeout(total=None),
                raise_for_status=False,
            )
        return self._session

    async def close(self) -> None:
        """Close the session if this client created it; a session passed in stays the caller's."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()

    async def __aenter__(self) -> WolkvoxClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------------------- calls

    async def find_record(
        self,
        token: Secret,
        *,
        phone: str = "",
        customer_id: str = "",
        campaign_id: str = "",
        timeout: float | None = None,
    ) -> FindAnswer:
        """Search the operation's campaigns once; 404 is "no records" (see the module docstring).

        A 200 answer is decoded as it arrives (bot.wolkvox.stream), so a 36 MB body is never
        held whole and never holds the event loop in one piece."""
        params = _find_params(phone, customer_id, campaign_id)
        try:
            async with self._response(self._campaign_url, params, token, timeout) as resp:
                if resp.status == 200:
                    answer = await _stream_find_record(resp, self._max_bytes)
                    status = 200
                else:
                    status, headers = resp.status, resp.headers
                    body = await _read_capped(resp, ERROR_BODY_LIMIT, strict=False)
            if status == 404:
                answer = FindAnswer(
                    total_records=0, campaigns=(), records=(), code="404", msg=_msg_of(body)
                )
            elif status != 200:
                _raise_for_status(status, headers, body)
        except LookupFailure as exc:
            self._failed(exc)
            raise exc.with_traceback(None) from None
        self._succeeded()
        return answer

    async def find_record_csv(
        self,
        token: Secret,
        out: Any,
        *,
        phone: str = "",
        customer_id: str = "",
        campaign_id: str = "",
        timeout: float | None = None,
        mask: Callable[[str], str] | None = None,
    ) -> int:
        """The same call as `find_record`, every record written to `out` as CSV (off the event
        loop: a 60,000-record answer takes a second of CPU). Returns the rows written."""
        params = _find_params(phone, customer_id, campaign_id)
        try:
            status, headers, body = await self._get(self._campaign_url, params, token, timeout)
            try:
                if status == 404:
                    body = bytearray(b'{"data": []}')
                elif status != 200:
                    _raise_for_status(status, headers, body)
                rows = await asyncio.to_thread(write_csv, body, out, mask=mask)
            finally:
                del body
        except LookupFailure as exc:
            self._failed(exc)
            raise exc.with_traceback(None) from None
        self._succeeded()
        return rows

    async def campaigns(self, token: Secret, *, timeout: float | None = None) -> dict[str, str]:
        """The operation's campaigns as {campaign_id: campaign_name} (name "" when missing).

        A 404 is read as "no campaigns", like find_record's "no records".
        """
        try:
            data = await self._information("campaigns", token, timeout, empty_on_404=True)
            result: dict[str, str] = {}
            for item in _items(data):
                cid = as_text(item.get("campaign_id"))
                if cid:
                    result[cid] = as_text(item.get("campaign_name")).strip()
        except LookupFailure as exc:
            self._failed(exc)
            raise
        self._succeeded()
        return result

    async def dial(
        self,
        token: Secret,
        *,
        agent_id: str,
        phone: str,
        customer_id: str = "",
        customer_name: str = "",
        timeout: float | None = None,
    ) -> str:
        """Make agent `agent_id`'s Wolkvox Agent dial `phone` (agentbox.php?api=dial, a POST);
        Wolkvox's `conn_id` for the call ("" when it gives none). Once: the caller never
        retries. No answer in time is `DialUncertain` (it may have dialled); a refusal is a
        `DialRefused` by its words, or the token error it names."""
        params = {"agent_id": agent_id, "api": "dial", "customer_phone": phone}
        if customer_id:
            params["customer_id"] = customer_id
        if customer_name:
            params["customer_name"] = customer_name[:100]
        try:
            try:
                status, _, body = await self._get(
                    self._agentbox_url, params, token, timeout, method="POST"
                )
            except (UpstreamTimeout, BrokenAnswer) as exc:  # sent, and no whole answer
                raise DialUncertain(str(exc)) from None
            if 500 <= status <= 599:
                raise DialUncertain(f"HTTP {status} from Wolkvox's agentbox")
            conn_id = _dial_answer(status, body)
        except LookupFailure as exc:
            self._failed(exc)
            raise exc.with_traceback(None) from None
        self._succeeded()
        return conn_id

    async def agents(self, token: Secret, *, timeout: float | None = None) -> list[Agent]:
        """The operation's agents (information.php?api=agents): extension, name, SSO user
        (often the corporate e-mail) and whether enabled."""
        try:
            data = await self._information("agents", token, timeout, empty_on_404=True)
            agents = [agent for item in _items(data) if (agent := Agent.of(item)) is not None]
        except LookupFailure as exc:
            self._failed(exc)
            raise
        self._succeeded()
        return agents

    async def token_info(self, token: Secret, *, timeout: float | None = None) -> dict[str, str]:
        """The token's limits and use today (`token_limit`, `token_use_today`, …) as text.

        Costs one use of the token itself. Non-text values (lists, objects) come back as JSON.
        """
        try:
            data = await self._information("token_info", token, timeout, empty_on_404=False)
            items = _items(data)
            if not items:
                raise BrokenAnswer("token_info answer has no data")
            info = {str(k): as_text(v) for k, v in items[0].items()}
        except LookupFailure as exc:
            self._failed(exc)
            raise
        self._succeeded()
        return info

    # ----------------------------------------------------------------------------- helpers

    async def _information(
        self, api: str, token: Secret, timeout: float | None, *, empty_on_404: bool
    ) -> Any:
        """GET information.php?api=…; return the answer's `data` after checking its `code`."""
        status, headers, body = await self._get(self._information_url, {"api": api}, token, timeout)
        if status == 404 and empty_on_404:
            return None
        if status != 200:
            _raise_for_status(status, headers, body)
        try:
            doc = _DECODER.decode(body)
        except msgspec.DecodeError:
            raise BrokenAnswer(f"{api} answer is not JSON ({_kind_of(body)})") from None
        if not isinstance(doc, dict):
            raise BrokenAnswer(f"{api} answer is not a JSON object")
        code = as_text(doc.get("code")).strip()
        error = as_text(doc.get("error")).strip()
        if (code and code != "200") or error:
            raise error_for(None, code, error, as_text(doc.get("msg")))
        return doc.get("data")

    async def _get(
        self,
        url: URL,
        params: Mapping[str, str],
        token: Secret,
        timeout: float | None,
        *,
        method: str = "GET",
    ) -> tuple[int, CIMultiDictProxy[str], bytearray]:
        """One request with a deadline; returns status, headers and the (capped) body."""
        async with self._response(url, params, token, timeout, method=method) as resp:
            limit = self._max_bytes if resp.status == 200 else ERROR_BODY_LIMIT
            body = await _read_capped(resp, limit, strict=resp.status == 200)
            return resp.status, resp.headers, body

    @contextlib.asynccontextmanager
    async def _response(
        self,
        url: URL,
        params: Mapping[str, str],
        token: Secret,
        timeout: float | None,
        *,
        method: str = "GET",
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """One GET whose answer the caller reads inside the block, all within one deadline.

        Every transport problem becomes a WolkvoxError here, named by when it happened: before
        the answer's headers (Unavailable) or while reading its body (BrokenAnswer).
        """
        secret = token.reveal()
        if not secret:
            raise TokenMissing("no Wolkvox token configured")
        if not _TOKEN_RE.match(secret):
            raise TokenRejected("the Wolkvox token has characters a token cannot have")
        budget = self._timeout if timeout is None else min(timeout, self._timeout)
        if budget <= 0:
            raise UpstreamTimeout("no time left to call Wolkvox")
        headers = {"wolkvox-token": secret, "User-Agent": USER_AGENT}
        if self._server:
            headers["wolkvox_server"] = self._server
        session = self._get_session()
        reading_body = False
        started = time.monotonic()
        try:
            async with asyncio.timeout(budget):
                async with session.request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    allow_redirects=False,
                    timeout=aiohttp.ClientTimeout(
                        total=None, sock_connect=min(budget, CONNECT_TIMEOUT)
                    ),
                ) as resp:
                    reading_body = True
                    yield resp
        except LookupFailure:
            raise
        except aiohttp.ConnectionTimeoutError:
            raise Unavailable(
                f"could not connect to Wolkvox within {min(budget, CONNECT_TIMEOUT):g} s"
                " (host down, or this server's IP not on Wolkvox's allow-list)"
            ) from None
        except TimeoutError:
            raise UpstreamTimeout(f"Wolkvox did not answer within {budget:g} s") from None
        except aiohttp.ClientConnectorError as exc:
            raise Unavailable(f"cannot connect to Wolkvox: {_describe(exc, secret)}") from None
        except aiohttp.ClientResponseError as exc:  # unparseable status line or headers
            raise BrokenAnswer(f"not a valid HTTP answer: {_describe(exc, secret)}") from None
        except (aiohttp.ClientError, OSError) as exc:
            what = _describe(exc, secret)
            if reading_body:
                raise BrokenAnswer(f"Wolkvox's answer was cut short: {what}") from None
            raise Unavailable(f"Wolkvox closed the connection: {what}") from None
        finally:
            api = params.get("api", "")
            UPSTREAM_SECONDS.labels(
                operation=self._operation, api=api if api in _APIS else "other"
            ).observe(time.monotonic() - started)

    def _succeeded(self) -> None:
        self.last_ok_at = time.time()
        self.last_error = None

    def _failed(self, exc: LookupFailure) -> None:
        # The kind only: an upstream text can echo the token, carry markup or personal data.
        self.last_error = exc.kind
        self.last_error_at = time.time()


@dataclass(frozen=True, slots=True)
class Agent:
    """One agent of information.php?api=agents, as the bot uses it."""

    extension: str  # agent_id: the extension agentbox.php dials from
    name: str
    sso: str  # agent_sso, case-folded: the network user, often the corporate e-mail
    enabled: bool

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Agent | None:
        extension = as_text(item.get("agent_id")).strip()
        if not extension.isdigit() or len(extension) > 12:
            return None
        enabled = as_text(item.get("enabled")).strip().casefold()
        return cls(
            extension=extension,
            name=as_text(item.get("agent_name")).strip()[:100],
            sso=as_text(item.get("agent_sso")).strip().casefold()[:200],
            enabled=enabled in ("1", "true", "yes", "si", "sí", "enabled", "active", "activo"),
        )


def _dial_answer(status: int, body: bytearray) -> str:
    """The conn_id of a dial's answer, or its refusal raised."""
    doc = _json_object(body)
    if doc is None:
        if status == 200:
            raise DialUncertain(f"agentbox answered 200 without JSON ({_kind_of(body)})")
        _raise_for_status(status, {}, body)
    code = as_text(doc.get("code")).strip()
    error = as_text(doc.get("error")).strip()
    message = as_text(doc.get("msg")).strip()
    if status == 200 and code in ("200", "") and not error:
        data = doc.get("data")
        return as_text(data.get("conn_id")).strip()[:64] if isinstance(data, dict) else ""
    named = error_for(status if status != 200 else None, code, error, message)
    if isinstance(named, TokenRejected | TokenMissing | QuotaExceeded | SimultaneousLimit):
        raise named
    raise dial_refusal(" ".join(part for part in (error, message) if part) or code)


def _find_params(phone: str, customer_id: str, campaign_id: str) -> dict[str, str]:
    """`campaign.php?api=find_record`'s query: empty fields are sent empty, as Wolkvox expects."""
    return {
        "api": "find_record",
        "campaign_id": campaign_id,
        "customer_phone": phone,
        "customer_id": customer_id,
    }


async def _read_capped(resp: aiohttp.ClientResponse, limit: int, *, strict: bool) -> bytearray:
    """Read the body into one bytearray, at most `limit` bytes.

    strict (a 200 answer): past the limit, or cut short, is a BrokenAnswer. Otherwise (an error
    or 404 page) the body is only read for its message: a larger one is cut, not read, and a
    failure while reading it leaves the status to speak alone.
    """
    if strict:
        return await _read_body(resp, limit)
    try:
        return await _read_body(resp, limit, cut=True)
    except (LookupFailure, aiohttp.ClientError, OSError):
        return bytearray()


async def _read_body(resp: aiohttp.ClientResponse, limit: int, *, cut: bool = False) -> bytearray:
    """With an exact Content-Length and no compression the buffer is allocated once, so a 36 MB
    body is never copied to grow; otherwise chunks are appended, counting decompressed bytes."""
    declared = resp.content_length
    if declared is not None and declared > limit:
        if cut:
            return bytearray()
        raise _too_large(limit)
    encoding = resp.headers.get("Content-Encoding", "").strip().lower()
    if declared is not None and encoding in ("", "identity"):
        buf = bytearray(declared)
        filled = 0
        with memoryview(buf) as view:
            async for chunk in resp.content.iter_any():
                end = filled + len(chunk)
                if end > declared:  # aiohttp enforces Content-Length; never trust it blindly
                    raise BrokenAnswer("answer longer than its Content-Length")
                view[filled:end] = chunk
                filled = end
        if filled != declared:
            raise BrokenAnswer(f"answer cut short: {filled} of {declared} bytes")
        return buf
    buf = bytearray()
    async for chunk in resp.content.iter_any():
        if len(buf) + len(chunk) > limit:
            if cut:
                buf += chunk[: limit - len(buf)]
                break
            raise _too_large(limit)
        buf += chunk
    return buf


async def _stream_find_record(resp: aiohttp.ClientResponse, limit: int) -> FindAnswer:
    """Decode a 200 find_record answer chunk by chunk as it arrives, at most `limit` bytes.

    Chunks already buffered are read without a pause, so the loop is let through every few
    milliseconds: other agents' acks never wait behind a whole 36 MB answer."""
    declared = resp.content_length
    if declared is not None and declared > limit:
        raise _too_large(limit)
    encoding = resp.headers.get("Content-Encoding", "").strip().lower()
    stream = FindRecordStream()
    loop = asyncio.get_running_loop()
    received = 0
    paused_at = loop.time()
    async for chunk in resp.content.iter_any():
        received += len(chunk)
        if received > limit:
            raise _too_large(limit)
        stream.feed(chunk)
        if loop.time() - paused_at >= YIELD_EVERY:
            await asyncio.sleep(0)
            paused_at = loop.time()
    if declared is not None and encoding in ("", "identity") and received != declared:
        raise BrokenAnswer(f"answer cut short: {received} of {declared} bytes")
    return stream.finish()


def _too_large(limit: int) -> BrokenAnswer:
    mb = limit / (1024 * 1024)
    return BrokenAnswer(f"answer larger than {mb:g} MB (WOLKVOX_MAX_RESPONSE_MB)")


def _raise_for_status(status: int, headers: Mapping[str, str], body: bytearray) -> NoReturn:
    """Map a non-200, non-404 answer to its typed error."""
    retry_after = _retry_after(headers.get("Retry-After"))
    doc = _json_object(body)
    if status == 429:
        raise SimultaneousLimit("HTTP 429 Too Many Requests", retry_after=retry_after)
    if 500 <= status <= 599:
        raise Unavailable(f"HTTP {status} from Wolkvox ({_kind_of(body)})", retry_after=retry_after)
    if status in (400, 401, 403):
        if doc is not None:
            err = error_for(
                status,
                as_text(doc.get("code")) or str(status),
                as_text(doc.get("error")),
                as_text(doc.get("msg")),
            )
        else:
            # Not JSON: a plain-text Wolkvox message is still recognised by its words; any other
            # 403 page is a maintenance window or a proxy refusing: Wolkvox is unavailable.
            err = error_for(status, str(status), "", _plain_text(body))
            if status == 403 and type(err) in (UpstreamError, Unavailable):
                err = Unavailable(f"HTTP 403 from Wolkvox ({_kind_of(body)})")
        if err.retry_after is None:
            err.retry_after = retry_after
        raise err
    if 300 <= status <= 399:
        raise UpstreamError(
            f"HTTP {status}: Wolkvox redirected (not followed; check WOLKVOX_BASE_URL)",
            code=str(status),
        )
    message = as_text(doc.get("msg")) if doc is not None else ""
    raise UpstreamError(
        f"HTTP {status} from Wolkvox" + (f": {message[:200]}" if message else ""),
        code=str(status),
        message=message[:200],
    )


def _json_object(body: bytearray) -> dict[str, Any] | None:
    if not body:
        return None
    try:
        doc = _DECODER.decode(body)
    except msgspec.DecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def _msg_of(body: bytearray) -> str:
    doc = _json_object(body)
    return as_text(doc.get("msg"))[:200] if doc is not None else ""


def _items(data: Any) -> list[dict[str, Any]]:
    """`data` as a list of objects: null → [], one object → [it]; anything else is broken."""
    if data is None or data == "" or data == []:
        return []
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)]
    raise BrokenAnswer(f"unexpected `data` in Wolkvox's answer: {type(data).__name__}")


def _kind_of(body: bytearray) -> str:
    head = bytes(body[:512]).lstrip().lower()
    if not head:
        return "empty body"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "HTML page"
    if head[:1] in (b"{", b"["):
        return "JSON"
    return "non-JSON body"


def _plain_text(body: bytearray) -> str:
    """Readable words of a short non-JSON body (tags stripped), for message matching."""
    text = bytes(body[:4096]).decode("utf-8", "replace")
    text = re.sub(r"<[^>]*>", " ", text)
    return " ".join(text.split())[:300]


def _retry_after(raw: str | None) -> float | None:
    """Retry-After as seconds (delta or HTTP date), bounded to an hour; None when absent/bad."""
    if not raw:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:
        return None
    return max(0.0, min(seconds, 3600.0))


def _describe(exc: BaseException, secret: str) -> str:
    """A short, secret-free description of a transport exception (no URL query, no token)."""
    text = str(exc) or type(exc).__name__
    text = _QUERY_IN_TEXT_RE.sub("?…", text)
    if secret:
        text = text.replace(secret, "…")
    return f"{type(exc).__name__}: {text}"[:200]


__all__ = ["USER_AGENT", "WolkvoxClient", "WolkvoxError"]

"""Is this HTTP request from Slack? Decided before anything else reads or acts on it.

Slack signs every request: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">`
with the app's signing secret, and `X-Slack-Request-Timestamp` (whole seconds) must be within
five minutes. A request that fails any check is refused here with no body, so no error path of
the app (apology cards, ephemeral messages, logs of the body) ever sees it. Slack never
compresses its requests, so any `Content-Encoding` is refused before the body is read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from multidict import CIMultiDictProxy

log = logging.getLogger(__name__)

WINDOW = 300  # Slack's replay window: five minutes either side
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_SIGNATURE_RE = re.compile(r"v0=[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Rejection:
    status: int  # 400 malformed, 401 not signed by Slack, 415 compressed
    reason: str  # short, fixed words: never the request's own content


def encoding_rejection(headers: CIMultiDictProxy[str]) -> Rejection | None:
    """Refuse compressed bodies before reading them (a small body can inflate to gigabytes)."""
    if headers.getall("Content-Encoding", []):
        return Rejection(415, "content-encoding")
    return None


def signature_rejection(
    headers: CIMultiDictProxy[str], body: bytes, secret: str, now: float
) -> Rejection | None:
    """None when Slack signed `body` within the window; else why not."""
    stamps = headers.getall("X-Slack-Request-Timestamp", [])
    signatures = headers.getall("X-Slack-Signature", [])
    if len(stamps) != 1 or len(signatures) != 1:
        return Rejection(401, "missing or repeated signature headers")
    stamp, signature = stamps[0].strip(), signatures[0].strip()
    if not _TIMESTAMP_RE.fullmatch(stamp):
        return Rejection(401, "malformed timestamp")
    if abs(now - int(stamp)) > WINDOW:
        return Rejection(401, "timestamp outside the window")
    if not _SIGNATURE_RE.fullmatch(signature):
        return Rejection(401, "malformed signature")
    expected = hmac.new(
        secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest("v0=" + expected, signature):
        return Rejection(401, "bad signature")
    return None


def body_rejection(content_type: str, body: bytes) -> Rejection | None:
    """A signed body the app could not read: not UTF-8, or its JSON not an object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection(400, "body is not UTF-8")
    try:
        if content_type.startswith("application/json"):
            document: object = json.loads(text)
        else:
            payloads = parse_qs(text, keep_blank_values=True).get("payload")
            if not payloads:
                return None  # a slash command: plain form fields
            document = json.loads(payloads[0])
    except (ValueError, RecursionError):
        return Rejection(400, "unreadable JSON")
    if not isinstance(document, dict):
        return Rejection(400, "JSON is not an object")
    return None


class RejectionLog:
    """One short line per refused request (no body, no header values), at most `per_second`
    lines a second; the rest are counted and reported with the next line that is written."""

    def __init__(
        self, per_second: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = 1.0 / per_second
        self.clock = clock
        self._next_at = 0.0
        self._suppressed = 0

    def note(self, rejection: Rejection) -> None:
        now = self.clock()
        if now < self._next_at:
            self._suppressed += 1
            return
        self._next_at = now + self.interval
        more = f" (+{self._suppressed} more refused)" if self._suppressed else ""
        self._suppressed = 0
        log.warning("refused a request: HTTP %d, %s%s", rejection.status, rejection.reason, more)

"""Button values that carry a query without showing it.

A card posted in a channel shows phones masked, but Slack hands every button's `value` to
anyone who can read the message through the API. So the query behind Refresh / Show all is
sealed (Fernet: AES + HMAC) with a key derived from the signing secret, and only this bot can
read it back. A forged or stale value opens as None.

A value also says whether its card concealed what a shared card hides (phones, customer ids):
every path from such a card (Refresh, Show all) keeps them hidden.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

from bot.query import Query

MAX_AGE = 7 * 24 * 3600  # a week-old card's buttons still work; older ones ask to search again


@dataclass(frozen=True, slots=True)
class Opened:
    query: Query
    concealed: bool  # the card hid phones and ids: what comes from it hides them too


def _fernet(purpose: bytes, secret: str) -> Fernet:
    digest = hashlib.sha256(b"wolkvox-slack/" + purpose + b"\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


@dataclass(frozen=True, slots=True)
class DialTarget:
    """What a *Call* button dials, for whom: sealed on a card only its asker could read (the
    disclosure rule's `full_detail`), so nobody else can press it, read its phone, or forge one."""

    user: str  # the one the card was for: only they may press it
    operation: str  # the operation's key ("" for the only one)
    phone: str  # as Wolkvox stores it (what agentbox.php dials)
    customer_id: str = ""
    customer_name: str = ""


DIAL_MAX_AGE = 24 * 3600  # a day-old card's Call button asks to search again


class Sealer:
    def __init__(self, secret: str) -> None:
        self._fernet = _fernet(b"button-value/v1", secret)
        self._items = _fernet(b"handover/v1", secret)
        self._dials = _fernet(b"dial/v1", secret)

    def seal_dial(self, target: DialTarget) -> str:
        fields = [target.user, target.operation, target.phone, target.customer_id,
                  target.customer_name[:60]]  # fmt: skip
        payload = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
        return self._dials.encrypt(payload.encode()).decode("ascii")

    def open_dial(self, value: str) -> DialTarget | None:
        """The target, or None when forged, altered or a day old."""
        try:
            raw = self._dials.decrypt(value.encode("ascii"), ttl=DIAL_MAX_AGE)
            user, operation, phone, customer_id, name = (str(f) for f in json.loads(raw))
            return DialTarget(user, operation, phone, customer_id, name)
        except (InvalidToken, ValueError, TypeError, UnicodeError):
            return None

    def seal_item(self, data: bytes) -> bytes:
        """A hand-over item as only instances of this app can write it (bot.slack.handover):
        anyone else who can write to the store (a Redis shared with another app, a man in the
        middle) cannot make the bot look someone up or post a card anywhere."""
        return self._items.encrypt(data)

    def open_item(self, token: bytes, max_age: float) -> bytes | None:
        """The item's bytes, or None when forged, altered or older than `max_age` seconds."""
        try:
            return self._items.decrypt(token, ttl=int(max_age))
        except (InvalidToken, ValueError, TypeError):
            return None

    def seal(self, query: Query, *, concealed: bool = False) -> str:
        fields: dict[str, str | int] = {
            "p": query.phone,
            "i": query.customer_id,
            "c": query.campaign_id,
        }
        if query.operation:
            fields["o"] = query.operation  # `en ec`, or a pinned channel's operations
        if concealed:
            fields["h"] = 1
        payload = json.dumps(fields, separators=(",", ":"))
        return self._fernet.encrypt(payload.encode()).decode("ascii")

    def open(self, value: str) -> Opened | None:
        try:
            raw = self._fernet.decrypt(value.encode("ascii"), ttl=MAX_AGE)
            data = json.loads(raw)
            query = Query(
                phone=str(data["p"]),
                customer_id=str(data["i"]),
                campaign_id=str(data["c"]),
                operation=str(data.get("o", "")),
            )
            return Opened(query, concealed=data.get("h") == 1)
        except (InvalidToken, ValueError, KeyError, TypeError, UnicodeError):
            return None

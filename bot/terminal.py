"""`python -m bot find …`: one lookup from a terminal, printed as the card an agent would see.

The answer goes through the same card → text renderer as the demo, in WOLKVOX_LANG, so the
terminal says "Contestada" where the card says it. Failures raise; `bot.cli` turns them into
one line and an exit code.
"""

from __future__ import annotations

import time

from bot.config import Settings
from bot.errors import LookupFailure
from bot.query import parse_find_args
from bot.slack import cards
from bot.wiring import lookup_service
from bot.wolkvox.lookup import LookupResult

USAGE = (
    "usage: python -m bot find <phone> | find id <customer id> | find <phone|id …> campaign <id>"
)


def terminal_safe(text: str) -> str:
    """No control characters from Wolkvox reach the operator's terminal (newlines stay)."""
    return "\n".join(
        "".join(ch if ch.isprintable() else " " for ch in line) for line in text.split("\n")
    )


def format_result(result: LookupResult, settings: Settings, now: float) -> str:
    """The result card as text; phones as a private card shows them (WOLKVOX_MASK_PHONES)."""
    card = cards.render_result(
        result,
        lang=settings.lang,
        tz=settings.tz,
        now=now,
        mask_phones=settings.mask_phones == "always",
        actions=False,  # nothing to press in a terminal
    )
    return terminal_safe(cards.card_to_text(card))


def format_failure(error: LookupFailure, settings: Settings) -> str:
    """The error card in one line: its title — what to do."""
    text = cards.card_to_text(cards.render_error(error, lang=settings.lang))
    title, _, rest = text.partition("\n")
    parts = [title.strip(), " ".join(line.strip() for line in rest.splitlines() if line.strip())]
    return terminal_safe(" — ".join(part for part in parts if part))


async def find(text: str, settings: Settings) -> str:
    """Look `text` up (`find`'s arguments) and return the card as text.

    Raises `QueryError` for bad input and another `LookupFailure` when the lookup fails."""
    query = parse_find_args(text, settings.phone_region, settings.wolkvox_campaign_id)
    async with lookup_service(settings) as service:
        result = await service.lookup(query)
    return format_result(result, settings, time.time())

"""`python -m bot find …`: one lookup from a terminal, printed readably.

Exit 0 on an answer (no records included), 2 on bad input or settings, 1 on an upstream
failure; always a one-line message, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import TextIO

from bot.config import ConfigError, Settings, load_settings
from bot.errors import LookupFailure, QueryError
from bot.logs import setup_logging
from bot.query import parse_find_args
from bot.wolkvox.lookup import LookupResult, build_service, make_store
from bot.wolkvox.records import CampaignSummary

EXIT_OK = 0
EXIT_UPSTREAM = 1
EXIT_USAGE = 2

USAGE = (
    "usage: python -m bot find <phone> | find id <customer id> | find <phone|id …> campaign <id>"
)


def _date(c: CampaignSummary) -> str:
    if c.last_date is not None:
        return c.last_date.strftime("%Y-%m-%d %H:%M")
    return c.last_date_raw or "no date"


def _clean(text: str) -> str:
    """Terminal-safe: no control characters from Wolkvox reach the operator's terminal."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def format_result(result: LookupResult, now: float) -> str:
    """A plain-text summary: one line per campaign, most recent first."""
    answer = result.answer
    head = f"Wolkvox: {result.query.describe()}"
    if result.from_cache:
        age = int(result.age(now))
        source = f"from cache, {age // 60} min ago" if age >= 60 else f"from cache, {age} s ago"
    else:
        source = f"live, Wolkvox took {result.upstream_ms / 1000:.2f} s"
    if not answer.total_records:
        return f"{head}\nNo records found ({source})."
    lines = [
        head,
        f"{answer.total_records} record(s) in {len(answer.campaigns)} campaign(s) ({source})",
    ]
    for c in answer.campaigns:
        name = c.campaign_name or "campaign"
        calls = str(c.calls) if c.calls is not None else (c.calls_raw or "?")
        lines.append(
            f"- {_clean(name)} [{_clean(c.campaign_id)}]: {_clean(c.customer_name) or '(no name)'}"
            f" · last {_clean(_date(c))} · {_clean(c.last_result) or 'no result'}"
            f" · {calls} call(s) · call id {_clean(c.conn_id) or '-'}"
            f" · {c.records} record(s)"
        )
    return "\n".join(lines)


async def run_find(text: str, settings: Settings) -> LookupResult:
    query = parse_find_args(text, settings.phone_region, settings.wolkvox_campaign_id)
    store = make_store(settings)
    await store.start()
    service = build_service(settings, store)
    try:
        return await service.lookup(query)
    finally:
        await service.client.close()
        await store.close()


def main(argv: list[str], *, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    if not argv:
        print(USAGE, file=err)
        return EXIT_USAGE
    try:
        settings = load_settings()
        # Warnings (a spent token, a retry) must not add lines to the one-line answer; errors
        # still reach stderr, with secrets redacted.
        setup_logging(settings.secrets(), level=logging.ERROR)
        settings.require_wolkvox()
        query_text = " ".join(argv)
        result = asyncio.run(run_find(query_text, settings))
    except ConfigError as error:
        print(f"configuration error: {error}", file=err)
        return EXIT_USAGE
    except QueryError as error:
        print(f"bad query: {error.detail}\n{USAGE}", file=err)
        return EXIT_USAGE
    except LookupFailure as error:
        print(f"lookup failed: {describe_failure(error)}", file=err)
        return EXIT_UPSTREAM
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug must still end in one line, not a traceback
        print(f"unexpected error ({type(error).__name__}); please report it", file=err)
        return EXIT_UPSTREAM
    print(format_result(result, time.time()), file=out)
    return EXIT_OK


_FAILURES = {
    "token_missing": "no Wolkvox token was sent (check WOLKVOX_TOKEN)",
    "token_rejected": "Wolkvox rejected the token (check WOLKVOX_TOKEN)",
    "quota_exceeded": "the token's daily quota is spent; try again after midnight",
    "simultaneous_limit": "Wolkvox refused: too many requests at once on the token",
    "unavailable": "Wolkvox is unavailable (maintenance or network); try again shortly",
    "circuit_open": "Wolkvox keeps failing; not asking again for a moment",
    "timeout": "Wolkvox did not answer in time",
    "broken_answer": "Wolkvox gave a broken answer",
    "busy": "every token was busy for too long (WOLKVOX_QUEUE_TIMEOUT)",
    "store_unavailable": "the internal store (Redis) is unavailable",
}


def describe_failure(error: LookupFailure) -> str:
    text = _FAILURES.get(error.kind, "unexpected error")
    if error.kind == "upstream_error" and error.detail:
        text = f"Wolkvox answered with an error: {error.detail}"
    return text

"""Shared by the store suites: a value with every kind of field a codec must carry (dates,
nested structs, extras), and a poll-until helper for what happens across processes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.wolkvox.records import CampaignSummary, Fetched, FindAnswer, Record


def fetched(name: str = "Ana", n: int = 1) -> Fetched:
    summary = CampaignSummary(
        campaign_id="42",
        customer_name=name,
        customer_id="1020304050",
        phone="3001234567",
        last_date=datetime(2026, 1, 18, 19, 34, 31),
        last_date_raw="2026-01-18 19:34:31",
        last_result="Venta",
        calls=3,
        calls_raw="3",
        conn_id="c-1",
        records=n,
    )
    record = Record(customer_name=name, tel1="3001234567", extra={"x": "y"})
    answer = FindAnswer(total_records=n, campaigns=(summary,), records=(record,))
    return Fetched(answer=answer, fetched_at=1_700_000_000.5, upstream_ms=12.5)


async def until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)

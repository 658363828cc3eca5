"""Shared by the store suites: a value with every kind of field a codec must carry (dates,
nested structs, extras), a poll-until helper for what happens across processes, and two bot
instances' stores on either backend."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import pytest

from bot.store.base import Store
from bot.store.memory import MemoryStore
from bot.store.redis import RedisStore
from bot.wolkvox.lookup import FETCHED_CODEC
from bot.wolkvox.records import CampaignSummary, Fetched, FindAnswer, Record

Pair = tuple[Store[Fetched], Store[Fetched]]
BACKENDS = ("memory", "redis")


@contextlib.asynccontextmanager
async def two_instances(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[Pair]:
    """Two bot instances' stores: for "memory" one MemoryStore twice (one process shares one
    store), for "redis" two handles on one real redis-server (two bot processes)."""
    if backend == "memory":
        memory: MemoryStore[Fetched] = MemoryStore()
        await memory.start()
        try:
            yield memory, memory
        finally:
            await memory.close()
        return
    url = request.getfixturevalue("redis_url")
    stores = [RedisStore(url, FETCHED_CODEC) for _ in range(2)]
    for store in stores:
        await store.start()
    try:
        yield stores[0], stores[1]
    finally:
        for store in stores:
            await store.close()


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

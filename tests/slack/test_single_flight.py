"""SingleFlightCache: one read for many callers, reused for its ttl, the last value kept."""

from __future__ import annotations

import asyncio

import pytest

from bot.slack.single_flight import SingleFlightCache
from tests.doubles import GatedWork


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_many_callers_share_one_read_and_reuse_it_for_the_ttl() -> None:
    clock = Clock()
    cache: SingleFlightCache[str, str] = SingleFlightCache(ttl=60, maxsize=10, clock=clock)
    read = GatedWork(lambda n: f"v{n}")
    callers = [asyncio.create_task(cache.get("u", read)) for _ in range(20)]
    await asyncio.sleep(0)
    read.release()
    assert set(await asyncio.gather(*callers)) == {"v1"} and read.runs == 1
    assert await cache.get("u", read) == "v1" and read.runs == 1
    clock.now += 60
    assert cache.fresh("u") is None and cache.stale("u") == "v1"
    assert await cache.get("u", read) == "v2" and read.runs == 2


async def test_a_failed_read_reaches_every_waiter_and_keeps_the_last_value() -> None:
    clock = Clock()
    cache: SingleFlightCache[str, int] = SingleFlightCache(ttl=1, maxsize=10, clock=clock)

    async def good() -> int:
        return 7

    async def bad() -> int:
        await asyncio.sleep(0)
        raise TimeoutError("slack hangs")

    assert await cache.get("g", good) == 7
    clock.now += 5
    outcomes = await asyncio.gather(
        *(cache.get("g", bad) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(o, TimeoutError) for o in outcomes)
    assert cache.stale("g") == 7 and cache.fresh("g") is None


async def test_a_caller_that_gives_up_does_not_cancel_the_read() -> None:
    cache: SingleFlightCache[str, str] = SingleFlightCache(ttl=60, maxsize=10)
    gate = asyncio.Event()

    async def read() -> str:
        await gate.wait()
        return "done"

    impatient = asyncio.create_task(cache.get("k", read))
    patient = asyncio.create_task(cache.get("k", read))
    await asyncio.sleep(0)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    gate.set()
    assert await patient == "done"


async def test_bounded_oldest_first() -> None:
    cache: SingleFlightCache[int, int] = SingleFlightCache(ttl=60, maxsize=3)
    for key in range(5):

        async def read(value: int = key) -> int:
            return value

        await cache.get(key, read)
    assert [cache.stale(k) for k in range(5)] == [None, None, 2, 3, 4]

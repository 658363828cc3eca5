"""One running task per key (bot.store.sharing), shared by the store's lookups and the Slack
side's cached reads: its own bound and the work's errors are told apart."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import WaitTimedOut
from bot.store.sharing import SharedRuns
from tests.doubles import GatedWork


async def test_callers_share_one_run() -> None:
    runs: SharedRuns[int] = SharedRuns()
    work = GatedWork(lambda _: 42)
    callers = [asyncio.ensure_future(runs.run("k", work, timeout=None)) for _ in range(5)]
    await asyncio.sleep(0)
    assert runs.sharers("k") == 5
    work.release()
    results = await asyncio.gather(*callers)
    assert work.runs == 1
    assert [shared for _, shared in results].count(False) == 1
    assert {value for value, _ in results} == {42}


async def test_the_bound_of_the_wait_is_wait_timed_out() -> None:
    runs: SharedRuns[int] = SharedRuns()

    async def slow() -> int:
        await asyncio.sleep(5)
        return 1

    with pytest.raises(WaitTimedOut):
        await runs.run("k", slow, timeout=0.01)


async def test_the_works_own_timeout_error_is_its_own() -> None:
    """A read that times out on its side (Slack hangs) is not "no answer within N s"."""
    runs: SharedRuns[int] = SharedRuns()

    async def hangs_up() -> int:
        raise TimeoutError("slack hangs")

    with pytest.raises(TimeoutError) as caught:
        await runs.run("k", hangs_up, timeout=5.0)
    assert not isinstance(caught.value, WaitTimedOut)

"""PositionReporter: how the guard's news reaches a waiting agent (positions at most every few
seconds; "Wolkvox is slow" once, whatever the surface shows of positions)."""

from __future__ import annotations

from bot.slack.flow import PositionReporter
from bot.wolkvox.lookup import SERVING, SLOW


async def test_positions_are_sent_throttled_and_slow_once() -> None:
    sent: list[int] = []
    slow: list[str] = []

    async def send(position: int) -> None:
        sent.append(position)

    async def tell_slow() -> None:
        slow.append("slow")

    reporter = PositionReporter(send, slow=tell_slow)
    await reporter(3)
    await reporter(2)  # within POSITION_UPDATE_EVERY of the last update: not sent
    await reporter(SERVING)
    await reporter(SLOW)
    await reporter(SLOW)
    assert reporter.first.result() == 3
    assert sent == [3]
    assert slow == ["slow"]


async def test_slow_reaches_a_surface_that_shows_no_positions() -> None:
    slow: list[str] = []

    async def tell_slow() -> None:
        slow.append("slow")
        raise RuntimeError("Slack refused the update")  # logged, never raised to the lookup

    reporter = PositionReporter(None, slow=tell_slow)
    await reporter(SERVING)
    await reporter(SLOW)
    assert slow == ["slow"] and reporter.first.result() == SERVING

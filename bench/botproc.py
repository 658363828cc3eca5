"""The real bot in its own process, bound to loopback only.

`python -m bench.botproc` does what `python -m bot serve` does in HTTP mode (settings from the
environment, `create_bot`, the same aiohttp app, drain on SIGTERM) except that it listens on
127.0.0.1 instead of 0.0.0.0 and never reads a `.env` file, so a benchmark neither exposes a port
nor picks up a developer's real credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from aiohttp import web

from bot.config import ConfigError, load_settings
from bot.logs import setup_logging
from bot.slack.server import create_bot, create_web_app, drain, wait_for_stop_signal


async def _serve() -> None:
    settings = load_settings(dotenv=False)
    setup_logging(settings.secrets())
    bot = await create_bot(settings)
    runner = web.AppRunner(create_web_app(bot), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", settings.port)
        await site.start()
        await wait_for_stop_signal()
        await drain(bot)
    finally:
        await runner.cleanup()
        await bot.close()


def main() -> int:
    """Serve until SIGTERM; 2 on a configuration error."""
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve())
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

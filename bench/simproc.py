"""The Wolkvox simulator in its own process, with two benchmark-only additions.

`python -m bench.simproc --latency S [--port N]` serves the simulator's app
(`bot.devtools.wolkvox_sim.server`) unchanged on 127.0.0.1 and prints its base URL on the first
line of stdout. It adds:

- ``GET /_bench/stats``: the simulator's counters (find_record calls, distinct queries,
  refusals, peak calls in flight per token, no token names) and, per find_record answer, when the
  request arrived and when its last byte was handed to the socket (``time.monotonic()``, which on
  Linux is one clock for every process, so the benchmark can compare it with its own stamps);
- ``POST /_bench/reset``: start counting afresh (only while nothing is in flight).

Large answers are written explicitly (prepare, write, write_eof) so that "last byte sent" is a
real instant rather than "handler returned"; the bytes and headers the bot sees are the same.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp import web

from bot.devtools.wolkvox_sim.server import (
    CONFIG,
    DEMO_TOKENS,
    STATS,
    SimulatorConfig,
    SimulatorStats,
    create_app,
)

FIND_PATH: Final = "/api/v2/campaign.php"
STREAMED_ABOVE: Final = 1024 * 1024  # bodies larger than this are written explicitly and timed
MAX_TIMINGS: Final = 20_000

Timing = dict[str, Any]
_TIMINGS: Final = web.AppKey("bench_timings", list)
_BANDWIDTH: Final = web.AppKey("bench_bandwidth", float)  # bytes/s for big bodies; 0: as fast
PACE_PIECE: Final = 256 * 1024


async def _send(response: web.StreamResponse, body: bytes | bytearray, bandwidth: float) -> None:
    """Write a big body at once, or paced to `bandwidth` bytes/s (a real link to Wolkvox)."""
    if bandwidth <= 0:
        await response.write(body)
        return
    loop = asyncio.get_running_loop()
    started = loop.time()
    with memoryview(body) as view:
        for sent in range(0, len(body), PACE_PIECE):
            await response.write(view[sent : sent + PACE_PIECE])
            ahead = started + (sent + PACE_PIECE) / bandwidth - loop.time()
            if ahead > 0:
                await asyncio.sleep(ahead)


def stats_json(stats: SimulatorStats, timings: list[Timing] | None = None) -> dict[str, Any]:
    """What the benchmark needs from `SimulatorStats`, JSON-ready and without any token."""
    find_queries = [k for k in stats.queries if k.api == "find_record"]
    return {
        "total_requests": stats.total_requests,
        "find_record_calls": stats.find_record_calls(),
        "distinct_find_queries": len(find_queries),
        "campaigns_calls": sum(n for k, n in stats.queries.items() if k.api == "campaigns"),
        "refusals": {str(k): v for k, v in stats.refusals.items()},
        "max_concurrent_per_token": sorted(stats.max_concurrent.values(), reverse=True),
        "max_concurrent": stats.max_concurrent_overall,
        "dials": [dial[0] for dial in stats.dials],  # when each dial arrived (monotonic)
        "timings": list(timings or []),
    }


def reset_stats(stats: SimulatorStats) -> None:
    """Zero every counter in place (the app's key cannot be replaced once it runs)."""
    stats.total_requests = 0
    stats.dials.clear()
    for counter in (
        stats.requests_per_token,
        stats.max_concurrent,
        stats.refusals,
        stats.queries,
        stats.daily_use,
    ):
        counter.clear()
    stats.in_flight = Counter({k: v for k, v in stats.in_flight.items() if v})


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _timed(request: web.Request, handler: Handler) -> web.StreamResponse:
    # /api/v2/campaign.php, or /<operation>/api/v2/campaign.php when it serves several
    if not request.path.endswith(FIND_PATH) or request.query.get("api") != "find_record":
        return await handler(request)
    started = time.monotonic()
    response = await handler(request)
    body = response.body if isinstance(response, web.Response) else None
    size = len(body) if isinstance(body, bytes | bytearray) else 0
    if isinstance(body, bytes | bytearray) and size > STREAMED_ABOVE:
        streamed = web.StreamResponse(status=response.status)
        streamed.content_type = response.content_type
        streamed.charset = response.charset
        streamed.content_length = size
        await streamed.prepare(request)
        await _send(streamed, body, request.app[_BANDWIDTH])
        await streamed.write_eof()
        response = streamed
    timings: list[Timing] = request.app[_TIMINGS]
    if len(timings) < MAX_TIMINGS:
        timings.append(
            {
                "phone": request.query.get("customer_phone", ""),
                "operation": request.match_info.get("operation", ""),
                "campaign_id": request.query.get("campaign_id", ""),
                "status": response.status,
                "bytes": size,
                "arrived": started,
                "sent": time.monotonic(),
            }
        )
    return response


def create_bench_app(config: SimulatorConfig, bandwidth: float = 0.0) -> web.Application:
    """The simulator's own app plus the stats/reset endpoints and the send-time middleware."""
    app = create_app(config)
    app[_TIMINGS] = []
    app[_BANDWIDTH] = bandwidth
    app.middlewares.append(_timed)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(stats_json(request.app[STATS], request.app[_TIMINGS]))

    async def reset(request: web.Request) -> web.Response:
        if any(request.app[STATS].in_flight.values()):
            return web.json_response({"ok": False, "error": "calls in flight"}, status=409)
        reset_stats(request.app[STATS])
        request.app[_TIMINGS].clear()
        return web.json_response({"ok": True})

    async def config_view(request: web.Request) -> web.Response:
        cfg = request.app[CONFIG]
        return web.json_response(
            {"latency": cfg.latency, "simultaneous_limit": cfg.simultaneous_limit}
        )

    app.router.add_get("/_bench/stats", stats)
    app.router.add_post("/_bench/reset", reset)
    app.router.add_get("/_bench/config", config_view)
    return app


async def _serve(config: SimulatorConfig, port: int, bandwidth: float) -> None:
    app = create_bench_app(config, bandwidth)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    host, bound = runner.addresses[0][:2]
    print(f"http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


# The several-operations scenario's tokens (bench.scenarios.operations_env): two per operation.
OPERATION_TOKENS: Final = frozenset(f"bench-op{i}-t{n}" for i in range(64) for n in range(2))


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; the first stdout line is the base URL."""
    parser = argparse.ArgumentParser(prog="python -m bench.simproc")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--simultaneous-limit", type=int, default=2)
    parser.add_argument("--big-records", type=int, default=60_000)
    parser.add_argument("--slow-seconds", type=float, default=65.0)
    parser.add_argument("--bandwidth-mbps", type=float, default=0.0, help="pace big bodies (MB/s)")
    args = parser.parse_args(argv)
    config = SimulatorConfig(
        latency=args.latency,
        tokens=DEMO_TOKENS | OPERATION_TOKENS,
        simultaneous_limit=args.simultaneous_limit,
        big_records=args.big_records,
        slow_seconds=args.slow_seconds,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config, args.port, args.bandwidth_mbps * 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())

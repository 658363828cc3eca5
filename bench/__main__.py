"""`python -m bench [--quick] [--only NAME[,NAME]] [--markdown]`: run, print, save JSON; a full
run also rewrites docs/benchmarks.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import Metric, format_table, markdown_table, report
from bench.harness import scratch_dir
from bench.scenarios import SCENARIOS, Context, ScenarioResult

RESULTS = Path(__file__).resolve().parent / "results"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="shorter runs (steady load 10 s) for a smoke run"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scenarios to run: " + ", ".join(SCENARIOS),
    )
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {list(SCENARIOS)}")
    args.names = names or list(SCENARIOS)
    return args


async def _run(names: list[str], quick: bool) -> list[ScenarioResult]:
    results = []
    with scratch_dir() as log_dir:
        ctx = Context(quick=quick, log_dir=log_dir)
        for name in names:
            print(f"… {name}", file=sys.stderr, flush=True)
            started = time.monotonic()
            try:
                result = await SCENARIOS[name](ctx)
            except Exception as error:  # one broken scenario must not hide the others' numbers
                why = f"{type(error).__name__}: {error}"
                result = ScenarioResult(name, "failed", {}, error=why)
                result.metrics.append(Metric(name, "ran", "failed", "", "ran", False))
                traceback.print_exc()
            result.setup["wall_s"] = round(time.monotonic() - started, 1)
            results.append(result)
    return results


def _compare_modes(results: list[ScenarioResult]) -> None:
    """Say, from this run's numbers, why the bot runs in its own process."""
    by_name = {r.name: r for r in results}
    own, one = by_name.get("burst"), by_name.get("burst-1loop")
    if own is None or one is None:
        return

    def p99(r: ScenarioResult) -> str:
        return next((m.shown_value() for m in r.metrics if m.name == "ack p99"), "?")

    own.notes.append(
        f"bot in its own process (used for every scenario but burst-1loop): ack p99 {p99(own)}; "
        f"bot, simulator and driver in one event loop: {p99(one)}"
    )


def _machine(load_before: tuple[float, float, float]) -> dict[str, Any]:
    """Cores, and the load average before and after: other work on a 2-core machine (a test run)
    shows up in latencies, so the results say how busy the machine was."""
    return {
        "cpu_count": os.cpu_count(),
        "loadavg_1m_before": round(load_before[0], 2),
        "loadavg_1m_after": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios; exit 0 when they ran (missed targets are results, not errors)."""
    args = _parse(argv)
    load_before = os.getloadavg()
    results = asyncio.run(_run(args.names, args.quick))
    _compare_modes(results)
    metrics = [m for r in results for m in r.metrics]
    when = datetime.now(UTC)
    document = {
        "generated_at": when.isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": _machine(load_before),
        "scenarios": [r.as_json() for r in results],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if not args.quick and not args.only:  # latest.json is always a full run (docs/benchmarks.md)
        saved = RESULTS / "latest.json"
        saved.write_text(text, encoding="utf-8")
        report.write()
    else:  # a partial or quick run is for the one who ran it: not kept in the repository
        saved = RESULTS / "partial.json"
        saved.write_text(text, encoding="utf-8")

    machine = document["machine"]
    print(
        f"\nmachine: {machine['cpu_count']} cores, Python {machine['python']}, load average "
        f"{machine['loadavg_1m_before']} before / {machine['loadavg_1m_after']} after"
    )
    print(format_table(metrics))
    for r in results:
        for note in r.notes + ([r.error] if r.error else []):
            print(f"note [{r.name}]: {note}")
    missed = [m for m in metrics if m.met is False]
    print(f"\n{len(missed)} target(s) missed" + (": " if missed else "") +
          ", ".join(f"{m.scenario} {m.name}" for m in missed))  # fmt: skip
    print(f"results: {saved}")
    if args.markdown:
        print("\n" + markdown_table(metrics))
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

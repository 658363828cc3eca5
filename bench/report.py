"""`python -m bench.report`: docs/benchmarks.md from the latest full run (bench/results/latest.json)
and the hand-kept milestones (bench/milestones.md). `make bench` writes it after a full run; nobody
edits the page by hand, and a test checks it matches the JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench import Metric, markdown_table

ROOT = Path(__file__).resolve().parent.parent
LATEST = ROOT / "bench" / "results" / "latest.json"
MILESTONES = ROOT / "bench" / "milestones.md"
PAGE = ROOT / "docs" / "benchmarks.md"

# What each scenario does and what it must reach: the page's first table.
SCENARIOS: dict[str, tuple[str, str]] = {
    "burst": (
        "40 `/wolkvox` at once (24 different numbers, 16 × one number), "
        "`WOLKVOX_MAX_CONCURRENCY=1`",
        "every ack < 3 s, ack p99 < 100 ms, upstream calls = distinct queries, makespan (first "
        "command → last card) / limit (distinct × 250 ms / concurrency) ≤ 1.1, zero refusals",
    ),
    "burst-1loop": (
        "the same, bot + simulator + driver in one event loop (`bot.devtools.stack`)",
        "none: shows whether one process distorts the ack numbers",
    ),
    "no-guard": (
        "the same burst, `WOLKVOX_CACHE_TTL=0`, `WOLKVOX_COALESCE=false`",
        "none: shows what cache and coalescing buy",
    ),
    "big": (
        "one 60,000-record answer (~38 MB), against a bare client fetching it over the same "
        "loopback (as fast as loopback goes, and paced to a 50 MB/s link); then four at once",
        "last byte → card < 300 ms; peak RSS < 90 MB; card ≤ 1.5 × bare fetch; four < 300 MB",
    ),
    "light-acks": (
        "`/wolkvox help` from a new agent every 25 ms, idle and while four 60,000-record answers "
        "are read at once",
        "help ack p99 < 100 ms during the four big answers",
    ),
    "long-messages": (
        "waves of six 40,000-character DMs (`<@A|` repeated; `300 123 4567 ` repeated) for 10 s, "
        "while `/wolkvox help` comes from a new agent every 25 ms",
        "help ack p99 < 1 s",
    ),
    "stuck": (
        "one lookup hangs 30 s at Wolkvox; 0.5 s later 20 agents ask for distinct numbers; "
        "again with relief off (`WOLKVOX_STUCK_AFTER=0`) for the before",
        "every other lookup carded within 10 s; ≤ 2 in flight; no refusals; the stuck agent told",
    ),
    "export": (
        "*Export CSV* of the 60,000-record answer",
        "60,000 rows; ack < 3 s; peak RSS < 150 MB",
    ),
    "flood": (
        "1,500 distinct agents over 30 s on one token with one slot: far more than it can serve",
        "everyone answered or told busy; nobody told busy only after waiting in line; acks < 3 s",
    ),
    "steady": (
        "20 lookups/s for 60 s, 80 % repeats, 100 agents, `WOLKVOX_MAX_CONCURRENCY=2`",
        "ack p99 < 100 ms, no refusals, RSS growth < 25 MB, < 5 MB in the second half",
    ),
    "redis": ("the burst split over two bot processes sharing one Redis", "as burst"),
    "operations": (
        "`WOLKVOX_OPERATIONS` with 10 operations × 2 tokens (a simulator path each): 200 "
        "lookups over 40 numbers, each searched in all ten; then nine at 250 ms and one at 1 s "
        "(all against the slow one alone); one that hangs 60 s, one that is down; idle bots "
        "with 1 and 41 operations",
        "per token ≤ its concurrency, zero refusals, calls = distinct × operations, each "
        "operation's makespan ≤ 1.1 × its own limit (40 × 250 ms / 2 tokens); all ten ≤ 1.1 × "
        "the slowest alone; a hung or down one leaves the card ≤ latency + WOLKVOX_STUCK_AFTER "
        "+ 1 s",
    ),
    "dial": (
        "*Call* pressed while both of the token's slots hold 0.5 s lookups and 20 more wait "
        "(three runs)",
        "the dial reaches Wolkvox < 1 s after the next free slot; of the 20 queued, none goes "
        "before it but a slot freed while the press was checked; ≤ 2 in flight; no refusals",
    ),
}

INTRO = """# Benchmarks

[← README](../README.md)

`make bench` (`python -m bench`; `--quick` for a short smoke run, `--only burst,big` to pick
scenarios). Every scenario runs the real bot over HTTP on loopback, as Slack and Wolkvox would talk
to it: the Wolkvox simulator and the bot (`python -m bot serve`) each in their own process, a fresh
`redis-server` where Redis is used, and in the benchmark process a driver that signs requests like
Slack plus the Slack stand-in, where the cards arrive. Upstream latency 250 ms, one token, every
command from a different agent, one warm-up lookup before measuring. Bursts run three times in fresh
processes; the table shows the run with the median ack p99.

This page is written by `make bench` from its latest full run (`bench/results/latest.json`) and
`bench/milestones.md`; do not edit it by hand.
"""


def render(document: dict[str, Any], milestones: str) -> str:
    machine = document.get("machine", {})
    scenarios = document.get("scenarios", [])
    metrics = [Metric(**m) for s in scenarios for m in s.get("metrics", [])]
    lines = [INTRO]
    lines.append(
        f"**Latest run:** {document.get('generated_at', '?')}, {machine.get('cpu_count', '?')} "
        f"cores, Python {machine.get('python', '?')}, load average "
        f"{machine.get('loadavg_1m_before', '?')} before and "
        f"{machine.get('loadavg_1m_after', '?')} after.\n"
    )
    lines.append("| scenario | what | targets |\n|---|---|---|")
    for s in scenarios:
        what, targets = SCENARIOS.get(s["name"], (s.get("title", ""), ""))
        lines.append(f"| {s['name']} | {what} | {targets} |")
    lines.append("")
    lines.append(markdown_table(metrics))
    notes = [(s["name"], n) for s in scenarios for n in [*s.get("notes", []), s.get("error")] if n]
    if notes:
        lines.append("")
        lines.extend(f"- {name}: {note}" for name, note in notes)
    lines.append("")
    lines.append(milestones.strip())
    return "\n".join(lines).rstrip() + "\n"


def write() -> Path:
    document = json.loads(LATEST.read_text(encoding="utf-8"))
    PAGE.write_text(render(document, MILESTONES.read_text(encoding="utf-8")), encoding="utf-8")
    return PAGE


if __name__ == "__main__":
    print(write())
    sys.exit(0)

"""Benchmarks: the real bot over real HTTP on loopback, measured the way agents feel it.

`python -m bench [--quick] [--only NAME[,NAME]]` (or `make bench`) runs the scenarios in
`bench.scenarios`, prints a table (scenario, metric, value, target, met?) and writes the results as
JSON: a full run to `bench/results/latest.json` and `docs/benchmarks.md` (`bench.report`), a partial
one to `bench/results/partial.json` (not kept). This module holds the small pure
helpers the runner and the smoke test share: percentiles, metric rows, the table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Metric", "format_table", "markdown_table", "percentile", "summarize"]


def percentile(values: Sequence[float], p: float) -> float:
    """The `p`-th percentile (0..100) with linear interpolation between ranks (numpy's default).

    Benchmarks sample tens to thousands of latencies; interpolation keeps p99 of 40 samples from
    jumping straight to the maximum. Raises ValueError on an empty sample or p outside 0..100.
    """
    if not values:
        raise ValueError("percentile of an empty sample")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def summarize(values: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of a sample (all 0.0 for an empty one, so a failed run still reports)."""
    if not values:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    return {"p50": percentile(values, 50), "p99": percentile(values, 99), "max": max(values)}


@dataclass(frozen=True, slots=True)
class Metric:
    """One row of the results table. `met` is None for a number reported without a target."""

    scenario: str
    name: str
    value: float | int | str
    unit: str = ""
    target: str = ""
    met: bool | None = None

    def shown_value(self) -> str:
        """The value as a person reads it: 3 significant decimals at most, with its unit."""
        value = self.value
        if isinstance(value, bool | str):
            text = str(value)
        elif isinstance(value, int):
            text = f"{value:,}"
        elif abs(value) >= 100:
            text = f"{value:,.0f}"
        elif abs(value) >= 10:
            text = f"{value:.1f}"
        else:
            text = f"{value:.3g}"
        return f"{text} {self.unit}".strip()

    def shown_met(self) -> str:
        return "" if self.met is None else ("yes" if self.met else "NO")

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_HEADERS = ("scenario", "metric", "value", "target", "met?")


def _rows(metrics: Iterable[Metric]) -> list[tuple[str, str, str, str, str]]:
    return [(m.scenario, m.name, m.shown_value(), m.target, m.shown_met()) for m in metrics]


def format_table(metrics: Iterable[Metric]) -> str:
    """A plain-text table with aligned columns, for the terminal."""
    rows = _rows(metrics)
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(_HEADERS)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(_HEADERS), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    return "\n".join(out)


def markdown_table(metrics: Iterable[Metric]) -> str:
    """The same table as GitHub Markdown, for docs/benchmarks.md."""
    rows = _rows(metrics)
    out = ["| " + " | ".join(_HEADERS) + " |", "|" + "---|" * len(_HEADERS)]
    out.extend("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows)
    return "\n".join(out)

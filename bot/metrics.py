"""What operators read on `GET /metrics` (Prometheus text format, prometheus_client).

Counters and histograms are updated where things happen (a lookup, an upstream call, a Slack
call); gauges of live state (queue, in flight, calls used today, breaker) are read from the
service's status when /metrics is scraped. Labels are kinds, never values: a surface, an
outcome, an API name, a Slack method, an operation's key, a token's fingerprint. No phone
number, customer id, user id, server or secret appears in any label or value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REGISTRY = CollectorRegistry(auto_describe=True)

LOOKUPS = Counter(
    "wolkvox_lookups",
    "Lookups answered, by surface and outcome (ok, no_records, or an error kind).",
    ["surface", "outcome"],
    registry=REGISTRY,
)
UPSTREAM_SECONDS = Histogram(
    "wolkvox_upstream_seconds",
    "Time of one Wolkvox call, request to whole body (find_record: decoded as it arrives), by API"
    " and operation.",
    ["operation", "api"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60),
    registry=REGISTRY,
)
CACHE_HITS = Counter(
    "wolkvox_cache_hits", "Lookups answered from the cache.", ["operation"], registry=REGISTRY
)
CACHE_MISSES = Counter(
    "wolkvox_cache_misses", "Lookups not in the cache.", ["operation"], registry=REGISTRY
)
COALESCED = Counter(
    "wolkvox_coalesced_lookups",
    "Lookups that shared an identical call already in flight.",
    ["operation"],
    registry=REGISTRY,
)
SLOW_CALLS = Counter(
    "wolkvox_slow_calls",
    "find_record calls still running after WOLKVOX_STUCK_AFTER seconds (the agent is told).",
    ["operation"],
    registry=REGISTRY,
)
PER_OPERATION = (CACHE_HITS, CACHE_MISSES, COALESCED, SLOW_CALLS)
DIALS = Counter(
    "wolkvox_dials",
    "Presses of Call, by operation and outcome (dialled, a refusal's kind, dial_unknown, …).",
    ["operation", "outcome"],
    registry=REGISTRY,
)
SLACK_API_ERRORS = Counter(
    "wolkvox_slack_api_errors",
    "Slack Web API calls that failed, by method.",
    ["method"],
    registry=REGISTRY,
)
RESPONSE_URL_FAILURES = Counter(
    "wolkvox_response_url_failures",
    "Answers that could not be delivered to a response_url.",
    registry=REGISTRY,
)

BREAKER_STATES = ("closed", "open", "half_open", "unknown")


def start_operation(key: str) -> None:
    """Show an operation's counters at 0 from the start (a rate needs a first sample)."""
    for counter in PER_OPERATION:
        counter.labels(operation=key)


@dataclass(frozen=True, slots=True)
class TokenGauge:
    operation: str
    fingerprint: str
    in_flight: int
    waiting: int
    used_today: int
    quota: int | None


@dataclass(frozen=True, slots=True)
class OperationState:
    """One operation's live state, as /metrics shows it (labelled by the operation's key)."""

    operation: str
    queue_depth: int
    in_flight: int
    breaker: str


@dataclass(frozen=True, slots=True)
class LiveState:
    """What the service's status says right now, as /metrics shows it."""

    operations: Sequence[OperationState]
    tokens: Sequence[TokenGauge]


class _LiveCollector(Collector):
    def __init__(self, state: LiveState) -> None:
        self.state = state

    def collect(self) -> Iterable[Metric]:
        by_op = ["operation"]
        queue = GaugeMetricFamily(
            "wolkvox_queue_depth", "Lookups waiting for a token slot.", labels=by_op
        )
        busy = GaugeMetricFamily(
            "wolkvox_lookups_in_flight", "Lookups this process is working on.", labels=by_op
        )
        breaker = GaugeMetricFamily(
            "wolkvox_breaker_state",
            "1 for the breaker's current state.",
            labels=["operation", "state"],
        )
        for op in self.state.operations:
            queue.add_metric([op.operation], op.queue_depth)
            busy.add_metric([op.operation], op.in_flight)
            current = op.breaker.replace("-", "_")
            for state in BREAKER_STATES:
                breaker.add_metric([op.operation, state], 1.0 if state == current else 0.0)
        yield from (queue, busy, breaker)
        by_token = ["operation", "token"]
        in_flight = GaugeMetricFamily(
            "wolkvox_token_requests_in_flight", "Calls in flight on a token.", labels=by_token
        )
        waiting = GaugeMetricFamily(
            "wolkvox_token_waiting", "Lookups waiting for a token's slot.", labels=by_token
        )
        used = GaugeMetricFamily(
            "wolkvox_token_calls_today", "Calls a token made today.", labels=by_token
        )
        quota = GaugeMetricFamily(
            "wolkvox_token_quota", "A token's daily call limit, when known.", labels=by_token
        )
        for token in self.state.tokens:
            labels = [token.operation, token.fingerprint]
            in_flight.add_metric(labels, token.in_flight)
            waiting.add_metric(labels, token.waiting)
            used.add_metric(labels, token.used_today)
            if token.quota is not None:
                quota.add_metric(labels, token.quota)
        yield from (in_flight, waiting, used, quota)


def exposition(state: LiveState) -> bytes:
    """The whole /metrics page: the process's counters, then the live gauges."""
    live = CollectorRegistry(auto_describe=False)
    live.register(_LiveCollector(state))
    return generate_latest(REGISTRY) + generate_latest(live)

"""`GET /metrics` end to end: Prometheus text on the bot's own port, every promised metric, and
no personal data or secret in any label or value."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

from bot.devtools.stack import AGENT, Stack
from tests.e2e.conftest import (
    NO_RECORDS_PHONE,
    SHOWCASE_ID,
    SHOWCASE_PHONE,
    TOKEN,
    command_answer,
    settle,
)

PROMISED = {
    "wolkvox_lookups",
    "wolkvox_upstream_seconds",
    "wolkvox_cache_hits",
    "wolkvox_cache_misses",
    "wolkvox_coalesced_lookups",
    "wolkvox_slow_calls",
    "wolkvox_slack_api_errors",
    "wolkvox_response_url_failures",
    "wolkvox_queue_depth",
    "wolkvox_lookups_in_flight",
    "wolkvox_breaker_state",
    "wolkvox_token_requests_in_flight",
    "wolkvox_token_waiting",
    "wolkvox_token_calls_today",
    "wolkvox_token_quota",
}


async def scrape(stack: Stack) -> tuple[str, str]:
    url = stack.events_url.rsplit("/slack/events", 1)[0] + "/metrics"
    async with stack.session.get(url) as resp:
        assert resp.status == 200
        return resp.headers["Content-Type"], await resp.text()


async def test_metrics_name_every_promised_series_without_personal_data(stack: Stack) -> None:
    await command_answer(stack, f"find {SHOWCASE_PHONE}")
    await command_answer(stack, f"find {SHOWCASE_PHONE}")  # a cache hit
    await command_answer(stack, f"find id {SHOWCASE_ID}")
    await command_answer(stack, f"find {NO_RECORDS_PHONE}")
    await settle(stack)
    content_type, page = await scrape(stack)
    assert content_type.startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(page)}
    missing = PROMISED - set(families)
    # A counter family with no sample yet still has its HELP/TYPE lines; the token quota
    # family is empty when no quota is configured.
    assert not missing, missing
    lookups = {
        (s.labels["surface"], s.labels["outcome"]): s.value
        for s in families["wolkvox_lookups"].samples
        if s.name == "wolkvox_lookups_total"
    }
    assert lookups[("command", "ok")] >= 3 and lookups[("command", "no_records")] >= 1
    apis = {s.labels.get("api") for s in families["wolkvox_upstream_seconds"].samples}
    assert "find_record" in apis
    [closed] = [
        s for s in families["wolkvox_breaker_state"].samples if s.labels["state"] == "closed"
    ]
    assert closed.value == 1
    for secret in (
        SHOWCASE_PHONE,
        SHOWCASE_PHONE[-7:],
        NO_RECORDS_PHONE,
        SHOWCASE_ID,
        AGENT,
        TOKEN,
        TOKEN[-8:],
        stack.signing_secret,
    ):
        assert secret not in page, secret
    labels = set(re.findall(r'(\w+)="', page))
    assert labels <= {"surface", "outcome", "api", "method", "state", "token", "operation", "le"}


async def test_slack_api_errors_are_counted_by_method(stack: Stack) -> None:
    stack.slack.fail("chat.postMessage")
    await stack.mention(f"find {SHOWCASE_PHONE}")
    await stack.slack.wait_for("chat.postMessage", 1)
    await settle(stack)
    _, page = await scrape(stack)
    assert re.search(r'wolkvox_slack_api_errors_total\{method="chat\.postMessage"\} [1-9]', page)


async def test_metrics_ask_for_the_bearer_token_when_one_is_set(stack: Stack) -> None:
    """METRICS_TOKEN: without it (or with a wrong one) 401, with it the page."""
    from bot.devtools.stack import local_stack

    secret = "metrics-" + "q" * 24
    async with local_stack(env={"WOLKVOX_TOKEN": TOKEN, "METRICS_TOKEN": secret}) as guarded:
        url = guarded.events_url.rsplit("/slack/events", 1)[0] + "/metrics"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": secret}):
            async with guarded.session.get(url, headers=headers) as resp:
                assert resp.status == 401
                assert secret not in await resp.text()
        auth = {"Authorization": f"Bearer {secret}"}
        async with guarded.session.get(url, headers=auth) as resp:
            assert resp.status == 200
            assert "wolkvox_lookups" in await resp.text()
    # Without METRICS_TOKEN the page stays open (a private network's scraper).
    await scrape(stack)


async def test_token_fingerprints_on_metrics_are_not_a_plain_hash(stack: Stack) -> None:
    import hashlib

    _, page = await scrape(stack)
    assert hashlib.sha256(TOKEN.encode()).hexdigest()[:12] not in page
    assert stack.settings.wolkvox_tokens[0].fingerprint in page

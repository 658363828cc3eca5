"""The Workflow Builder step `find_customer` end to end: a signed `function_executed` event,
the one lookup flow, and `functions.completeSuccess` / `completeError` with the run's token."""

from __future__ import annotations

import pytest

from bot.devtools.fakeslack import requests as sr
from bot.devtools.stack import AGENT, Stack
from tests.e2e.conftest import (
    MARKUP_PHONE,
    NO_RECORDS_PHONE,
    SHOWCASE_ID,
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    assert_acked,
    find_calls,
    settle,
    upstream_requests,
)


async def result_of(stack: Stack, execution_id: str, timeout: float = 10.0) -> dict[str, object]:
    return await stack.slack.wait_for_function_result(execution_id, timeout)


async def test_step_completes_with_the_customers_outputs(stack: Stack) -> None:
    status, _, elapsed, run = await stack.workflow_step({"phone": "300 123 4567"})
    assert_acked(status, elapsed)
    result = await result_of(stack, run)
    outputs = result["outputs"]
    assert isinstance(outputs, dict)
    assert outputs["found"] is True
    assert outputs["customer_name"] == SHOWCASE_NAME
    assert outputs["customer_id"] == "••••••4050"  # read in channels: masked as shared cards
    assert outputs["campaign_count"] == 3
    assert outputs["last_result"] and outputs["last_date"] and outputs["last_campaign"]
    assert outputs["conn_id"]
    assert SHOWCASE_NAME in str(outputs["summary"])
    assert SHOWCASE_PHONE not in str(outputs)  # no phone in what a workflow may post
    assert find_calls(stack) == 1


async def test_no_records_is_a_success_with_found_false(stack: Stack) -> None:
    _, _, _, run = await stack.workflow_step({"phone": NO_RECORDS_PHONE})
    outputs = (await result_of(stack, run))["outputs"]
    assert isinstance(outputs, dict)
    assert outputs["found"] is False and outputs["campaign_count"] == 0
    assert "••••••9999" in str(outputs["summary"])


async def test_a_customer_id_alone_works(stack: Stack) -> None:
    _, _, _, run = await stack.workflow_step({"customer_id": SHOWCASE_ID, "phone": ""})
    outputs = (await result_of(stack, run))["outputs"]
    assert isinstance(outputs, dict) and outputs["found"] is True


@pytest.mark.parametrize(
    "inputs",
    [
        {},
        {"phone": "", "customer_id": ""},
        {"phone": "no es un teléfono"},
        {"phone": "3001234567", "campaign_id": "cuarenta"},
        {"phone": 3001234567},  # a number where Slack sends strings: read as missing
    ],
)
async def test_bad_input_fails_the_step_with_one_plain_line(
    stack: Stack, inputs: dict[str, object]
) -> None:
    status, _, elapsed, run = await stack.workflow_step(inputs)
    assert_acked(status, elapsed)
    result = await result_of(stack, run)
    error = result["error"]
    assert isinstance(error, str) and error
    assert "\n" not in error and "Traceback" not in error and "xwfp-" not in error
    await settle(stack)
    assert upstream_requests(stack) == 0


async def test_wolkvox_markup_in_a_name_cannot_ping_a_channel(stack: Stack) -> None:
    _, _, _, run = await stack.workflow_step({"phone": MARKUP_PHONE})
    outputs = (await result_of(stack, run))["outputs"]
    assert isinstance(outputs, dict)
    assert "<!channel>" not in str(outputs) and "<@" not in str(outputs)


@pytest.mark.simulator(maintenance=True)
async def test_an_upstream_failure_fails_the_step_plainly(stack: Stack) -> None:
    _, _, _, run = await stack.workflow_step({"phone": SHOWCASE_PHONE})
    error = (await result_of(stack, run, timeout=20))["error"]
    assert isinstance(error, str) and "Wolkvox" in error
    assert "Traceback" not in error and "\n" not in error


async def test_a_retried_event_runs_the_step_once(stack: Stack) -> None:
    body, execution_id = stack.workflow_step_body({"phone": SHOWCASE_PHONE}, event_id="EvRETRIED01")
    await stack.post(body, sr.JSON)
    await stack.post(body, sr.JSON, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"})
    await result_of(stack, execution_id)
    await settle(stack)
    assert find_calls(stack) == 1
    assert stack.slack.calls("functions.completeError") == []


@pytest.mark.stack_env(WOLKVOX_USER_RATE="2")
async def test_runs_without_a_user_share_one_bucket_per_workspace(stack: Stack) -> None:
    runs = [(await stack.workflow_step({"phone": SHOWCASE_PHONE}))[3] for _ in range(3)]
    results = [await result_of(stack, run) for run in runs]
    assert [("outputs" in r) for r in results] == [True, True, False]
    assert "error" in results[2]


@pytest.mark.stack_env(WOLKVOX_USER_RATE="1")
async def test_requested_by_counts_against_that_users_own_limit(stack: Stack) -> None:
    stack.slack.add_user("U0OTHER01")
    first = (await stack.workflow_step({"phone": SHOWCASE_PHONE, "requested_by": AGENT}))[3]
    other = (await stack.workflow_step({"phone": SHOWCASE_PHONE, "requested_by": "U0OTHER01"}))[3]
    again = (await stack.workflow_step({"phone": SHOWCASE_PHONE, "requested_by": AGENT}))[3]
    assert "outputs" in await result_of(stack, first)
    assert "outputs" in await result_of(stack, other)
    assert "error" in await result_of(stack, again)


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERS=AGENT)
async def test_requested_by_a_user_not_allowed_is_refused(stack: Stack) -> None:
    run = (await stack.workflow_step({"phone": SHOWCASE_PHONE, "requested_by": "U0STRANGER"}))[3]
    assert "error" in await result_of(stack, run)
    await settle(stack)
    assert upstream_requests(stack) == 0

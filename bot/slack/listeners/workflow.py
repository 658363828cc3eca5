"""The Workflow Builder step `find_customer` (a remote function, `function_executed`): inputs
phone / customer_id / campaign_id (/ operation) → the one lookup flow → `complete(outputs=…)`, or
`fail(error=…)` with one plain line on bad input or an upstream failure.

"No records" is a success with `found: false`. The step has no Slack user of its own: its
`requested_by` input, when the workflow fills it, is whose access and search limit apply;
otherwise one bucket per workspace (the event names the run, not the workflow).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail

from bot.errors import QueryError
from bot.query import build_query
from bot.slack import ids, payloads
from bot.slack.flow import Ask, LookupFlow
from bot.slack.replies import StepReply
from bot.slack.runtime import new_error_id

log = logging.getLogger(__name__)


def _input(inputs: dict[str, Any], name: str) -> str:
    value = inputs.get(name)
    return value.strip() if isinstance(value, str) else ""


class WorkflowListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def on_find_customer(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        complete: AsyncComplete,
        fail: AsyncFail,
    ) -> None:
        rt = self.flow.rt
        raw_inputs = event.get("inputs")
        inputs: dict[str, Any] = raw_inputs if isinstance(raw_inputs, dict) else {}
        actor = payloads.actor_from_function(body, _input(inputs, "requested_by"))
        team = actor.team_id
        reply = StepReply(complete, fail, rt.settings.lang, rt.settings.tz)
        async with rt.tracked(apologize=reply.apologize):
            if not await self.flow.first_delivery(str(body.get("event_id") or ""), reply):
                return  # Slack's retry of a run already being answered
            # Outputs go wherever the workflow posts them: a conversation the bot cannot name
            # (""), so a channel allow-list refuses the step rather than guess.
            ask = Ask(actor, rt.lang_now(actor), "", visible=True, bucket=f"workflow:{team}")
            try:
                query = build_query(
                    phone=_input(inputs, "phone"),
                    customer_id=_input(inputs, "customer_id"),
                    campaign_id=_input(inputs, "campaign_id") or rt.settings.wolkvox_campaign_id,
                    operation=_input(inputs, "operation"),
                    region=rt.settings.phone_region,
                )
            except QueryError as error:
                await self.flow.usage(ask, error, reply)
                return
            await self.flow.find(ask, [query], reply)
            if not reply.done:  # never leave a run hanging
                error_id = new_error_id()
                log.error("workflow step ended without an answer (error id %s)", error_id)
                await reply.apologize(error_id)


def register(app: AsyncApp, flow: LookupFlow) -> None:
    app.function(ids.FUNCTION_FIND_CUSTOMER, auto_acknowledge=True)(
        WorkflowListener(flow).on_find_customer
    )

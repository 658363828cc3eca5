"""The Workflow Builder step `find_customer` (a remote function, `function_executed`): inputs
phone / customer_id / campaign_id → the one lookup flow → `complete(outputs=…)`, or
`fail(error=…)` with one plain line on bad input or an upstream failure.

"No records" is a success with `found: false`. The step has no Slack user of its own: its
`requested_by` input, when the workflow fills it, is whose access and search limit apply;
otherwise one bucket per workspace (the event names the run, not the workflow).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail

from bot.errors import QueryError
from bot.i18n import t
from bot.query import Query, build_query
from bot.slack import cards, ids
from bot.slack.cards.workflow import failure_reason, step_outputs
from bot.slack.flow import Ask, LookupFlow
from bot.slack.replies import CardStyle, Route
from bot.slack.runtime import Actor, Outcome, new_error_id

log = logging.getLogger(__name__)


class StepReply:
    """Answers a workflow run: exactly one of complete / fail, whatever happens."""

    style = CardStyle(actions=False, follow_positions=False)

    def __init__(
        self, complete: AsyncComplete, fail: AsyncFail, lang: str, flow: LookupFlow
    ) -> None:
        self._complete = complete
        self._fail = fail
        self.lang = lang
        self.flow = flow
        self.done = False

    async def _finish(self, *, outputs: dict[str, Any] | None = None, error: str = "") -> None:
        if self.done:
            return
        self.done = True
        try:
            if outputs is not None:
                await self._complete(outputs=outputs)
            else:
                await self._fail(error=error)
        except Exception as exc:  # Slack refused or is down: the run times out on its side
            log.warning("workflow step could not report back: %s", type(exc).__name__)

    async def notice(self, card: cards.Card) -> None:
        await self._finish(error=failure_reason(card))

    async def waiting(self, query: Query, position: int | None, *, lang: str, mask: bool) -> None:
        """A workflow run shows nothing while it waits."""

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        outcome = outcomes[0] if outcomes else Outcome()
        if outcome.result is None:
            await self._finish(error=failure_reason(card))
            return
        settings = self.flow.rt.settings
        outputs = step_outputs(
            outcome.result.answer,
            outcome.result.query.masked(),
            lang=self.lang,
            tz=settings.tz,
            hide_ids=outcome.disclosure.conceal,
        )
        await self._finish(outputs=outputs)

    async def apologize(self, error_id: str) -> None:
        await self._finish(error=t(self.lang, "workflow_unexpected", id=error_id))

    async def interrupted(self, card: cards.Card) -> None:
        await self._finish(error=failure_reason(card))

    def route_for_handover(self) -> Route | None:
        return None  # the run's token is this event's: the step fails "restarted, run again"


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
        team = str(body.get("team_id") or "")
        requested_by = _input(inputs, "requested_by")
        actor = Actor(
            team_id=team, user_id=requested_by, channel_id="", surface="workflow", orgs=None
        )
        reply = StepReply(complete, fail, rt.settings.lang, self.flow)
        async with rt.tracked(apologize=reply.apologize):
            if not await self.flow.first_delivery(str(body.get("event_id") or ""), reply):
                return  # Slack's retry of a run already being answered
            reply.lang = await rt.lang_for(actor) if requested_by else rt.settings.lang
            ask = Ask(actor, reply.lang, None, bucket=f"workflow:{team}")
            try:
                query = build_query(
                    phone=_input(inputs, "phone"),
                    customer_id=_input(inputs, "customer_id"),
                    campaign_id=_input(inputs, "campaign_id") or rt.settings.wolkvox_campaign_id,
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

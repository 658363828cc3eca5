"""Answers a Workflow Builder run (`function_executed`): exactly one of complete (the step's
outputs) or fail (one plain line), whatever happens. A run shows nothing while it waits, and
cannot be handed over (its token is this event's: it fails "restarted, run again")."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail

from bot.i18n import t
from bot.slack import cards
from bot.slack.cards.workflow import failure_reason, step_outputs
from bot.slack.replies.base import BaseReply, CardStyle
from bot.slack.runtime import Outcome

log = logging.getLogger(__name__)


class StepReply(BaseReply):
    style = CardStyle(actions=False, follow_positions=False)

    def __init__(self, complete: AsyncComplete, fail: AsyncFail, lang: str, tz: tzinfo) -> None:
        self._complete = complete
        self._fail = fail
        self.lang = lang
        self.tz = tz
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

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        outcome = outcomes[0] if outcomes else Outcome()
        if outcome.result is None:
            await self._finish(error=failure_reason(card))
            return
        outputs = step_outputs(
            outcome.result.answer,
            outcome.result.query,
            lang=self.lang,
            tz=self.tz,
            hide_ids=outcome.disclosure.conceal,
        )
        await self._finish(outputs=outputs)

    async def update(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        return None  # the step's outputs are given once; the next steps have run on them

    async def apologize(self, error_id: str) -> None:
        await self._finish(error=t(self.lang, "workflow_unexpected", id=error_id))

"""What every reply shares: the `Reply` protocol the flow speaks to, `BaseReply` with a default
for everything but `notice`, how a card is shown (`CardStyle`), where an answer can go from any
instance (`Route`), and the small cards any surface may need.

A reply is chosen by how it delivers (the modules beside this one), not by which listener uses
it: a new surface picks one, or writes one that implements `notice` and what else it delivers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import msgspec

from bot.errors import LookupFailure, ShuttingDown
from bot.query import Query
from bot.slack import cards
from bot.slack.access import Denial
from bot.slack.disclosure import Disclosure
from bot.slack.ids import MAX_MESSAGE_BLOCKS
from bot.slack.runtime import Outcome


class Route(msgspec.Struct, frozen=True):
    """Where an answer goes, in a form any instance can use (a restart's hand-over)."""

    kind: Literal["response_url", "thread", "view"]
    url: str = ""  # response_url
    response_type: Literal["ephemeral", "in_channel"] = "ephemeral"
    replace_original: bool = False
    channel: str = ""  # thread
    ts: str = ""  # the "searching…" message to replace ("" to post anew)
    thread_ts: str = ""
    view_id: str = ""  # view


@dataclass(frozen=True, slots=True)
class CardStyle:
    """How a surface shows its answer.

    `visible`: the whole conversation reads the card (phones masked unless
    WOLKVOX_MASK_PHONES=never). `audience_lang`: the card's language when not the asker's (a
    card shared into a channel). `quick`: how long the first reply may wait for the answer
    itself (a slash command's ack can be the card); 0 shows the placeholder at once.
    `follow_positions`: tell queue positions after the first (where the placeholder can be
    updated). `wait_for_locale`: the card may wait for the user's Slack locale. What the card
    may show is not the style's to say: the flow decides it (bot.slack.disclosure).
    """

    visible: bool = False
    max_blocks: int = MAX_MESSAGE_BLOCKS
    actions: bool = True
    shared_by: str | None = None
    audience_lang: str | None = None
    quick: float = 0.0
    follow_positions: bool = True
    wait_for_locale: bool = True  # False where a trigger id dies first (a new modal)


class Reply(Protocol):
    """How one surface answers. Every method is called at most as the flow says, never raises
    for a failed delivery (it logs), and may be called after the ack."""

    style: CardStyle
    lang: str  # what it says of its own (an apology); the flow updates it (`reader_lang`)

    async def notice(self, card: cards.Card) -> None:
        """A private answer that is not a lookup's: usage, help, status, refusal, restarting."""

    async def waiting(
        self, query: Query, position: int | None, *, lang: str, seen: Disclosure
    ) -> None:
        """The lookup is under way: `None` right after it starts (a placeholder), then its
        1-based place in the token's queue (when `style.follow_positions`), and SLOW (-1) once
        if Wolkvox takes `WOLKVOX_STUCK_AFTER` seconds over it."""

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        """The lookup's card (for several queries, their cards in one)."""

    async def update(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        """The same answer made whole (an operation that was still searching has answered):
        in place of the card where the surface can replace it, else as a new private card;
        nothing where neither fits (a card shared into a channel, a workflow's outputs)."""

    async def apologize(self, error_id: str) -> None:
        """A bug cut the flow short: say sorry with the id an admin finds in the logs."""

    async def interrupted(self, card: cards.Card) -> None:
        """The bot stopped before the answer: put `card` ("restarted, search again") where
        the answer would have gone, replacing any "searching…" placeholder."""

    def route_for_handover(self) -> Route | None:
        """Where another instance could deliver this answer, or None when only this one can."""


class BaseReply:
    """A reply's defaults: show nothing while waiting, answer and apologize as a notice, put
    "restarted" where the answer goes, and never be handed over. A delivery overrides `notice`
    and whatever else it does differently. An update is answered again (a delivery that
    replaces its card, replaces it)."""

    style: CardStyle = CardStyle()
    lang: str = "es"

    async def notice(self, card: cards.Card) -> None:
        raise NotImplementedError

    async def waiting(
        self, query: Query, position: int | None, *, lang: str, seen: Disclosure
    ) -> None:
        return None

    async def answer(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        await self.notice(card)

    async def update(self, card: cards.Card, outcomes: Sequence[Outcome]) -> None:
        await self.answer(card, outcomes)

    async def apologize(self, error_id: str) -> None:
        await self.notice(apology_card(self.lang, error_id))

    async def interrupted(self, card: cards.Card) -> None:
        await self.answer(card, ())

    def route_for_handover(self) -> Route | None:
        return None


def searching_card(query: Query, position: int | None, lang: str, seen: Disclosure) -> cards.Card:
    """ "Searching…" with the place in line or "Wolkvox is slow": the phone and id hidden as
    the answer will hide them."""
    return cards.render_searching(
        query, lang=lang, mask_phones=seen.mask_phones, mask_id=seen.conceal, position=position
    )


def denial_card(denial: Denial, lang: str) -> cards.Card:
    if denial.reason == "rate":
        return cards.render_rate_limited(lang, denial.retry_after)
    if denial.reason == "nobody":
        return cards.render_nobody_to_check(lang)
    return cards.render_refusal(lang)


def apology_card(lang: str, error_id: str) -> cards.Card:
    """Sorry, something went wrong on our side: with the id an admin finds in the logs."""
    return cards.render_error(LookupFailure("unexpected error"), lang=lang, error_id=error_id)


def shutting_down_card(lang: str) -> cards.Card:
    return cards.render_error(ShuttingDown("restarting"), lang=lang)


def restarted_card(lang: str) -> cards.Card:
    """For an agent whose lookup the bot's own restart cut short."""
    return cards.render_restarted(lang)

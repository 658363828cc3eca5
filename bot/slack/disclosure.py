"""Who may see what of a customer: decided once per request, in the flow, and carried from there.

Three facts decide it, and nothing else:
- who will read the answer (`Audience`): only the asker (an ephemeral note, a modal, their DM),
  a conversation (a channel, a thread), or a workflow's next steps (which post wherever the
  workflow says, so they count as a conversation);
- what the origin allowed: a card that hid phones and customer ids hides them on every path that
  starts from it (its buttons, Show all, Refresh, Export, *Search again*, a hand-over). Sealed
  values (bot.slack.sealed) and hand-over items carry that bit; nothing unsealed can lower it;
- WOLKVOX_MASK_PHONES (`always`, `shared` by default, `never`).

Who is *asking* (allowed user, team, channel) is the access rule's (bot.slack.access); this
module says what an answer that may be given shows. Listeners never decide either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.config import MaskMode


class Audience(StrEnum):
    ASKER = "asker"
    CONVERSATION = "conversation"
    WORKFLOW = "workflow"


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What one answer may show.

    `conceal`: phones and customer ids hidden as on a shared card. `mask_phones`: phones masked
    (always when concealed). `full_detail`: the answer is the asker's alone and hides nothing
    the rule hides, so whatever reveals more (Export CSV, a dial) may be offered from it."""

    audience: Audience
    conceal: bool
    mask_phones: bool

    @property
    def full_detail(self) -> bool:
        return self.audience is Audience.ASKER and not self.conceal

    @property
    def may_dial(self) -> bool:
        """A *Call* button: only on a card its asker alone reads and that hides nothing (never
        on a shared or channel card, a workflow's outputs, or anything from a masked origin)."""
        return self.full_detail


def decide(
    mode: MaskMode, audience: Audience, *, origin_concealed: bool = False, shared: bool = False
) -> Disclosure:
    """The one rule. Conceal when the origin did, when the card is shared into a channel, or
    when others read it (a conversation, a workflow) unless masking is off (`never`)."""
    read_by_others = audience is not Audience.ASKER
    conceal = origin_concealed or shared or (read_by_others and mode != "never")
    mask_phones = conceal or mode == "always"
    return Disclosure(audience, conceal=conceal, mask_phones=mask_phones)


# What an answer shows before the flow has decided: nothing a shared card would hide.
HIDE_ALL = Disclosure(Audience.WORKFLOW, conceal=True, mask_phones=True)

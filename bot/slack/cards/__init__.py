"""Lookup results, errors and help → Slack Block Kit. Pure: values in, dicts out.

No I/O and no clock reads (`now` is passed in), so every card can be tested, and fuzzed, as a
plain function. Three promises hold for every card, whatever Wolkvox sends:

- Inert: every value from Wolkvox is escaped for mrkdwn (`mrkdwn`).
- Within Slack's limits (`bot.slack.ids`): ≤ `max_blocks` blocks, ≤ 3000 chars per text,
  ≤ 10 fields of ≤ 2000, header ≤ 150, all text under `TEXT_BUDGET`; a cut card says how much
  it left out.
- Private data stays private: when a card is shared (or masking is on) every phone shows only
  its last 4 digits, in the header, the fields, the fallback text and the button values.

One module a job: `mrkdwn` (escaping), `blocks` (primitives), `result` (the answer card),
`notices` (errors, help, status), `multi` (several answers), `modals`, `text` (terminal).
"""

from bot.slack.cards.blocks import Block, Card, blocks_text_length, section_block
from bot.slack.cards.modals import (
    ALL_CAMPAIGNS,
    ALL_OPERATIONS,
    campaign_options,
    loading_modal,
    result_modal,
    search_modal,
)
from bot.slack.cards.mrkdwn import inert, plain, redact_phones, slack_date
from bot.slack.cards.multi import render_multi
from bot.slack.cards.notices import (
    StatusInfo,
    field_error,
    notice_card,
    render_checking_access,
    render_error,
    render_export_refused,
    render_help,
    render_nobody_to_check,
    render_nothing_found_in_message,
    render_rate_limited,
    render_refusal,
    render_restarted,
    render_stale_button,
    render_status,
    render_usage,
)
from bot.slack.cards.result import (
    CallOffer,
    ResultView,
    call_button,
    describe_query,
    dial_mask,
    render_result,
    render_searching,
)
from bot.slack.cards.text import card_to_text

__all__ = [
    "ALL_CAMPAIGNS",
    "ALL_OPERATIONS",
    "Block",
    "CallOffer",
    "Card",
    "ResultView",
    "StatusInfo",
    "blocks_text_length",
    "call_button",
    "campaign_options",
    "card_to_text",
    "describe_query",
    "dial_mask",
    "field_error",
    "inert",
    "loading_modal",
    "notice_card",
    "plain",
    "redact_phones",
    "render_checking_access",
    "render_error",
    "render_export_refused",
    "render_help",
    "render_multi",
    "render_nobody_to_check",
    "render_nothing_found_in_message",
    "render_rate_limited",
    "render_refusal",
    "render_restarted",
    "render_result",
    "render_searching",
    "render_stale_button",
    "render_status",
    "render_usage",
    "result_modal",
    "search_modal",
    "section_block",
    "slack_date",
]

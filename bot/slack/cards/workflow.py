"""A lookup's outcome as the outputs of the Workflow Builder step `find_customer`, and a card as
the one plain line `fail(error=…)` takes. Pure: values in, a dict or a line out.

Outputs are read by later steps and often posted to a channel, so every value from Wolkvox is
cleaned (no control characters, no Slack `<…>` tokens that would ping or link) and capped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from bot.i18n import fmt_date, result_label, t, tn
from bot.query import Query, mask_value
from bot.slack.cards.blocks import Card
from bot.slack.cards.mrkdwn import plain, redact_phones
from bot.slack.cards.result import describe_query, values_to_redact
from bot.slack.cards.text import card_to_text
from bot.wolkvox.records import FindAnswer

MAX_OUTPUT = 500  # characters of one output value
MAX_SUMMARY = 1000
MAX_REASON = 300


def _clean(value: str, limit: int = MAX_OUTPUT, redact: Sequence[str] = ()) -> str:
    """Plain text that cannot mention anyone (`<!channel>`, `<@U…>`) or link anywhere; the
    `redact` phones and ids masked wherever they were typed."""
    text = plain(value, limit).replace("<", "‹").replace(">", "›")
    return redact_phones(text, redact) if redact else text


def step_outputs(
    answer: FindAnswer, query: Query, *, lang: str, tz: tzinfo, hide_ids: bool = True
) -> dict[str, Any]:
    """Every declared output: "no records" is a success with `found: false`. With `hide_ids`
    (the disclosure rule's `conceal`: outputs are read in channels) phones and customer ids are
    masked as on a shared card, in every output they may have been typed into."""
    masked_query = describe_query(query, lang, mask=True, mask_id=True)
    redact = values_to_redact(query, answer, ids=True) if hide_ids else ()
    outputs = _outputs(answer, masked_query, lang=lang, tz=tz, hide_ids=hide_ids)
    return {
        k: _clean(v, MAX_SUMMARY, redact) if isinstance(v, str) else v for k, v in outputs.items()
    }


def _outputs(
    answer: FindAnswer, masked_query: str, *, lang: str, tz: tzinfo, hide_ids: bool
) -> dict[str, Any]:
    latest = answer.latest
    if latest is None:
        return {
            "found": False,
            "customer_name": "",
            "customer_id": "",
            "campaign_count": 0,
            "last_result": "",
            "last_date": "",
            "last_campaign": "",
            "conn_id": "",
            "summary": _clean(t(lang, "workflow_summary_none", query=masked_query), MAX_SUMMARY),
        }
    name = _clean(latest.customer_name) or t(lang, "workflow_unknown_name")
    customer_id = _clean(mask_value(latest.customer_id) if hide_ids else latest.customer_id)
    date = fmt_date(latest.last_date, lang) if latest.last_date else _clean(latest.last_date_raw)
    campaign_name = _clean(latest.campaign_name)
    campaign = (
        t(lang, "campaign_title", name=campaign_name, id=_clean(latest.campaign_id))
        if campaign_name
        else t(lang, "campaign_title_no_name", id=_clean(latest.campaign_id))
    )
    if latest.operation:  # several operations: which country's campaign
        campaign = t(
            lang, "campaign_in_operation", operation=_clean(latest.operation), title=campaign
        )
    result = _clean(result_label(latest.last_result, lang))
    summary = t(
        lang,
        "workflow_summary_found",
        name=name,
        id=t(lang, "workflow_summary_id", id=customer_id) if customer_id else "",
        campaigns=tn(lang, "in_campaigns", len(answer.campaigns)),
        date=date or "?",
        campaign=campaign,
        result=result or "?",
    )
    return {
        "found": True,
        "customer_name": name,
        "customer_id": customer_id,
        "campaign_count": len(answer.campaigns),
        "last_result": result,
        "last_date": date,
        "last_campaign": campaign,
        "conn_id": _clean(latest.conn_id),
        "summary": _clean(summary, MAX_SUMMARY),
    }


def failure_reason(card: Card) -> str:
    """A card (usage, refusal, an upstream failure) as one plain line for `fail(error=…)`."""
    text = " ".join(line.strip(" =-") for line in card_to_text(card).splitlines())
    return _clean(" ".join(text.split()), MAX_REASON) or card.text

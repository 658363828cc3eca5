"""The answer card: what was searched, a summary, one section per campaign, age and buttons.

Pure: `now` is passed in. When a card is shared (or masking is on) every phone shows only its
last 4 digits, in the header, the fields, the fallback text and the button values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any, Protocol

from bot.i18n import (
    MESSAGES,
    fmt_ago,
    fmt_date,
    fmt_int,
    fmt_seconds,
    ordinal,
    result_label,
    t,
    tn,
)
from bot.query import Query, mask_phone, mask_value
from bot.slack.cards.blocks import (
    Block,
    Card,
    blocks_text_length,
    button_element,
    context_block,
    field_obj,
    header_block,
    mrkdwn_obj,
    plain_text_obj,
    section_block,
)
from bot.slack.cards.mrkdwn import (
    CAP_CALLS,
    CAP_CAMPAIGN_NAME,
    CAP_CONN_ID,
    CAP_CUSTOMER_NAME,
    CAP_DATE_RAW,
    CAP_ID,
    CAP_PHONE,
    CAP_RESULT,
    inert,
    or_placeholder,
    slack_date,
)
from bot.slack.ids import (
    ACTION_DIAL,
    ACTION_EXPORT_CSV,
    ACTION_REFRESH,
    ACTION_SHARE,
    ACTION_SHOW_ALL,
    MAX_BUTTON_VALUE,
    MAX_FALLBACK_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_MODAL_BLOCKS,
    MODAL_TEXT_BUDGET,
    TEXT_BUDGET,
)
from bot.wolkvox.lookup import SLOW, Gap
from bot.wolkvox.records import KEPT_RECORDS, CampaignSummary, FindAnswer

_MIN_RESULT_BLOCKS = 6  # header, summary, divider, age, left-out note, buttons
_SLACK_USER_RE = re.compile(r"^[UW][A-Z0-9]{2,40}$")


class ResultView(Protocol):
    """What a card needs of `bot.wolkvox.lookup.LookupResult` (structural, to stay decoupled)."""

    @property
    def query(self) -> Query: ...
    @property
    def answer(self) -> FindAnswer: ...
    @property
    def fetched_at(self) -> float: ...
    @property
    def from_cache(self) -> bool: ...
    @property
    def shared(self) -> bool: ...
    @property
    def upstream_ms(self) -> float: ...


def describe_query(query: Query, lang: str, *, mask: bool, mask_id: bool = False) -> str:
    """`3001234567 · id 1020304050 · campaign 42` in `lang`; the phone masked when `mask`, the
    customer id when `mask_id` (as the audit log shows them: last 4 characters).

    Plain text (not escaped): callers escape for mrkdwn with `inert` where needed.
    """
    parts: list[str] = []
    if query.phone:
        parts.append(mask_phone(query.phone) if mask else query.phone)
    if query.customer_id:
        shown = mask_value(query.customer_id) if mask_id else query.customer_id
        parts.append(t(lang, "query_id", id=shown))
    if query.campaign_id:
        parts.append(t(lang, "query_campaign", id=query.campaign_id))
    return " · ".join(parts) or "Wolkvox"


def _campaign_title(summary: CampaignSummary, lang: str, redact: Sequence[str]) -> str:
    """ "Cobranza Q4 · campaña 42", led by its operation's name when several were searched."""
    name = inert(summary.campaign_name, CAP_CAMPAIGN_NAME, redact=redact)
    cid = inert(summary.campaign_id, CAP_ID, redact=redact)
    if name and cid:
        title = t(lang, "campaign_title", name=name, id=cid)
    elif cid:
        title = t(lang, "campaign_title_no_name", id=cid)
    else:
        title = name or t(lang, "campaign_none")
    if summary.operation:
        operation = inert(summary.operation, CAP_CAMPAIGN_NAME)
        return t(lang, "campaign_in_operation", operation=operation, title=title)
    return title


def gaps_line(gaps: Sequence[Gap], lang: str) -> str:
    """Which operations of a search over several did not answer, and why, in a word each."""
    named = []
    for gap in gaps:
        shown = inert(gap.name, CAP_CAMPAIGN_NAME)
        kind = gap.kind
        why = "operation_still_searching" if kind == "still_searching" else f"gap_{kind}"
        named.append(
            t(lang, "operation_gap", name=shown, why=t(lang, why)) if why in MESSAGES else shown
        )
    return t(lang, "operation_gaps", gaps=", ".join(named))


# What a private card offers to dial beside a campaign's phone: (sealed value, extension or ""),
# or None for no *Call* button there (decided by the flow, under the disclosure rule).
CallOffer = Callable[[CampaignSummary], tuple[str, str] | None]


def call_button(value: str, phone: str, extension: str, lang: str) -> dict[str, Any]:
    """*Call*, with Slack's confirm dialog naming the (masked) number and the extension."""
    shown = dial_mask(phone)
    ask = (
        t(lang, "dial_confirm_text", phone=shown, extension=extension)
        if extension
        else t(lang, "dial_confirm_text_no_extension", phone=shown)
    )
    button = button_element(t(lang, "button_call"), ACTION_DIAL, value)
    button["confirm"] = {
        "title": plain_text_obj(t(lang, "dial_confirm_title"), 100),
        "text": plain_text_obj(ask, 300),
        "confirm": plain_text_obj(t(lang, "dial_confirm_yes"), 30),
        "deny": plain_text_obj(t(lang, "dial_confirm_no"), 30),
    }
    return button


def dial_mask(phone: str) -> str:
    """ "••• ••• 4567": the last four digits, as the confirm dialog and the audit show them."""
    digits = "".join(c for c in phone if c.isdigit())
    return f"••• ••• {digits[-4:]}" if len(digits) >= 4 else "•••"


def _campaign_block(
    summary: CampaignSummary,
    *,
    lang: str,
    tz: tzinfo,
    mask: bool,
    mask_id: bool,
    redact: Sequence[str],
    call: CallOffer | None = None,
) -> Block:
    if mask_id:
        customer_id = inert(mask_value(summary.customer_id[:200]), CAP_ID)
    else:
        customer_id = inert(summary.customer_id, CAP_ID, redact=redact)
    if mask:
        phone = mask_phone(summary.phone[:200])
    else:
        phone = inert(summary.phone, CAP_PHONE)
    calls = (
        fmt_int(summary.calls, lang)
        if summary.calls is not None
        else inert(summary.calls_raw, CAP_CALLS, redact=redact)
    )
    result = inert(
        result_label(summary.last_result[: CAP_RESULT + 64], lang), CAP_RESULT, redact=redact
    )
    fields = [
        field_obj(
            t(lang, "field_customer"),
            inert(summary.customer_name, CAP_CUSTOMER_NAME, redact=redact),
        ),
        field_obj(t(lang, "field_customer_id"), customer_id),
        field_obj(t(lang, "field_phone"), phone),
        field_obj(
            t(lang, "field_last_contact"),
            slack_date(summary.last_date, summary.last_date_raw, tz=tz, lang=lang, redact=redact),
        ),
        field_obj(t(lang, "field_result"), result),
        field_obj(t(lang, "field_calls"), calls),
        field_obj(t(lang, "field_conn_id"), inert(summary.conn_id, CAP_CONN_ID, redact=redact)),
        field_obj(t(lang, "field_records"), fmt_int(summary.records, lang)),
    ]
    title = _campaign_title(summary, lang, redact)
    block: Block = {"type": "section", "text": mrkdwn_obj(f"*{title}*", verbatim=True),
                    "fields": fields}  # fmt: skip
    offer = call(summary) if call is not None and summary.phone.strip() else None
    if offer is not None:
        block["accessory"] = call_button(offer[0], summary.phone, offer[1], lang)
    return block


def _summary_text(
    answer: FindAnswer, *, lang: str, tz: tzinfo, redact: Sequence[str]
) -> tuple[str, str]:
    """(mrkdwn summary line, plain summary for the notification fallback)."""
    records = tn(lang, "records", answer.total_records)
    campaigns = tn(lang, "in_campaigns", len(answer.campaigns))
    parts = [f"*{records}* {campaigns}"]
    plain_parts = [f"{records} {campaigns}"]
    latest = answer.latest
    if latest is not None:
        if latest.last_date is not None:
            parts.append(
                t(
                    lang,
                    "last_contact",
                    date=slack_date(latest.last_date, latest.last_date_raw, tz=tz, lang=lang),
                )
            )
            plain_parts.append(t(lang, "last_contact", date=fmt_date(latest.last_date, lang)))
        elif latest.last_date_raw.strip():
            raw = inert(latest.last_date_raw, CAP_DATE_RAW, redact=redact)
            parts.append(t(lang, "last_contact", date=raw))
        else:
            parts.append(t(lang, "last_contact_unknown"))
        result = inert(
            result_label(latest.last_result[: CAP_RESULT + 64], lang), CAP_RESULT, redact=redact
        )
        if result:
            parts.append(result)
        parts.append(_campaign_title(latest, lang, redact))
    return " · ".join(parts), ", ".join(plain_parts)


def _age_text(result: ResultView, *, lang: str, now: float, shared_by: str | None) -> str:
    if result.from_cache:
        age = t(lang, "age_cache", ago=fmt_ago(now - result.fetched_at, lang))
    else:
        age = t(lang, "age_live")
    parts = [age, t(lang, "took", s=fmt_seconds(result.upstream_ms / 1000, lang))]
    if result.shared and not result.from_cache:
        parts.append(t(lang, "coalesced"))
    if shared_by is not None:
        parts.append(t(lang, "shared_by", user=_user_mention(shared_by)))
    gaps = getattr(result, "gaps", ())
    if gaps:  # a search over several operations that some could not answer
        parts.append(gaps_line(gaps, lang))
    empty = getattr(result, "empty", ())
    if empty:  # operations that answered, with nothing for this customer
        names = ", ".join(inert(name, CAP_CAMPAIGN_NAME) for name in empty)
        parts.append(t(lang, "operation_empty", names=names))
    return " · ".join(parts)


def _user_mention(user_id: str) -> str:
    """`<@U123>` for a real Slack user id; anything else shown inert rather than trusted."""
    if _SLACK_USER_RE.match(user_id):
        return f"<@{user_id}>"
    return or_placeholder(inert(user_id, 40))


def _actions(
    *,
    lang: str,
    value: str | None,
    share: bool,
    show_all: bool,
    export: bool = False,
) -> Block | None:
    if value is None or not value or len(value) > MAX_BUTTON_VALUE:
        return None
    buttons = []
    if share:
        buttons.append(button_element(t(lang, "button_share"), ACTION_SHARE, value, primary=True))
    buttons.append(button_element(t(lang, "button_refresh"), ACTION_REFRESH, value))
    if show_all:
        buttons.append(button_element(t(lang, "button_show_all"), ACTION_SHOW_ALL, value))
    if export:  # a private, full card only: the file goes to whoever presses, in their DM
        buttons.append(button_element(t(lang, "button_export_csv"), ACTION_EXPORT_CSV, value))
    return {"type": "actions", "elements": buttons}


def render_result(
    result: ResultView,
    *,
    lang: str,
    tz: tzinfo,
    now: float,
    mask_phones: bool,
    max_blocks: int = MAX_MESSAGE_BLOCKS,
    shared_by: str | None = None,
    actions: bool = True,
    button_value: str | None = None,
    mask_ids: bool = False,
    full_detail: bool = False,
    call: CallOffer | None = None,
) -> Card:
    """The answer card: what was searched, a summary, one section per campaign (most recent
    first, as many as fit), the data's age, and buttons.

    `shared_by`: the Slack user id who shared it into a channel; the card says so, has no
    Share button, and masks every phone and customer id (`mask_ids` masks ids on any card
    that must hide what a shared card hides). `button_value`: the opaque (sealed) value the
    buttons carry; without one, or with `actions=False`, the card has no buttons: a channel can
    read a button's value, so a query never rides in it in the clear. `max_blocks` must be at
    least 6. `full_detail`: the card is the asker's alone and hides nothing, so it may offer
    Export CSV (the flow's disclosure decides it; a card never guesses). `call`: the *Call*
    button beside each campaign's phone (only with `full_detail` and buttons).
    """
    if max_blocks < _MIN_RESULT_BLOCKS:
        raise ValueError(f"max_blocks must be at least {_MIN_RESULT_BLOCKS}")
    query = result.query
    answer = result.answer
    shared = shared_by is not None
    mask = mask_phones or shared
    hide_ids = mask_ids or shared
    redact = values_to_redact(query, answer, ids=hide_ids) if mask or hide_ids else ()
    searched = describe_query(query, lang, mask=mask, mask_id=hide_ids)

    value = button_value if actions else None

    age = context_block(_age_text(result, lang=lang, now=now, shared_by=shared_by))
    header = header_block(f"🔎 {searched}")

    if answer.total_records == 0 and not answer.campaigns:
        body_key = "no_records_body_campaign" if query.campaign_id else "no_records_body"
        body = t(lang, body_key, query=inert(searched, 400), campaign=query.campaign_id)
        blocks = [
            header,
            section_block(f"🙅 *{t(lang, 'no_records_title')}*\n{body}"),
            context_block(t(lang, "no_records_tip")),
            age,
        ]
        buttons = _actions(lang=lang, value=value, share=not shared, show_all=False)
        if buttons is not None:
            blocks.append(buttons)
        text = t(lang, "fallback_no_records", query=inert(searched, 200))
        return Card(blocks=blocks, text=text[:MAX_FALLBACK_TEXT])

    summary, summary_plain = _summary_text(answer, lang=lang, tz=tz, redact=redact)
    head = [header, section_block(summary, verbatim=True), {"type": "divider"}]

    # Room left once the head and the worst-case tail (age, left-out note, buttons) are counted.
    tail_worst = [
        age,
        context_block(tn(lang, "left_out", 10**9) + " " + t(lang, "left_out_show_all")),
    ]
    worst_buttons = _actions(
        lang=lang, value=value, share=not shared, show_all=True, export=full_detail
    )
    if worst_buttons is not None:
        tail_worst.append(worst_buttons)
    room_blocks = max_blocks - len(head) - len(tail_worst)
    budget = TEXT_BUDGET if max_blocks <= MAX_MESSAGE_BLOCKS else MODAL_TEXT_BUDGET
    room_text = budget - blocks_text_length(head) - blocks_text_length(tail_worst)

    sections: list[Block] = []
    for campaign in answer.campaigns:
        if len(sections) >= room_blocks:
            break
        block = _campaign_block(
            campaign,
            lang=lang,
            tz=tz,
            mask=mask,
            mask_id=hide_ids,
            redact=redact,
            call=call if full_detail and value and not mask else None,
        )
        size = blocks_text_length([block])
        if size > room_text:
            break
        sections.append(block)
        room_text -= size
    left_out = len(answer.campaigns) - len(sections)

    blocks = head + sections + [age]
    # Export CSV: whenever the card leaves records out in bulk (campaigns not shown, or more
    # records than a result keeps): the file holds every record, every field.
    export = full_detail and (left_out > 0 or answer.total_records > KEPT_RECORDS)
    buttons = _actions(
        lang=lang, value=value, share=not shared, show_all=left_out > 0, export=export
    )
    if left_out:
        note = tn(lang, "left_out", left_out)
        if buttons is not None:
            note += " " + t(lang, "left_out_show_all")
        blocks.append(context_block(note))
    if buttons is not None:
        blocks.append(buttons)

    text = t(lang, "fallback_result", query=inert(searched, 200), summary=summary_plain)
    return Card(blocks=blocks, text=text[:MAX_FALLBACK_TEXT], left_out=left_out)


def values_to_redact(query: Query, answer: FindAnswer, *, ids: bool = False) -> tuple[str, ...]:
    """Phone numbers (and, with `ids`, customer ids) that must not appear in full anywhere on
    a masked card: in names, dates, results or any other field they may have been typed into."""
    values = {query.phone} | {c.phone.strip()[:40] for c in answer.campaigns[:MAX_MODAL_BLOCKS]}
    if ids:
        values |= {query.customer_id}
        values |= {c.customer_id.strip()[:40] for c in answer.campaigns[:MAX_MODAL_BLOCKS]}
    found = {v for v in values if sum(ch.isdigit() for ch in v) >= 6}
    return tuple(sorted(found, key=len, reverse=True))  # longest first: no partial overlap


def render_searching(
    query: Query,
    *,
    lang: str,
    mask_phones: bool,
    mask_id: bool = False,
    position: int | None = None,
) -> Card:
    """The immediate answer while the lookup runs; `position` is the 1-based place in line, or
    SLOW when Wolkvox is taking long over this query. Phone and id hidden as the answer's are."""
    shown = describe_query(query, lang, mask=mask_phones, mask_id=mask_id)
    line = t(lang, "searching", query=inert(shown, 400))
    blocks = [section_block(line)]
    news = progress_line(position, lang)
    if news:
        blocks.append(context_block(news))
    return Card(blocks=blocks, text=f"{line} {news}".strip())


def progress_line(position: int | None, lang: str) -> str:
    """What a waiting card says of the lookup's progress: its place in line, that Wolkvox is
    slow (SLOW), or nothing."""
    if position == SLOW:
        return t(lang, "wolkvox_slow")
    if position is not None and position > 0:
        return t(lang, "queue_position", ord=ordinal(position, lang))
    return ""

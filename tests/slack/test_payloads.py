"""Where a message's words are (text, rich_text, attachments) and which numbers in them are
phones: checked on Slack's own payload shapes (tests/fixtures/slack)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.query import Command, Query, extract_queries
from bot.slack.payloads import message_text, parse_mention, parse_message
from tests.fixtures.slack import sample

CO = "CO"


def file_share_message(**changes: Any) -> dict[str, Any]:
    """Slack's file_share message (bolt-python's sample), as a message shortcut carries it."""
    message = sample("message_file_share")["event"]
    message.update(changes)
    return message


def test_file_share_message_reads_its_text_and_rich_text() -> None:
    assert "Hi there!" in message_text(file_share_message())


def test_rich_text_link_and_tel_url_are_read() -> None:
    msg = file_share_message(
        text="",
        blocks=[
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [
                            {"type": "text", "text": "llamar a "},
                            {"type": "link", "url": "tel:+573104567890"},
                            {"type": "text", "text": " o al "},
                            {"type": "link", "url": "tel:3001234567", "text": "su fijo"},
                        ],
                    }
                ],
            }
        ],
    )
    assert extract_queries(message_text(msg), CO, limit=5) == [
        Query(phone="3104567890"),
        Query(phone="3001234567"),
    ]


def test_attachment_fields_title_pretext_and_blocks_are_read() -> None:
    msg = file_share_message(
        text="",
        blocks=[],
        attachments=[
            {
                "fallback": "Ticket 2025: 3119998877",
                "pretext": "Nuevo caso",
                "title": "Cliente 3001234567",
                "fields": [
                    {"title": "Teléfono", "value": "310 456 7890", "short": True},
                    {"title": "cc 1020304050", "value": "", "short": True},
                ],
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": "alterno 320 111 2233"}}
                ],
            }
        ],
    )
    text = message_text(msg)
    assert "3119998877" not in text  # the fallback repeats; other words are there
    assert extract_queries(text, CO, limit=5) == [
        Query(phone="3001234567"),
        Query(phone="3104567890"),
        Query(customer_id="1020304050"),
        Query(phone="3201112233"),
    ]


def test_fallback_only_when_nothing_else_holds_words() -> None:
    msg = file_share_message(text="", blocks=[], attachments=[{"fallback": "cel 3001234567"}])
    assert message_text(msg) == "cel 3001234567"


def test_a_file_share_with_a_year_in_it_looks_nothing_up() -> None:
    """The bug the issue names: a shortcut on a file-share message looked up the year in
    Slack's own unfurl fallback line, spending quota."""
    msg = file_share_message(
        text="Reporte de enero 2025",
        attachments=[{"fallback": "[enero 2025] reporte.png", "title": "reporte.png"}],
    )
    assert extract_queries(message_text(msg), CO) == []


@pytest.mark.parametrize(
    "text",
    [
        "desde enero de 2025 no contesta",
        "Factura 2024-0001 pendiente",
        "pagó $1.500.000 el 15/01/2025 a las 10:30",
        "cita 2025-01-15 14:00",
        "monto 250000 COP",
        "ticket #45821",
    ],
)
def test_numbers_in_prose_that_are_not_phones(text: str) -> None:
    assert extract_queries(text, CO) == []


def test_the_phone_wins_over_an_earlier_number() -> None:
    text = "desde enero de 2025 no contesta el 300 123 4567"
    assert extract_queries(text, CO) == [Query(phone="3001234567")]
    assert parse_mention(f"<@U0BOT> {text}", CO, "") == Command("find", Query(phone="3001234567"))
    assert parse_message(f"hola, {text}", CO, "") == Command("find", Query(phone="3001234567"))


def test_an_explicit_query_stays_as_typed() -> None:
    assert parse_mention("<@U0BOT> find 555123", CO, "") == Command("find", Query(phone="555123"))
    assert parse_message("find 555123", CO, "") == Command("find", Query(phone="555123"))


def test_a_long_number_unknown_to_the_region_is_still_a_phone() -> None:
    # 12 digits written with spaces: not valid for CO, but long and not a date or an amount.
    assert extract_queries("llamar al 57 999 123 4567", CO) != []


# --- whose organisation a payload names (issue 19: Slack Connect, Enterprise Grid) ---------------


def _envelope(event: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    body = {"team_id": "T0HOME", "enterprise_id": "E0GRID", "event": event, **envelope}
    return body


@pytest.mark.parametrize(
    ("event", "envelope", "orgs"),
    [
        # another company's member in a shared channel: the envelope names our side
        ({"user": "U1", "team": "T0OTHER"}, {"is_ext_shared_channel": True}, ("T0OTHER",)),
        ({"user": "U1", "team": "T0HOME", "user_team": "T0OTHER"}, {}, ("T0OTHER",)),
        # a grid sibling in an internal channel: its workspace, and the grid it belongs to
        (
            {"user": "U1", "team": "T0SIBLING"},
            {"is_ext_shared_channel": False},
            ("T0SIBLING", "E0GRID"),
        ),
        # Slack left the flag out: never lean on the envelope's enterprise
        ({"user": "U1", "team": "T0SIBLING"}, {}, ("T0SIBLING",)),
        # an event without `team` (app_home_opened): not the envelope's, users.info tells
        ({"user": "U1"}, {}, None),
    ],
)
def test_an_events_user_organisation_is_the_most_specific_one_named(
    event: dict[str, Any], envelope: dict[str, Any], orgs: tuple[str, ...] | None
) -> None:
    from bot.slack.payloads import actor_from_event

    body = _envelope(event, **envelope)
    assert actor_from_event(body, event, "mention").orgs == orgs


@pytest.mark.parametrize(
    ("body", "orgs"),
    [
        ({"user": {"id": "U1", "team_id": "T0OTHER"}, "team": {"id": "T0HOME"}}, ("T0OTHER",)),
        ({"user_id": "U1", "team_id": "T0HOME", "user_team": "T0OTHER"}, ("T0OTHER",)),
        ({"user_id": "U1", "team_id": "T0HOME", "enterprise_id": "E0GRID"}, ("T0HOME", "E0GRID")),
    ],
)
def test_a_payloads_user_organisation_is_the_users_own(
    body: dict[str, Any], orgs: tuple[str, ...]
) -> None:
    from bot.slack.payloads import actor_from_body

    assert actor_from_body(body, "command").orgs == orgs

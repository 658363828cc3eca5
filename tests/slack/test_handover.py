"""Hand-over records: what a stopping instance writes is what another reads back."""

from __future__ import annotations

from bot.slack.handover import Handover, Route, decode, encode, still_deliverable
from bot.slack.runtime import HANDOVER_TTL


def record(**overrides: object) -> Handover:
    values: dict[str, object] = {
        "team_id": "T0",
        "user_id": "U0AGENT01",
        "channel_id": "C0SOPORTE",
        "surface": "command",
        "lang": "es",
        "phone": "3001234567",
        "customer_id": "",
        "campaign_id": "42",
        "refresh": False,
        "route": Route("response_url", url="https://hooks.slack.com/commands/T0/1/x"),
        "handed_at": 1000.0,
    }
    values.update(overrides)
    return Handover(**values)  # type: ignore[arg-type]


def test_round_trip_for_every_route() -> None:
    for route in (
        Route("response_url", url="https://hooks.slack.com/x", response_type="in_channel"),
        Route("thread", channel="C1", ts="1.2", thread_ts="1.1"),
        Route("view", view_id="V1"),
    ):
        original = record(route=route, shared_by="U0SHARER", conceal=True, max_blocks=100)
        assert decode(encode(original)) == original
        assert original.query.phone == "3001234567" and original.actor.surface == "command"


def test_a_search_narrowed_to_an_operation_is_handed_over_narrowed() -> None:
    narrowed = decode(encode(record(operation="ec")))
    assert narrowed is not None and narrowed.query.operation == "ec"
    assert record().query.operation == ""  # a record written before the field: every one


def test_unreadable_bytes_are_none_and_old_records_are_not_delivered() -> None:
    assert decode(b"{not json") is None
    assert decode(b'{"team_id": 5}') is None
    assert still_deliverable(record(), now=1000.0 + HANDOVER_TTL - 1)
    assert not still_deliverable(record(), now=1000.0 + HANDOVER_TTL + 1)

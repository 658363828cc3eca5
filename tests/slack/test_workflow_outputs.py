"""The workflow step's outputs: every declared output, cleaned, and with `hide_ids` (outputs are
read in channels) no phone or customer id in full anywhere, even typed into a name."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from bot.devtools.wolkvox_sim.server import find_body
from bot.query import Query
from bot.slack.cards.workflow import step_outputs
from bot.wolkvox.records import FindAnswer, decode_find_record

TZ = ZoneInfo("America/Bogota")
PHONE, CUSTOMER_ID = "3001234567", "1020304050"


def answer_with_name(name: str) -> FindAnswer:
    body = json.loads(find_body("", PHONE, "") or b"{}")
    for record in body["data"]:
        record["customer_name"] = name
    return decode_find_record(json.dumps(body).encode())


def test_found_outputs_hide_the_id_and_a_phone_typed_into_the_name() -> None:
    answer = answer_with_name(f"Juan Pérez cc {CUSTOMER_ID} cel {PHONE}")
    outputs = step_outputs(answer, Query(phone=PHONE), lang="es", tz=TZ, hide_ids=True)
    assert outputs["found"] is True
    dumped = json.dumps(outputs, ensure_ascii=False)
    assert PHONE not in dumped and CUSTOMER_ID not in dumped
    assert "Juan Pérez" in outputs["customer_name"] and "4567" in outputs["customer_name"]
    assert outputs["customer_id"].endswith("4050")


def test_outputs_for_a_private_reader_keep_the_id() -> None:
    answer = answer_with_name("María")
    outputs = step_outputs(answer, Query(phone=PHONE), lang="es", tz=TZ, hide_ids=False)
    assert outputs["customer_id"] == CUSTOMER_ID


def test_no_records_is_found_false_with_the_query_masked() -> None:
    empty = decode_find_record(b'{"code":"200","error":null,"msg":"","data":[]}')
    outputs = step_outputs(empty, Query(phone=PHONE), lang="en", tz=TZ, hide_ids=True)
    assert outputs["found"] is False and PHONE not in outputs["summary"]

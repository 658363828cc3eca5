"""*Export CSV* end to end: a card that leaves records out offers it; the full answer arrives as a
CSV in the user's DM through Slack's external upload flow; audited; phones per the masking rule."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.devtools.stack import Stack
from bot.devtools.wolkvox_sim.data import BIG_PHONE
from bot.wolkvox.records import EXPORT_COLUMNS
from tests.e2e.conftest import (
    assert_acked,
    command_answer,
    find_action_value,
    settle,
    text_of,
)

pytestmark = pytest.mark.simulator(big_records=3000)


async def export(stack: Stack) -> tuple[list[str], list[list[str]], dict[str, object]]:
    _, card, _ = await command_answer(stack, f"find {BIG_PHONE}")
    assert find_action_value(card, "export_csv")
    status, _, elapsed, url = await stack.press("export_csv", card)
    assert_acked(status, elapsed)
    notes = await stack.slack.wait_for_response(url, 2, timeout=30)
    assert "Preparando el CSV" in text_of(notes[0].body["blocks"])  # type: ignore[index]
    assert "Listo" in text_of(notes[1].body["blocks"])  # type: ignore[index]
    [shared] = stack.slack.files
    data = shared["data"]
    assert isinstance(data, bytes) and data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:], shared


async def test_export_sends_every_record_to_the_users_dm(stack: Stack) -> None:
    header, rows, shared = await export(stack)
    assert header[: len(EXPORT_COLUMNS)] == list(EXPORT_COLUMNS)
    assert len(rows) == 3000
    assert str(shared["channel"]).startswith("D")  # the DM, never a channel
    assert all(len(r) == len(header) for r in rows)
    tel1 = header.index("tel1")
    assert rows[0][tel1] == BIG_PHONE  # a private answer: phones in full
    [complete] = stack.slack.calls("files.completeUploadExternal", ok=True)
    assert complete.args["channel_id"] == shared["channel"]


@pytest.mark.stack_env(WOLKVOX_MASK_PHONES="always")
async def test_phones_in_the_file_follow_mask_always(stack: Stack) -> None:
    header, rows, _ = await export(stack)
    tel1 = header.index("tel1")
    assert rows[0][tel1] == "••••••0000"
    assert BIG_PHONE not in json.dumps(rows)


async def test_export_is_audited_and_goes_through_the_guard(stack: Stack) -> None:
    audit = io.StringIO()
    stack.bot.runtime.audit.stream = audit
    await export(stack)
    await settle(stack)
    lines = [json.loads(line) for line in audit.getvalue().splitlines() if line.strip()]
    [line] = [entry for entry in lines if entry["surface"] == "export"]
    assert line["outcome"] == "ok" and line["records"] == 3000
    assert BIG_PHONE not in audit.getvalue()
    assert stack.simulator_stats is not None
    assert stack.simulator_stats.max_concurrent_overall <= 2


async def test_a_stale_export_button_says_search_again(stack: Stack) -> None:
    _, card, _ = await command_answer(stack, f"find {BIG_PHONE}")
    from tests.e2e.conftest import with_button_value

    forged = with_button_value(card, "export_csv", "not-a-sealed-value")
    status, _, _, url = await stack.press("export_csv", forged)
    assert status == 200
    [note] = await stack.slack.wait_for_response(url)
    assert isinstance(note.body, dict) and "Preparando" not in text_of(note.body["blocks"])
    await settle(stack)
    assert stack.slack.files == [] and stack.slack.calls("files.getUploadURLExternal") == []


async def test_a_failed_upload_is_said_plainly(stack: Stack) -> None:
    stack.slack.fail("files.getUploadURLExternal")
    _, card, _ = await command_answer(stack, f"find {BIG_PHONE}")
    _, _, _, url = await stack.press("export_csv", card)
    notes = await stack.slack.wait_for_response(url, 2, timeout=30)
    assert "No pude subir el CSV" in text_of(notes[1].body["blocks"])  # type: ignore[index]
    assert stack.slack.files == []


def test_the_file_name_shows_only_the_last_four() -> None:
    from bot.query import Query
    from bot.slack.export import file_name

    assert file_name(Query(phone="3001234567"), 0).startswith("wolkvox-phone-4567-19700101")
    assert file_name(Query(customer_id="AB-12345"), 0).startswith("wolkvox-id-2345-")

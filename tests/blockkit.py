"""Test helper: is this Block Kit payload something Slack will accept?

Three independent checks, because each catches what the others miss: the public Block Kit
JSON schema (draft 2020-12, shipped beside the Slack stand-in), slack_sdk's own block models, and
Slack's documented limits that neither enforces per block (50 blocks per message, 100 per
modal, the cumulative text cap, unique action and block ids).

Use: `from tests.blockkit import assert_valid_message, assert_valid_modal`.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.devtools.fakeslack.server import BLOCK_KIT_SCHEMA
from bot.slack import ids

SCHEMA_PATH = BLOCK_KIT_SCHEMA

# Slack's per-message and per-modal block limits: one home, bot/slack/ids.py.
MAX_MESSAGE_BLOCKS = ids.MAX_MESSAGE_BLOCKS
MAX_MODAL_BLOCKS = ids.MAX_MODAL_BLOCKS
# A message's text budget (Slack refuses somewhere around 11-13k characters, undocumented).
MAX_TOTAL_TEXT = ids.TEXT_BUDGET


@cache
def _schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as f:
        schema: dict[str, Any] = json.load(f)
    return schema


@cache
def _message_validator() -> jsonschema.Draft202012Validator:
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@cache
def _view_validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = _schema()
    view = {
        "$schema": schema["$schema"],
        "$defs": schema["$defs"],
        "$ref": f"#/$defs/{kind}_view",
    }
    return jsonschema.Draft202012Validator(view)


def _schema_errors(validator: jsonschema.Draft202012Validator, payload: Any) -> list[str]:
    errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path))
    messages = []
    for error in errors[:5]:
        where = "/".join(str(p) for p in error.absolute_path)
        # oneOf failures are vague at the top; the deepest context names the real problem.
        best = jsonschema.exceptions.best_match([error])
        messages.append(f"{where}: {best.message[:300]}")
    return messages


def _text_objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("type") in ("plain_text", "mrkdwn") and "text" in item:
                found.append(item)
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _check_limits(blocks: list[dict[str, Any]], max_blocks: int) -> None:
    assert isinstance(blocks, list), "blocks must be a list"
    assert 1 <= len(blocks) <= max_blocks, f"{len(blocks)} blocks (1..{max_blocks} allowed)"
    action_ids: list[str] = []
    block_ids: list[str] = []
    for i, block in enumerate(blocks):
        kind = block.get("type")
        if "block_id" in block:
            block_ids.append(block["block_id"])
        if kind == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= 3000, f"block {i}: section text > 3000"
            fields = block.get("fields", [])
            assert len(fields) <= 10, f"block {i}: {len(fields)} fields (≤ 10)"
            for f in fields:
                assert len(f["text"]) <= 2000, f"block {i}: field text > 2000"
        elif kind == "header":
            assert block["text"]["type"] == "plain_text", f"block {i}: header must be plain text"
            assert len(block["text"]["text"]) <= 150, f"block {i}: header > 150"
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10, f"block {i}: context elements not 1..10"
        elif kind == "actions":
            for element in block["elements"]:
                if element.get("type") == "button":
                    assert len(element["text"]["text"]) <= 75, f"block {i}: button text > 75"
                    if "value" in element:
                        assert 1 <= len(element["value"]) <= 2000, f"block {i}: button value"
                if "action_id" in element:
                    assert len(element["action_id"]) <= 255, f"block {i}: action_id > 255"
                    action_ids.append(element["action_id"])
        elif kind == "input":
            element = block["element"]
            if "action_id" in element:
                action_ids.append(element["action_id"])
    for obj in _text_objects(blocks):
        text = obj["text"]
        assert isinstance(text, str) and text.strip(), f"empty or blank text object: {obj!r}"
        assert len(text) <= 3000, "text object over 3000 characters"
    assert len(action_ids) == len(set(action_ids)), f"duplicate action_id: {action_ids}"
    assert len(block_ids) == len(set(block_ids)), f"duplicate block_id: {block_ids}"
    # Slack sends JSON as UTF-8: a lone surrogate would make the whole request fail.
    json.dumps(blocks, ensure_ascii=False).encode("utf-8")


def _check_sdk_blocks(blocks: list[dict[str, Any]]) -> None:
    for i, raw in enumerate(blocks):
        block = Block.parse(raw)
        assert block is not None, f"block {i}: slack_sdk does not know type {raw.get('type')!r}"
        try:
            block.validate_json()
        except Exception as exc:  # SlackObjectFormationError and friends
            raise AssertionError(f"block {i}: slack_sdk rejects it: {exc}") from exc


def total_text_length(blocks: list[dict[str, Any]]) -> int:
    """All text in the blocks' text objects: what Slack's cumulative cap counts."""
    return sum(len(obj["text"]) for obj in _text_objects(blocks))


def assert_valid_message(blocks: list[dict[str, Any]]) -> None:
    """Fail the test unless `blocks` is a message Slack accepts (schema, slack_sdk, limits)."""
    _check_limits(blocks, MAX_MESSAGE_BLOCKS)
    errors = _schema_errors(_message_validator(), blocks)
    assert not errors, "schema: " + "; ".join(errors)
    _check_sdk_blocks(blocks)
    total = total_text_length(blocks)
    assert total <= MAX_TOTAL_TEXT, f"{total} characters of text (at most {MAX_TOTAL_TEXT})"


def assert_valid_modal(view: dict[str, Any]) -> None:
    """Fail the test unless `view` is a modal Slack accepts (schema, slack_sdk, limits)."""
    _assert_valid_view(view, "modal")


def assert_valid_home(view: dict[str, Any]) -> None:
    """Fail the test unless `view` is a home tab Slack accepts (schema, slack_sdk, limits)."""
    _assert_valid_view(view, "home")


def _assert_valid_view(view: dict[str, Any], kind: str) -> None:
    assert isinstance(view, dict) and view.get("type") == kind, f"not a {kind} view"
    _check_limits(view.get("blocks", []), MAX_MODAL_BLOCKS)  # modals and home tabs: 100 blocks
    errors = _schema_errors(_view_validator(kind), view)
    assert not errors, "schema: " + "; ".join(errors)
    _check_sdk_blocks(view["blocks"])
    try:
        View(**view).validate_json()
    except Exception as exc:
        raise AssertionError(f"slack_sdk rejects the {kind} view: {exc}") from exc

"""manifest.yml: valid against Slack's manifest schema and exactly the app's public contract.

The app is created from this file in one paste, so a typo in a callback id or a missing scope only
shows in production; this test catches it first. ``manifest_contract()`` is the single source of
the command / callback ids / events / scopes, for reuse by the test that compares it with the
listeners the app registers.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
# Slack's app manifest schema (MIT, tests/schemas/LICENSE.manifest-schema).
SCHEMA = Path(__file__).resolve().parent / "schemas" / "manifest.schema.1.0.0.json"
REQUEST_URL = "https://YOUR-APP.example.com/slack/events"


def manifest_contract() -> dict[str, set[str]]:
    """What the app promises Slack: each set must equal what the app's listeners handle."""
    return {
        "commands": {"/wolkvox"},
        "callback_ids": {"find_in_wolkvox", "wolkvox_search"},
        "events": {"app_mention", "message.im", "app_home_opened"},
        "functions": {"find_customer"},
        "scopes": {
            "commands",
            "chat:write",
            "app_mentions:read",
            "users:read",
            "users:read.email",
            "usergroups:read",
            "im:history",
            "im:write",
            "files:write",
        },
    }


def manifest_sets(manifest: dict[str, Any]) -> dict[str, set[str]]:
    """The same four sets as ``manifest_contract()``, read from a parsed manifest."""
    features = manifest.get("features", {})
    settings = manifest.get("settings", {})
    return {
        "commands": {c["command"] for c in features.get("slash_commands", [])},
        "callback_ids": {s["callback_id"] for s in features.get("shortcuts", [])},
        "events": set(settings.get("event_subscriptions", {}).get("bot_events", [])),
        "functions": set(manifest.get("functions") or {}),
        "scopes": set(manifest.get("oauth_config", {}).get("scopes", {}).get("bot", [])),
    }


def load_manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def schema_validator() -> jsonschema.protocols.Validator:
    """A validator for the draft the schema itself declares ($schema: draft-07)."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(manifest: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in schema_validator().iter_errors(manifest)
    ]


def test_schema_declares_draft_07() -> None:
    assert schema_validator().__class__ is jsonschema.Draft7Validator


def test_manifest_is_valid_against_slack_schema() -> None:
    assert schema_errors(load_manifest()) == []


def test_manifest_matches_contract_exactly() -> None:
    assert manifest_sets(load_manifest()) == manifest_contract()


def test_manifest_details() -> None:
    m = load_manifest()
    assert m["_metadata"]["major_version"] == 1
    info = m["display_information"]
    assert info["name"] == "Wolkvox"
    # The schema spells this rule "regex", which JSON Schema ignores: check it here.
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", info["background_color"])
    assert info["description"].isascii()
    assert m["features"]["bot_user"] == {"display_name": "Wolkvox", "always_online": True}
    [command] = m["features"]["slash_commands"]
    assert command["url"] == REQUEST_URL
    assert command["usage_hint"] == (
        "find 3001234567 | find id 1020304050 | call 3001234567 | help"
    )
    assert command["should_escape"] is False
    shortcuts = {s["callback_id"]: s for s in m["features"]["shortcuts"]}
    assert shortcuts["find_in_wolkvox"]["type"] == "message"
    assert shortcuts["find_in_wolkvox"]["name"] == "Find in Wolkvox"
    assert shortcuts["wolkvox_search"]["type"] == "global"
    assert shortcuts["wolkvox_search"]["name"] == "Search Wolkvox"
    settings = m["settings"]
    assert settings["event_subscriptions"]["request_url"] == REQUEST_URL
    assert settings["interactivity"] == {"is_enabled": True, "request_url": REQUEST_URL}
    # Custom steps (find_customer) show in Workflow Builder only for an org-ready app.
    assert settings["org_deploy_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    assert settings["token_rotation_enabled"] is False


@pytest.mark.parametrize(
    "mutate",
    [
        lambda m: m["features"]["shortcuts"][0].update(type="menu"),
        lambda m: m["features"]["slash_commands"][0].update(command="wolkvox"),
        lambda m: m["settings"].update(interactivity={"request_url": REQUEST_URL}),
        lambda m: m.update(unknown_section={}),
        lambda m: m["features"]["shortcuts"][1].update(name="A name far too long for Slack"),
    ],
    ids=["shortcut-type", "command-slash", "interactivity-enabled", "extra-key", "name-length"],
)
def test_schema_rejects_broken_manifests(mutate: Any) -> None:
    broken = copy.deepcopy(load_manifest())
    mutate(broken)
    assert schema_errors(broken)


def test_contract_check_notices_an_extra_scope() -> None:
    m = copy.deepcopy(load_manifest())
    m["oauth_config"]["scopes"]["bot"].append("channels:history")
    assert schema_errors(m) == []
    assert manifest_sets(m) != manifest_contract()


def test_manifest_matches_the_listeners_the_app_registers() -> None:
    """The ids in the manifest are the very constants the listeners are registered with."""
    from bot.slack.app import REGISTERED

    sets = manifest_sets(load_manifest())
    assert sets["commands"] == REGISTERED["commands"]
    assert sets["callback_ids"] == REGISTERED["shortcuts"]
    assert sets["events"] == REGISTERED["events"]
    assert sets["functions"] == REGISTERED["functions"]


async def test_every_registered_listener_answers_a_signed_request() -> None:
    """A request for each manifest id reaches a listener (bolt answers 404 when none matches)."""
    from bot.devtools.fakeslack import requests as sr
    from bot.devtools.stack import AGENT, TEAM, local_stack

    async with local_stack() as s:
        status, _, _, _ = await s.command("help")
        assert status == 200
        status, _, _, _ = await s.mention("help")
        assert status == 200
        status, _, _, _ = await s.message_shortcut("nada aquí")
        assert status == 200
        status, _, _ = await s.global_shortcut()
        assert status == 200
        unknown = sr.global_shortcut_body(
            user_id=AGENT, team_id=TEAM, trigger_id=s.slack.new_trigger_id(), callback_id="nope"
        )
        status, _, _ = await s.post(unknown, sr.FORM)
        assert status == 404  # the control: an id the manifest does not promise is not handled


def test_the_messages_tab_lets_agents_write_to_the_bot() -> None:
    home = load_manifest()["features"]["app_home"]
    assert home["messages_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is False


def test_the_home_tab_is_enabled_and_subscribed() -> None:
    manifest = load_manifest()
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]


def test_find_customer_is_a_remote_function_with_its_inputs_and_outputs() -> None:
    manifest = load_manifest()
    assert manifest["settings"]["function_runtime"] == "remote"
    function = manifest["functions"]["find_customer"]
    inputs = function["input_parameters"]
    assert {"phone", "customer_id", "campaign_id"} <= set(inputs)
    assert all(inputs[name]["type"] == "string" for name in ("phone", "customer_id", "campaign_id"))
    # At least one of phone / customer_id: neither alone can be required; the step says so.
    assert not inputs["phone"].get("is_required") and not inputs["customer_id"].get("is_required")
    outputs = function["output_parameters"]
    assert set(outputs) >= {
        "found",
        "customer_name",
        "customer_id",
        "campaign_count",
        "last_result",
        "last_date",
        "last_campaign",
        "conn_id",
        "summary",
    }
    assert outputs["found"]["type"] == "boolean"
    assert outputs["campaign_count"]["type"] == "integer"

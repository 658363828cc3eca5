"""WOLKVOX_OPERATIONS: one operation per country, each with its own server, tokens and ways of
storing phones; a deployment without it is one implicit operation, exactly as before. Every bad
setting is one line naming the variable (tests/test_config.py covers the rest)."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Secret, load_settings

THREE = {
    "WOLKVOX_OPERATIONS": "co,ec,pa",
    "WOLKVOX_CO_NAME": "Colombia",
    "WOLKVOX_CO_SERVER": "0042",
    "WOLKVOX_CO_TOKENS": "co-token-1,co-token-2",
    "WOLKVOX_EC_NAME": "Ecuador",
    "WOLKVOX_EC_SERVER": "0007",
    "WOLKVOX_EC_TOKEN": "ec-token-1",
    "WOLKVOX_EC_PHONE_REGION": "EC",
    "WOLKVOX_EC_TIMEZONE": "America/Guayaquil",
    "WOLKVOX_EC_PHONE_FORMAT": "international",
    "WOLKVOX_EC_CHANNELS": "C0ECUADOR",
    "WOLKVOX_PA_NAME": "Panamá",
    "WOLKVOX_PA_BASE_URL": "http://127.0.0.1:8089/pa",
    "WOLKVOX_PA_TOKEN": "pa-token-1",
    "WOLKVOX_PA_PHONE_REGION": "PA",
    "WOLKVOX_PA_PHONE_FORMAT": "prefix:9",
    "WOLKVOX_PA_MAX_CONCURRENCY": "2",
    "WOLKVOX_DAILY_QUOTA": "5000",  # a default every operation takes unless it says otherwise
}


def test_three_operations_with_their_own_settings() -> None:
    co, ec, pa = load_settings(THREE, dotenv=False).operations
    assert [op.key for op in (co, ec, pa)] == ["co", "ec", "pa"]
    assert co.name == "Colombia" and co.base_url == "https://wv0042.wolkvox.com"
    assert [t.reveal() for t in co.tokens] == ["co-token-1", "co-token-2"]
    assert ec.phone_region == "EC" and ec.timezone == "America/Guayaquil"
    assert ec.channels == frozenset({"C0ECUADOR"})
    assert pa.base_url == "http://127.0.0.1:8089/pa" and pa.max_concurrency == 2
    assert co.daily_quota == ec.daily_quota == 5000 and co.phone_region == "CO"


def test_without_operations_the_settings_are_one_implicit_operation() -> None:
    s = load_settings(
        {"WOLKVOX_SERVER": "0042", "WOLKVOX_TOKEN": "t-1", "WOLKVOX_MAX_CONCURRENCY": "2"},
        dotenv=False,
    )
    [op] = s.operations
    assert op.key == "" and op.name == "" and op.base_url == s.base_url
    assert op.tokens == s.wolkvox_tokens and op.max_concurrency == 2
    s.require_wolkvox()


def test_token_fingerprints_are_keyed_as_everywhere() -> None:
    s = load_settings({**THREE, "SLACK_SIGNING_SECRET": "x" * 32}, dotenv=False)
    token = s.operations[1].tokens[0]
    assert token.fingerprint != Secret("ec-token-1").fingerprint
    assert "ec-token-1" in s.secrets()  # redacted from logs like any token


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"WOLKVOX_OPERATIONS": "co,Ecuador!"}, "WOLKVOX_OPERATIONS"),
        ({"WOLKVOX_OPERATIONS": "co,ec,co"}, "WOLKVOX_OPERATIONS"),
        ({"WOLKVOX_EC_TOKEN": ""}, "WOLKVOX_EC_TOKEN"),
        ({"WOLKVOX_PA_BASE_URL": ""}, "WOLKVOX_PA_SERVER"),
        ({"WOLKVOX_PA_NAME": "colombia"}, "WOLKVOX_OPERATIONS"),  # a duplicate name
        ({"WOLKVOX_MX_SERVER": "0099"}, "WOLKVOX_MX_SERVER"),  # an operation not listed
        ({"WOLKVOX_TOKEN": "legacy"}, "WOLKVOX_TOKEN"),  # per operation now
        ({"WOLKVOX_EC_PHONE_FORMAT": "e164"}, "WOLKVOX_EC_PHONE_FORMAT"),
        ({"WOLKVOX_EC_PHONE_REGION": "XX"}, "WOLKVOX_EC_PHONE_REGION"),
        ({"WOLKVOX_CO_MAX_CONCURRENCY": "3"}, "WOLKVOX_CO_MAX_CONCURRENCY"),
        ({"WOLKVOX_PA_TIMEZONE": "Mars/Olympus"}, "WOLKVOX_PA_TIMEZONE"),
    ],
)
def test_a_bad_operation_setting_is_one_line_naming_it(
    change: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**THREE, **change}, dotenv=False)
    assert caught.value.variable == variable
    assert "token" not in str(caught.value).lower() or "TOKEN" in variable


def test_global_allow_lists_are_not_mistaken_for_an_operation() -> None:
    s = load_settings(
        {**THREE, "WOLKVOX_ALLOWED_CHANNELS": "C1", "WOLKVOX_ALLOWED_USERGROUPS": "S1"},
        dotenv=False,
    )
    assert len(s.operations) == 3

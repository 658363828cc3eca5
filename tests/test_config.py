"""Settings: every variable's validation (one line naming the variable), defaults, secrets kept
out of repr/str/errors, and `.env` loading from the working directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import ConfigError, Secret, Settings, load_settings

TOKEN_A = "sekret-token-AAAA-1111-zzzz"
TOKEN_B = "sekret-token-BBBB-2222-yyyy"
BOT_TOKEN = "xoxb-1111-2222-secretbotvalue"
SIGNING = "signing-secret-value-9876"
APP_TOKEN = "xapp-1-A111-secretappvalue"
ALL_SECRETS = (TOKEN_A, TOKEN_B, BOT_TOKEN, SIGNING, APP_TOKEN)


def load(**env: str) -> Settings:
    return load_settings(env, dotenv=False)


def refused(variable: str, **env: str) -> ConfigError:
    """Load `env`, expect a one-line ConfigError about `variable`, and return it."""
    with pytest.raises(ConfigError) as info:
        load(**env)
    error = info.value
    text = str(error)
    assert error.variable == variable, text
    assert text.startswith(f"{variable}: "), text
    assert "\n" not in text and "\r" not in text
    for secret in ALL_SECRETS:
        assert secret not in text
    return error


# --- defaults ---------------------------------------------------------------------------------


def test_defaults() -> None:
    s = load()
    assert s.max_concurrency == 1
    assert s.timeout == 55
    assert s.queue_timeout == 120
    assert s.stuck_after == 5
    assert s.cache_ttl == 300
    assert s.timezone == "America/Bogota"
    assert s.tz.key == "America/Bogota"
    assert s.phone_region == "CO"
    assert s.max_response_bytes == 256 * 1024 * 1024
    assert s.daily_quota is None
    assert s.coalesce is True
    assert s.wolkvox_tokens == ()
    assert s.wolkvox_campaign_id == ""
    assert s.allowed_users == s.allowed_usergroups == s.allowed_channels == frozenset()
    assert s.user_rate == 20
    assert s.mask_phones == "shared"
    assert s.audit_pii == "masked"
    assert s.shutdown_grace == 25
    assert s.lang == "es"
    assert s.port == 3000
    assert s.redis_url is None
    assert not s.has_slack_credentials


def test_blank_values_mean_default() -> None:
    s = load(
        WOLKVOX_MAX_CONCURRENCY="  ",
        WOLKVOX_TIMEOUT="",
        WOLKVOX_TIMEZONE=" ",
        WOLKVOX_PHONE_REGION="",
        WOLKVOX_COALESCE="",
    )
    assert (s.max_concurrency, s.timeout, s.timezone, s.phone_region, s.coalesce) == (
        1,
        55,
        "America/Bogota",
        "CO",
        True,
    )


def test_a_full_valid_configuration() -> None:
    s = load(
        WOLKVOX_SERVER="0042",
        WOLKVOX_TOKENS=f" {TOKEN_A} , {TOKEN_B} ",
        WOLKVOX_CAMPAIGN_ID="42",
        WOLKVOX_MAX_CONCURRENCY="2",
        WOLKVOX_TIMEOUT="30.5",
        WOLKVOX_QUEUE_TIMEOUT="0",
        WOLKVOX_STUCK_AFTER="0",
        WOLKVOX_CACHE_TTL="0",
        WOLKVOX_COALESCE="off",
        WOLKVOX_DAILY_QUOTA="5000",
        WOLKVOX_TIMEZONE="America/Mexico_City",
        WOLKVOX_PHONE_REGION="mx",
        WOLKVOX_MAX_RESPONSE_MB="1.5",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING,
        SLACK_APP_TOKEN=APP_TOKEN,
        PORT="8080",
        WOLKVOX_LANG="EN",
        WOLKVOX_ALLOWED_USERS="U0123ABCD, U0456EFGH,",
        WOLKVOX_ALLOWED_USERGROUPS="S0123ABCD",
        WOLKVOX_ALLOWED_CHANNELS="C0123ABCD,G0123ABCD",
        WOLKVOX_USER_RATE="5",
        WOLKVOX_MASK_PHONES="Always",
        WOLKVOX_AUDIT_FILE="/tmp/audit.jsonl",
        WOLKVOX_AUDIT_PII="full",
        WOLKVOX_SHUTDOWN_GRACE="10",
        REDIS_URL="rediss://user:pw@redis.example:6380/0",
    )
    assert [t.reveal() for t in s.wolkvox_tokens] == [TOKEN_A, TOKEN_B]
    assert s.base_url == "https://wv0042.wolkvox.com"
    assert s.wolkvox_campaign_id == "42"
    assert (s.max_concurrency, s.timeout, s.queue_timeout, s.cache_ttl) == (2, 30.5, 0, 0)
    assert s.coalesce is False
    assert s.daily_quota == 5000
    assert s.timezone == "America/Mexico_City"
    assert s.phone_region == "MX"
    assert s.max_response_bytes == int(1.5 * 1024 * 1024)
    assert s.has_slack_credentials
    assert s.port == 8080
    assert s.lang == "en"
    assert s.allowed_users == {"U0123ABCD", "U0456EFGH"}
    assert s.allowed_usergroups == {"S0123ABCD"}
    assert s.allowed_channels == {"C0123ABCD", "G0123ABCD"}
    assert s.user_rate == 5
    assert s.mask_phones == "always"
    assert s.audit_file == "/tmp/audit.jsonl"
    assert s.audit_pii == "full"
    assert s.shutdown_grace == 10
    assert s.redis_url is not None
    assert set(s.secrets()) == {*ALL_SECRETS, "rediss://user:pw@redis.example:6380/0", "pw"}
    s.require_wolkvox()
    s.require_slack()


def test_base_url_override_wins_and_loses_trailing_slash() -> None:
    s = load(WOLKVOX_SERVER="0042", WOLKVOX_BASE_URL="http://127.0.0.1:8089/")
    assert s.base_url == "http://127.0.0.1:8089"


# --- Wolkvox variables ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["wv0042.example", "00 42", "0042/", "a-b", "x" * 33, "ñ42", "0042?x=1"]
)
def test_server_letters_and_digits_only(value: str) -> None:
    error = refused("WOLKVOX_SERVER", WOLKVOX_SERVER=value)
    assert "letters and digits" in error.problem


def test_server_accepts_letters_and_digits() -> None:
    assert load(WOLKVOX_SERVER="AbC0042").wolkvox_server == "AbC0042"


def test_single_token_and_pool() -> None:
    assert load(WOLKVOX_TOKEN=f"  {TOKEN_A} ").wolkvox_tokens == (Secret(TOKEN_A),)
    pool = load(WOLKVOX_TOKENS=f"{TOKEN_A},{TOKEN_B}").wolkvox_tokens
    assert [t.reveal() for t in pool] == [TOKEN_A, TOKEN_B]


def test_token_and_tokens_both_set_is_refused() -> None:
    error = refused("WOLKVOX_TOKENS", WOLKVOX_TOKEN=TOKEN_A, WOLKVOX_TOKENS=TOKEN_B)
    assert "not both" in error.problem


@pytest.mark.parametrize(
    "pool", [f"{TOKEN_A},,{TOKEN_B}", f"{TOKEN_A},", f",{TOKEN_A}", f"{TOKEN_A}, ,{TOKEN_B}"]
)
def test_pool_with_an_empty_entry_is_refused(pool: str) -> None:
    assert "empty entry" in refused("WOLKVOX_TOKENS", WOLKVOX_TOKENS=pool).problem


def test_pool_with_a_duplicate_is_refused() -> None:
    error = refused("WOLKVOX_TOKENS", WOLKVOX_TOKENS=f"{TOKEN_A},{TOKEN_B}, {TOKEN_A}")
    assert "twice" in error.problem


@pytest.mark.parametrize("name", ["WOLKVOX_TOKEN", "WOLKVOX_TOKENS"])
@pytest.mark.parametrize("bad", [f"{TOKEN_A} {TOKEN_B}", f"{TOKEN_A}\té", f"{TOKEN_A}\x00"])
def test_token_with_impossible_characters_is_refused(name: str, bad: str) -> None:
    refused(name, **{name: bad})


def test_campaign_id_must_be_a_number() -> None:
    assert load(WOLKVOX_CAMPAIGN_ID=" 42 ").wolkvox_campaign_id == "42"
    for bad in ("abc", "42a", "-1", "1" * 13, "4 2"):
        refused("WOLKVOX_CAMPAIGN_ID", WOLKVOX_CAMPAIGN_ID=bad)


def test_base_url_must_be_http() -> None:
    for bad in (
        "ftp://x",
        "127.0.0.1:8089",
        "http://",
        "http:// space",
        "http://127.0.0.1:8089/?x=1",  # the client appends /api/v2/…: a query cannot stay
        "http://127.0.0.1:8089#frag",
    ):
        refused("WOLKVOX_BASE_URL", WOLKVOX_BASE_URL=bad)


@pytest.mark.parametrize("name", ["WOLKVOX_BASE_URL", "SLACK_API_URL"])
@pytest.mark.parametrize(
    "bad",
    [
        "http://127.0.0.1:99999",
        "http://[::1",
        "http://127.0.0.1:0",
        "https://slack.com:0/api/",
        "http://host:port",
        "http://h:-1",
        "https://:443",
    ],
)
def test_urls_with_impossible_hosts_or_ports_are_one_line_errors(name: str, bad: str) -> None:
    refused(name, **{name: bad})


def test_urls_with_good_hosts_and_ports() -> None:
    for good in ("http://[::1]:8089", "http://127.0.0.1:65535/x", "https://slack.com/api/"):
        assert load(WOLKVOX_BASE_URL=good, SLACK_API_URL=good).slack_api_url == good


@pytest.mark.parametrize("value", ["1", "2"])
def test_max_concurrency_up_to_two(value: str) -> None:
    assert load(WOLKVOX_MAX_CONCURRENCY=value).max_concurrency == int(value)


@pytest.mark.parametrize("value", ["3", "10", "0", "-1", "1.5", "one"])
def test_max_concurrency_outside_one_to_two_is_refused(value: str) -> None:
    refused("WOLKVOX_MAX_CONCURRENCY", WOLKVOX_MAX_CONCURRENCY=value)


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("WOLKVOX_TIMEOUT", "0"),
        ("WOLKVOX_TIMEOUT", "61"),  # past Wolkvox's own 60 s
        ("WOLKVOX_TIMEOUT", "abc"),
        ("WOLKVOX_TIMEOUT", "nan"),
        ("WOLKVOX_TIMEOUT", "inf"),
        ("WOLKVOX_QUEUE_TIMEOUT", "-1"),
        ("WOLKVOX_QUEUE_TIMEOUT", "3601"),
        ("WOLKVOX_QUEUE_TIMEOUT", "2 min"),
        ("WOLKVOX_STUCK_AFTER", "-1"),
        ("WOLKVOX_STUCK_AFTER", "61"),
        ("WOLKVOX_STUCK_AFTER", "soon"),
        ("WOLKVOX_CACHE_TTL", "-5"),
        ("WOLKVOX_CACHE_TTL", "five"),
        ("WOLKVOX_MAX_RESPONSE_MB", "0"),
        ("WOLKVOX_MAX_RESPONSE_MB", "2048"),
        ("WOLKVOX_MAX_RESPONSE_MB", "256MB"),
        ("WOLKVOX_DAILY_QUOTA", "0"),
        ("WOLKVOX_DAILY_QUOTA", "-3"),
        ("WOLKVOX_DAILY_QUOTA", "1000.5"),
        ("WOLKVOX_DAILY_QUOTA", "lots"),
        ("WOLKVOX_SHUTDOWN_GRACE", "-1"),
        ("WOLKVOX_SHUTDOWN_GRACE", "601"),
        ("WOLKVOX_USER_RATE", "0"),
        ("WOLKVOX_USER_RATE", "2.5"),
        ("PORT", "0"),
        ("PORT", "65536"),
        ("PORT", "http"),
    ],
)
def test_numbers_and_ranges(name: str, bad: str) -> None:
    error = refused(name, **{name: bad})
    assert "must be" in error.problem


def test_numbers_accept_their_bounds() -> None:
    s = load(
        WOLKVOX_TIMEOUT="60",
        WOLKVOX_QUEUE_TIMEOUT="3600",
        WOLKVOX_CACHE_TTL="86400",
        WOLKVOX_MAX_RESPONSE_MB="1024",
        WOLKVOX_DAILY_QUOTA="1",
        PORT="65535",
    )
    assert (s.timeout, s.queue_timeout, s.cache_ttl, s.daily_quota, s.port) == (
        60,
        3600,
        86400,
        1,
        65535,
    )
    assert s.max_response_bytes == 1024 * 1024 * 1024


@pytest.mark.parametrize("bad", ["Mars/Olympus", "America/Bogotá", "../etc/passwd", "UTC+5"])
def test_unknown_timezone_is_refused(bad: str) -> None:
    assert "time zone" in refused("WOLKVOX_TIMEZONE", WOLKVOX_TIMEZONE=bad).problem


@pytest.mark.parametrize("bad", ["XX", "COL", "57", "ZZ"])
def test_unknown_region_is_refused(bad: str) -> None:
    assert "region" in refused("WOLKVOX_PHONE_REGION", WOLKVOX_PHONE_REGION=bad).problem


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1", True),
        ("TRUE", True),
        ("yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_flags(raw: str, value: bool) -> None:
    assert load(WOLKVOX_COALESCE=raw).coalesce is value


def test_bad_flag_is_refused() -> None:
    refused("WOLKVOX_COALESCE", WOLKVOX_COALESCE="maybe")


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("WOLKVOX_LANG", "fr"),
        ("WOLKVOX_MASK_PHONES", "sometimes"),
        ("WOLKVOX_AUDIT_PII", "yes"),
    ],
)
def test_choices(name: str, bad: str) -> None:
    assert "one of" in refused(name, **{name: bad}).problem


# --- Slack and trust ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["WOLKVOX_ALLOWED_USERS", "WOLKVOX_ALLOWED_USERGROUPS", "WOLKVOX_ALLOWED_CHANNELS"]
)
@pytest.mark.parametrize("bad", ["u0123abcd", "@alice", "U0123ABCD;U0456", "#general", "U"])
def test_slack_id_lists_are_validated(name: str, bad: str) -> None:
    error = refused(name, **{name: f"U0123ABCD,{bad}"})
    assert "Slack id" in error.problem


def test_slack_id_lists_ignore_blank_entries() -> None:
    assert load(WOLKVOX_ALLOWED_USERS=" , U0123ABCD ,, ").allowed_users == {"U0123ABCD"}


def test_slack_tokens_are_checked_by_shape() -> None:
    refused("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN="bot-1234-secretbotvalue")
    refused("SLACK_APP_TOKEN", SLACK_APP_TOKEN=BOT_TOKEN)
    refused("SLACK_SIGNING_SECRET", SLACK_SIGNING_SECRET=f"{SIGNING} {SIGNING}")
    refused("SLACK_API_URL", SLACK_API_URL="slack.com/api")


def test_redis_url_scheme() -> None:
    assert load(REDIS_URL="redis://localhost:6379/0").redis_url is not None
    error = refused("REDIS_URL", REDIS_URL="http://user:pw-SECRET@localhost:6379")
    assert "pw-SECRET" not in str(error)


def test_require_wolkvox_and_slack_name_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load(WOLKVOX_SERVER="0042").require_wolkvox()
    assert info.value.variable == "WOLKVOX_TOKEN"
    with pytest.raises(ConfigError) as info:
        load(WOLKVOX_TOKEN=TOKEN_A).require_wolkvox()
    assert info.value.variable == "WOLKVOX_SERVER"
    load(WOLKVOX_TOKEN=TOKEN_A, WOLKVOX_BASE_URL="http://127.0.0.1:1").require_wolkvox()
    with pytest.raises(ConfigError) as info:
        load().require_slack()
    assert info.value.variable == "SLACK_BOT_TOKEN"
    with pytest.raises(ConfigError) as info:
        load(SLACK_BOT_TOKEN=BOT_TOKEN).require_slack()
    assert info.value.variable == "SLACK_SIGNING_SECRET"
    load(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN).require_slack()  # Socket Mode


# --- secrets ------------------------------------------------------------------------------------


def test_secret_never_in_repr_or_str() -> None:
    secret = Secret(TOKEN_A)
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret])):
        assert TOKEN_A not in text
        assert TOKEN_A[:-4] not in text
    assert secret.reveal() == TOKEN_A
    assert secret.masked() == "…zzzz"
    assert Secret("short").masked() == "…"  # too short to show any of it
    assert secret.fingerprint == Secret(TOKEN_A).fingerprint != Secret(TOKEN_B).fingerprint
    assert TOKEN_A not in secret.fingerprint
    assert secret == Secret(TOKEN_A) and secret != Secret(TOKEN_B) and secret != TOKEN_A
    assert len({secret, Secret(TOKEN_A)}) == 1


def test_settings_repr_has_no_secret() -> None:
    s = load(
        WOLKVOX_TOKENS=f"{TOKEN_A},{TOKEN_B}",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING,
        SLACK_APP_TOKEN=APP_TOKEN,
        REDIS_URL="redis://:redispassword-xyz@localhost:6379/0",
    )
    for text in (repr(s), str(s)):
        for secret in (*ALL_SECRETS, "redispassword-xyz"):
            assert secret not in text


def test_errors_about_secrets_never_quote_them() -> None:
    refused("WOLKVOX_TOKENS", WOLKVOX_TOKENS=f"{TOKEN_A},{TOKEN_A}")
    refused("WOLKVOX_TOKENS", WOLKVOX_TOKEN=TOKEN_A, WOLKVOX_TOKENS=TOKEN_B)
    refused("WOLKVOX_TOKEN", WOLKVOX_TOKEN=f"{TOKEN_A} {TOKEN_B}")
    refused("SLACK_BOT_TOKEN", SLACK_BOT_TOKEN=f"{BOT_TOKEN} x")
    refused("SLACK_APP_TOKEN", SLACK_APP_TOKEN=SIGNING)


# --- .env -------------------------------------------------------------------------------------

_DOTENV_NAMES = (
    "WOLKVOX_SERVER",
    "WOLKVOX_TOKEN",
    "WOLKVOX_TOKENS",
    "WOLKVOX_CACHE_TTL",
    "WOLKVOX_PHONE_REGION",
    "WOLKVOX_MAX_CONCURRENCY",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A working directory of our own and none of the variables set (restored afterwards)."""
    for name in _DOTENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_dotenv_in_the_working_directory_is_loaded(clean_env: Path) -> None:
    (clean_env / ".env").write_text(
        f"# a comment\nWOLKVOX_SERVER=0042\nWOLKVOX_TOKEN={TOKEN_A}\nWOLKVOX_CACHE_TTL=60\n"
        'WOLKVOX_PHONE_REGION="MX"\n',
        encoding="utf-8",
    )
    s = load_settings()
    assert s.wolkvox_server == "0042"
    assert s.wolkvox_tokens == (Secret(TOKEN_A),)
    assert s.cache_ttl == 60
    assert s.phone_region == "MX"


def test_environment_wins_over_dotenv(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text("WOLKVOX_CACHE_TTL=60\nWOLKVOX_SERVER=0042\n")
    monkeypatch.setenv("WOLKVOX_CACHE_TTL", "5")
    s = load_settings()
    assert s.cache_ttl == 5
    assert s.wolkvox_server == "0042"


def test_dotenv_values_are_validated_too(clean_env: Path) -> None:
    (clean_env / ".env").write_text("WOLKVOX_MAX_CONCURRENCY=3\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.variable == "WOLKVOX_MAX_CONCURRENCY"


def test_dotenv_false_reads_only_the_environment(clean_env: Path) -> None:
    (clean_env / ".env").write_text("WOLKVOX_SERVER=0042\n")
    assert load_settings(dotenv=False).wolkvox_server == ""
    assert "WOLKVOX_SERVER" not in os.environ


def test_explicit_mapping_ignores_dotenv(clean_env: Path) -> None:
    (clean_env / ".env").write_text("WOLKVOX_SERVER=0042\n")
    assert load_settings({"WOLKVOX_SERVER": "77"}).wolkvox_server == "77"


def test_host_and_redis_tls_settings() -> None:
    assert load_settings({}, dotenv=False).host == "0.0.0.0"
    assert load_settings({"HOST": "127.0.0.1"}, dotenv=False).host == "127.0.0.1"
    with pytest.raises(ConfigError, match=r"^HOST: "):
        load_settings({"HOST": "not a host!"}, dotenv=False)
    assert load_settings({}, dotenv=False).redis_tls_verify is True
    assert load_settings({"REDIS_TLS_VERIFY": "false"}, dotenv=False).redis_tls_verify is False


# --- trust, third pass (issue 19) ---------------------------------------------------------------


def test_a_parent_folders_dotenv_is_never_read(clean_env: Path) -> None:
    """A .env one folder up once pointed the Wolkvox token at its own URL: only ./.env counts."""
    (clean_env / ".env").write_text("WOLKVOX_BASE_URL=https://attacker.example\n")
    child = clean_env / "app"
    child.mkdir()
    os.chdir(child)
    assert load_settings().wolkvox_base_url == ""
    (child / ".env").write_text("WOLKVOX_SERVER=0042\n")
    settings = load_settings()
    assert settings.wolkvox_server == "0042" and settings.wolkvox_base_url == ""


@pytest.mark.parametrize("name", ["WOLKVOX_BASE_URL", "SLACK_API_URL"])
def test_plain_http_only_on_this_machine(name: str) -> None:
    for url in (
        "http://127.0.0.1:8089",
        "http://localhost:9",
        "http://[::1]:80",
        "http://127.8.0.1",
    ):
        load_settings({name: url}, dotenv=False)
    for url in ("http://example.com", "http://10.0.0.5:8089", "http://wv0042.wolkvox.com"):
        with pytest.raises(ConfigError, match=rf"^{name}: must use https://"):
            load_settings({name: url}, dotenv=False)
    load_settings({name: "https://example.com"}, dotenv=False)


def test_token_fingerprints_are_keyed_by_the_bots_own_secret() -> None:
    """sha256(token)[:12] let anyone who saw /metrics test a guessed token offline."""
    import hashlib

    one = load_settings(
        {"WOLKVOX_TOKEN": TOKEN_A, "SLACK_SIGNING_SECRET": "secret-one"}, dotenv=False
    )
    two = load_settings(
        {"WOLKVOX_TOKEN": TOKEN_A, "SLACK_SIGNING_SECRET": "secret-two"}, dotenv=False
    )
    again = load_settings(
        {"WOLKVOX_TOKEN": TOKEN_A, "SLACK_SIGNING_SECRET": "secret-one"}, dotenv=False
    )
    fp = one.wolkvox_tokens[0].fingerprint
    assert fp == again.wolkvox_tokens[0].fingerprint  # every instance of one app agrees
    assert fp != two.wolkvox_tokens[0].fingerprint
    assert fp != hashlib.sha256(TOKEN_A.encode()).hexdigest()[:12]


def test_store_digests_are_keyed_and_the_redis_prefix_is_the_apps_own() -> None:
    import hashlib

    one = load_settings({"SLACK_SIGNING_SECRET": "secret-one"}, dotenv=False)
    two = load_settings({"SLACK_SIGNING_SECRET": "secret-two"}, dotenv=False)
    phone = "find:3001234567:"
    assert one.digest("query", phone) != hashlib.sha256(phone.encode()).hexdigest()[:32]
    assert one.digest("query", phone) != two.digest("query", phone)
    assert one.store_prefix != two.store_prefix  # two bots on one Redis never share keys
    assert one.store_prefix.startswith("wolkvox:") and one.store_prefix.endswith(":")
    named = load_settings({"REDIS_PREFIX": "crm-bot:"}, dotenv=False)
    assert named.store_prefix == "crm-bot:"
    with pytest.raises(ConfigError, match=r"^REDIS_PREFIX: "):
        load_settings({"REDIS_PREFIX": "has space"}, dotenv=False)


def test_allowed_teams_and_metrics_token() -> None:
    settings = load_settings(
        {"WOLKVOX_ALLOWED_TEAMS": "T0SIBLING1,E0GRID0001", "METRICS_TOKEN": "m-" + "x" * 30},
        dotenv=False,
    )
    assert settings.allowed_teams == frozenset({"T0SIBLING1", "E0GRID0001"})
    assert settings.metrics_token is not None
    assert "m-" + "x" * 30 in settings.secrets()
    with pytest.raises(ConfigError, match=r"^WOLKVOX_ALLOWED_TEAMS: "):
        load_settings({"WOLKVOX_ALLOWED_TEAMS": "acme corp"}, dotenv=False)

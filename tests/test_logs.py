"""RedactingFilter: known secrets and token-shaped text leave no log line, whether they come in
the message, its arguments or an exception's text, and whichever library's logger wrote it."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import REDACTED, RedactingFilter, setup_logging

WOLKVOX_TOKEN = "wv-token-5f1e2d3c4b5a"
SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"
BOT_TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"
SECRETS = (WOLKVOX_TOKEN, SIGNING_SECRET, BOT_TOKEN)


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, logging.Logger]]:
    """A logger tree of our own whose handler carries the filter, as setup_logging does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter(SECRETS))
    root = logging.getLogger("redaction-test")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    root.propagate = False
    try:
        yield stream, root
    finally:
        root.removeHandler(handler)


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
    assert "xoxb-" not in text and "xapp-" not in text


def test_secret_in_the_message(captured: tuple[io.StringIO, logging.Logger]) -> None:
    stream, log = captured
    log.warning(f"calling with token {WOLKVOX_TOKEN} and secret {SIGNING_SECRET}")
    text = stream.getvalue()
    assert_clean(text)
    assert text.count(REDACTED) == 2
    assert "calling with token" in text


def test_secret_in_the_arguments(captured: tuple[io.StringIO, logging.Logger]) -> None:
    stream, log = captured
    log.info("headers %s, token %r", {"wolkvox-token": WOLKVOX_TOKEN}, BOT_TOKEN)
    log.info("%(token)s sent", {"token": WOLKVOX_TOKEN})
    assert_clean(stream.getvalue())
    assert stream.getvalue().count(REDACTED) == 3


def test_secret_in_an_exception(captured: tuple[io.StringIO, logging.Logger]) -> None:
    stream, log = captured
    try:
        raise RuntimeError(f"auth failed for {BOT_TOKEN} ({SIGNING_SECRET})")
    except RuntimeError:
        log.exception("slack call failed")
    text = stream.getvalue()
    assert "Traceback" not in text and "auth failed" not in text  # one line: kind and place
    assert "slack call failed [RuntimeError at test_logs.py:" in text and text.count("\n") == 1
    assert_clean(text)


def test_token_shapes_it_was_not_told_about(captured: tuple[io.StringIO, logging.Logger]) -> None:
    stream, log = captured
    log.info("bot xoxb-999-888-unknownvalue app xapp-1-A0B1-9999-abcdef user xoxp-1-2-3-zzzzzz")
    log.info("connecting to redis://:hunter2pass@redis.local:6379/0 and https://u:pw123@x.io/")
    text = stream.getvalue()
    assert "unknownvalue" not in text and "abcdef" not in text and "zzzzzz" not in text
    assert "hunter2pass" not in text and "pw123" not in text
    assert "redis.local:6379/0" in text  # the rest of the URL stays readable


@pytest.mark.parametrize("name", ["aiohttp.client", "slack_sdk.web.async_client", "slack_bolt"])
def test_any_library_logger_passes_the_filter(
    captured: tuple[io.StringIO, logging.Logger], name: str
) -> None:
    stream, _ = captured
    # A library's logger under our tree: records propagate up to the filtered handler.
    logging.getLogger(f"redaction-test.{name}").error("request had token=%s", WOLKVOX_TOKEN)
    assert_clean(stream.getvalue())
    assert REDACTED in stream.getvalue()


def test_broken_format_does_not_leak_or_crash(
    captured: tuple[io.StringIO, logging.Logger],
) -> None:
    stream, log = captured
    log.info("count %d", WOLKVOX_TOKEN)  # wrong placeholder type
    text = stream.getvalue()
    assert "count %d" in text
    assert_clean(text)


def test_short_values_are_not_treated_as_secrets() -> None:
    redactor = RedactingFilter(["", "ab", WOLKVOX_TOKEN])
    assert redactor.redact("ab cd") == "ab cd"
    assert redactor.redact(f"x{WOLKVOX_TOKEN}y") == f"x{REDACTED}y"


def test_longer_secret_wins_over_its_prefix() -> None:
    redactor = RedactingFilter(["abcd1234", "abcd1234efgh5678"])
    assert redactor.redact("abcd1234efgh5678") == REDACTED


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    aiohttp_access = logging.getLogger("aiohttp.access").level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        logging.getLogger("aiohttp.access").setLevel(aiohttp_access)


def test_setup_logging_filters_every_logger(
    restore_root: None, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging(SECRETS)
    for name in ("aiohttp.client", "slack_sdk.web", "bot.wolkvox.client", "asyncio"):
        logging.getLogger(name).warning("%s saw %s", name, WOLKVOX_TOKEN)
    try:
        raise ValueError(SIGNING_SECRET)
    except ValueError:
        logging.getLogger("slack_bolt.App").exception("listener failed")
    err = capsys.readouterr().err
    assert err.count(REDACTED) == 4  # the exception's text is never logged at all
    assert "[ValueError at test_logs.py:" in err
    assert_clean(err)
    assert "aiohttp.client saw" in err and "slack_bolt.App: listener failed" in err

"""`python -m bot …`: the command table, each command's arguments, and the exit codes.

Every command's `--help` works with no settings at all: settings are read only once a command
runs. Exit codes: 0 done, 1 a failure at run time (Wolkvox, Redis, a bug), 2 bad usage or
settings (one line saying which), 130 interrupted. The stand-ins (demo, simulator) are imported
only by the commands that run them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from bot import __version__
from bot.config import ConfigError, Settings, load_settings
from bot.errors import LookupFailure, QueryError
from bot.logs import setup_logging

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

DEFAULT_COMMAND = "serve"

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


def _settings(err: TextIO) -> Settings | None:
    try:
        return load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=err)
        return None


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Serve Slack (HTTP, or Socket Mode with SLACK_APP_TOKEN); `run` falls back to the demo."""
    settings = _settings(err)
    if settings is None:
        return EXIT_USAGE
    if args.command == "run" and not settings.has_slack_credentials:
        print(
            "No Slack credentials (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET): "
            "running the local demo instead. See README to connect to Slack.",
            file=err,
        )
        return cmd_demo(args, out, err)
    setup_logging(settings.secrets())
    from bot.wiring import run_serve

    try:
        run_serve(settings)
    except ConfigError as error:
        print(f"configuration error: {error}", file=err)
        return EXIT_USAGE
    except LookupFailure as error:  # e.g. Redis unreachable at start-up
        print(f"cannot start: {error.detail or error.kind}", file=err)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The whole product on loopback: simulator, Slack stand-in and the bot, driven by a script."""
    from bot.devtools.demo import run_demo

    try:
        return asyncio.run(run_demo(out))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def cmd_find(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """One lookup from the terminal; one line on stderr when it cannot answer."""
    from bot.slack import cards
    from bot.terminal import USAGE, find, format_failure

    if not args.query:
        print(USAGE, file=err)
        return EXIT_USAGE
    settings = _settings(err)
    if settings is None:
        return EXIT_USAGE
    # Warnings (a spent token, a retry) must not add lines to the answer; errors still reach
    # stderr, with secrets redacted.
    setup_logging(settings.secrets(), level=logging.ERROR)
    try:
        settings.require_wolkvox()
        text = asyncio.run(find(" ".join(args.query), settings))
    except ConfigError as error:
        print(f"configuration error: {error}", file=err)
        return EXIT_USAGE
    except QueryError as error:
        print(f"{cards.field_error(error, settings.lang)}\n{USAGE}", file=err)
        return EXIT_USAGE
    except LookupFailure as error:
        print(format_failure(error, settings), file=err)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug must still end in one line, not a traceback
        print(f"unexpected error ({type(error).__name__}); please report it", file=err)
        return EXIT_FAILURE
    print(text, file=out)
    return EXIT_OK


def cmd_simulator(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """A local Wolkvox: find_record, campaigns and token_info with the demo customers."""
    from bot.devtools.wolkvox_sim.server import (
        DEMO_TOKENS,
        SimulatorConfig,
        days_to_today,
        run_until_stopped,
    )

    tokens = frozenset(t.strip() for t in args.token if t.strip()) if args.token else DEMO_TOKENS
    config = SimulatorConfig(
        latency=args.latency,
        tokens=tokens,
        daily_limit=args.daily_limit,
        simultaneous_limit=args.simultaneous_limit,
        shift_days=0 if args.fixed_dates else days_to_today(),
    )
    try:
        asyncio.run(run_until_stopped(config, args.host, args.port))
    except KeyboardInterrupt:
        return EXIT_OK
    except OSError as exc:
        print(f"simulator: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=err)
        return EXIT_FAILURE
    return EXIT_OK


def _non_negative(kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value < 0:
            raise argparse.ArgumentTypeError(f"must be >= 0, not {text}")
        return value

    return parse


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, not {text}")
    return value


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {text}")
    return value


# name → (handler, one-line help). The order is the order `--help` lists them in.
COMMANDS: dict[str, tuple[Handler, str]] = {
    "serve": (cmd_serve, "serve Slack (HTTP on PORT, or Socket Mode with SLACK_APP_TOKEN)"),
    "run": (cmd_serve, "serve Slack, or the local demo when no Slack credentials are set"),
    "demo": (cmd_demo, "play the local demo: simulator, Slack stand-in and the bot on loopback"),
    "find": (cmd_find, "look a customer up from the terminal"),
    "simulator": (cmd_simulator, "run a local stand-in of Wolkvox's API"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Wolkvox for Slack: look contact-center customers up in Wolkvox campaigns.",
        epilog=f"Without a command: {DEFAULT_COMMAND}. Settings come from the environment or "
        ".env (see README).",
    )
    parser.add_argument("--version", action="version", version=f"wolkvox-slack {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub = {
        name: commands.add_parser(name, help=text, description=text)
        for name, (_, text) in COMMANDS.items()
    }
    sub["find"].add_argument(
        "query",
        nargs="*",
        metavar="WORD",
        help="<phone> | id <customer id> | <phone|id …> campaign <id>, as in /wolkvox find",
    )
    sim = sub["simulator"]
    sim.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sim.add_argument("--port", type=_port, default=8089, help="port (default 8089; 0 = any)")
    sim.add_argument(
        "--latency",
        type=_non_negative(float),
        default=0.05,
        help="seconds every call takes (default 0.05)",
    )
    sim.add_argument(
        "--token",
        action="append",
        default=None,
        help="an accepted wolkvox-token (repeatable; default: the demo tokens)",
    )
    sim.add_argument(
        "--daily-limit", type=_non_negative(int), default=None, help="calls per token per day"
    )
    sim.add_argument(
        "--simultaneous-limit",
        type=_at_least_one,
        default=2,
        help="calls in flight per token (default 2)",
    )
    sim.add_argument(
        "--fixed-dates",
        action="store_true",
        help="keep the demo dates as built (weeks before 2026-01-19) instead of recent ones",
    )
    return parser


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        args.command = DEFAULT_COMMAND
    handler, _ = COMMANDS[args.command]
    return handler(args, out, err)

"""`python -m bot [serve|run|find|simulator|demo]`: every way to start the bot."""

from __future__ import annotations

import sys

COMMANDS = "serve (default), run, find, simulator, demo"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args.pop(0) if args and not args[0].startswith("-") else "serve"
    if command == "find":
        from bot.terminal import main as find_main

        return find_main(args)
    if command == "simulator":
        from bot.devtools.wolkvox_sim.server import main as simulator_main

        return simulator_main(args)
    if command in ("serve", "run", "demo"):
        from bot.slack.server import main as serve_main

        return serve_main(command, args)
    print(f"unknown command {command!r}; commands: {COMMANDS}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

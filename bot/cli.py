"""The `headshots` command: one sub-command per module in `bot/commands/`.

Settings are built here, once, and handed to the command that runs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.commands import COMMANDS
from bot.settings import SettingsError, load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="headshots",
        description="Headshot Studio: selfies in, a ranked album of professional headshots out.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    result: int = args.handler(args, settings)
    return result


if __name__ == "__main__":
    sys.exit(main())

"""The `headshots` command: one sub-command per module in `bot/commands/`.

Settings are built here, once, and handed to the command that runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.commands import COMMANDS
from bot.logs import configure_logging
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
    configure_logging(
        settings.log_level,
        [settings.telegram_token, settings.discord_token, settings.callback_secret],
        json_lines=settings.log_json,
    )
    result: int = args.handler(args, settings)
    return result


if __name__ == "__main__":
    sys.exit(main())

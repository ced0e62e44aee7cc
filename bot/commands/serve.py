"""`headshots serve`: run the chat bots (and, without Redis, an in-process worker)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve", help="run the chat bots (and, without Redis, an in-process worker)"
    )
    parser.set_defaults(handler=run)


def run(_args: argparse.Namespace, _settings: Settings) -> int:
    print("'headshots serve' is not built yet (issue 8).", file=sys.stderr)
    return 3

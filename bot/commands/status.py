"""`headshots status`: show a job's state and progress."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("status", help="show a job's state and progress")
    parser.set_defaults(handler=run)


def run(_args: argparse.Namespace, _settings: Settings) -> int:
    print("'headshots status' is not built yet (issue 7).", file=sys.stderr)
    return 3

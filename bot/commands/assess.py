"""`headshots assess`: assess selfies and print the verdicts."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("assess", help="assess selfies and print the verdicts")
    parser.set_defaults(handler=run)


def run(_args: argparse.Namespace, _settings: Settings) -> int:
    print("'headshots assess' is not built yet (issue 4).", file=sys.stderr)
    return 3

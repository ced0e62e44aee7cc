"""`headshots submit`: queue a generation job for a folder of selfies."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "submit", help="queue a generation job for a folder of selfies"
    )
    parser.set_defaults(handler=run)


def run(_args: argparse.Namespace, _settings: Settings) -> int:
    print("'headshots submit' is not built yet (issue 7).", file=sys.stderr)
    return 3

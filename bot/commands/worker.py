"""`headshots worker`: run a GPU worker that takes jobs from Redis."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "worker", help="run a GPU worker that takes jobs from Redis"
    )
    parser.set_defaults(handler=run)


def run(_args: argparse.Namespace, _settings: Settings) -> int:
    print("'headshots worker' is not built yet (issue 7).", file=sys.stderr)
    return 3

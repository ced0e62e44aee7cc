"""`headshots intake`: judge photos for the bots (HEADSHOTS_INTAKE=queue), one process per core."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "intake", help="run an intake worker: photo verdicts for every bot process (needs Redis)"
    )
    parser.add_argument("--concurrency", type=int, default=2, help="verdicts at a time (decoding overlaps)")
    parser.add_argument("--name", default=None, help="worker name (default intake-host-pid)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.embedded:
        print(
            "headshots intake takes verdict jobs from Redis: set HEADSHOTS_REDIS_URL (and "
            "HEADSHOTS_INTAKE=queue on the bots)",
            file=sys.stderr,
        )
        return 2
    if args.concurrency < 1:
        print("--concurrency must be at least 1", file=sys.stderr)
        return 2
    # Imported here: the face models are for this command only.
    from bot.jobs.intake_worker import run_intake_worker
    from bot.jobs.worker import default_worker_name

    name = args.name or f"intake-{default_worker_name()}"
    asyncio.run(run_intake_worker(settings, concurrency=args.concurrency, name=name))
    return 0

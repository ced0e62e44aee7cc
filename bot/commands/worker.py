"""`headshots worker`: take generation jobs from Redis (or, without Redis, from the database)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.callback_key import with_callback_key
from bot.settings import Settings, SettingsError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "worker", help="run a GPU worker that takes jobs from Redis (embedded mode: from the database)"
    )
    parser.add_argument("--concurrency", type=int, default=None, help="jobs at a time (one per GPU)")
    parser.add_argument("--name", default=None, help="worker name shown on jobs (default host-pid)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        settings = with_callback_key(settings)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    # Imported here: the worker loads the engine, which the other commands must not pay for.
    from bot.jobs.worker import default_worker_name, run_embedded_worker, run_worker
    from bot.model_preset import announce

    refusal = announce(settings)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    concurrency = args.concurrency or settings.worker_concurrency
    if concurrency < 1:
        print("--concurrency must be at least 1", file=sys.stderr)
        return 2
    name = args.name or default_worker_name()
    if settings.embedded:
        asyncio.run(run_embedded_worker(settings, concurrency=concurrency, name=name))
    else:
        asyncio.run(run_worker(settings, concurrency=concurrency, name=name))
    return 0

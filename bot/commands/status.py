"""`headshots status JOB`: a job's state, progress, attempts and, when done, where the album is."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from typing import Any

from bot.jobs.queue import JobQueue
from bot.photo_store import open_photo_store
from bot.settings import Settings
from storage.database import Database
from storage.jobs import JobNotFoundError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("status", help="show a job's state and progress")
    parser.add_argument("job_id", metavar="JOB")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    database = Database(settings.effective_database_url)
    try:
        # Status reads only the job rows, so it needs no connection to Redis.
        status = asyncio.run(JobQueue(settings, database).status(args.job_id))
    except JobNotFoundError:
        print(f"no job {args.job_id}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    album_dir = None
    if status.album_key:
        album_dir = open_photo_store(settings, prepare=False).location(status.album_key).rsplit("/", 1)[0]
    if args.json:
        print(json.dumps({**asdict(status), "state": status.state.value, "album_dir": album_dir}))
        return 0
    line = f"{status.job_id}  {status.state.value}"
    if status.position is not None:
        line += f"  position {status.position}"
    if status.stage:
        line += f"  {status.stage} {status.progress:.0%}"
    if status.eta_s is not None:
        line += f"  about {round(status.eta_s)} s left"
    line += f"  attempts {status.attempts}"
    if status.worker:
        line += f"  on {status.worker}"
    print(line)
    if status.error:
        print(f"error: {status.error}")
    if album_dir:
        print(f"album: {album_dir}")
    return 0

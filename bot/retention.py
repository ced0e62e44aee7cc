"""The retention task: photos, results, jobs (with their parameters), sessions, outbox entries
and display names older than `retention_days` are deleted.

Runs inside `headshots serve` (and `headshots db purge` runs it once), so privacy does not
depend on an operator remembering a cron job.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from storage.database import Database
from storage.erasure import delete_expired_photos, delete_expired_records
from storage.photos import PhotoStore

logger = logging.getLogger(__name__)


# An upload still unfinished after this long belongs to a writer that died.
UNFINISHED_AFTER = timedelta(hours=6)


def purge_once(db: Database, store: PhotoStore, retention_days: int) -> int:
    now = datetime.now(UTC)
    cutoff = now - timedelta(days=retention_days)
    removed = delete_expired_photos(db, store, cutoff)
    rows = delete_expired_records(db, cutoff)
    if rows:
        logger.info("retention removed %d jobs and sessions older than %s", rows, cutoff.isoformat())
    leftovers = store.sweep_unfinished(now - UNFINISHED_AFTER)
    if leftovers:
        logger.info("retention removed %d unfinished uploads", leftovers)
    if removed:
        logger.info("retention removed %d files older than %s", removed, cutoff.isoformat())
    return removed


async def run_retention(
    db: Database, store: PhotoStore, retention_days: int, *, interval_s: float = 3600.0
) -> None:
    """Purge now, then every `interval_s`, until cancelled."""
    while True:
        try:
            await asyncio.to_thread(purge_once, db, store, retention_days)
        except Exception:
            logger.exception("retention pass failed; will try again")
        await asyncio.sleep(interval_s)

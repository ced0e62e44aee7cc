"""Keep the job rows honest when the queue and the database disagree.

SAQ recovers a job whose worker died while attempts remain; when they are used up it marks
the SAQ record aborted, and the row would stay "running" forever. A job whose SAQ record is
gone (Redis flushed or restarted without persistence) would stay "queued" forever. Every
worker runs this repair on the sweep interval: rows are the truth, so the lost queued job is
enqueued again and the dead running one fails with a message the user can act on.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from saq import Queue
from saq.job import TERMINAL_STATUSES
from sqlmodel import col, select

from bot.jobs import redis_queue
from bot.jobs.context import WorkerContext
from storage import jobs
from storage.models import Job, utcnow

log = logging.getLogger(__name__)

LOST_MESSAGE = "The machine making your headshots stopped several times. Please order again."


async def run_forever(ctx: WorkerContext, queue: Queue, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await reconcile_once(ctx, queue, grace_s=2 * interval_s)
        except Exception:
            log.exception("job reconciliation failed")


async def reconcile_once(ctx: WorkerContext, queue: Queue, *, grace_s: float) -> list[str]:
    """Repair rows whose SAQ record is finished or missing; returns the ids it touched."""
    settled_before = utcnow() - timedelta(seconds=grace_s)

    def load() -> list[Job]:
        with ctx.db.session() as session:
            return list(
                session.exec(
                    select(Job).where(
                        col(Job.state).in_(jobs.ACTIVE_STATES), col(Job.created_at) < settled_before
                    )
                )
            )

    rows = await asyncio.to_thread(load)
    if not rows:
        return []
    records = await queue.jobs(row.id for row in rows)
    touched: list[str] = []
    for row, record in zip(rows, records, strict=True):
        if record is None:
            # Lost with Redis: the row still knows the order, so queue it again.
            await asyncio.to_thread(jobs.requeue, ctx.db, row.id, reason="the queue lost the job")
            if await redis_queue.enqueue(queue, ctx.settings, row.id):
                log.warning("job %s was missing from the queue; enqueued again", row.id)
                touched.append(row.id)
            continue
        if record.status not in TERMINAL_STATUSES:
            continue
        # SAQ gave up (attempts used up by lost workers or timeouts) but the row was not told.
        if await asyncio.to_thread(jobs.cancel_requested, ctx.db, row.id):
            await asyncio.to_thread(jobs.mark_cancelled, ctx.db, row.id)
        else:
            await asyncio.to_thread(jobs.fail, ctx.db, row.id, LOST_MESSAGE)
        log.warning("job %s: its queue record ended %s; row closed", row.id, record.status.value)
        touched.append(row.id)
    return touched

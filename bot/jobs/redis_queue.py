"""The SAQ side of a job, shared by the bots (enqueue, abort) and the workers (sweep repair).

The SAQ job key is the database job id, so enqueueing twice is refused by SAQ itself and
every SAQ record points back at its row.
"""

from __future__ import annotations

from saq import Queue
from saq.job import ACTIVE_STATUSES, Status
from saq.job import Job as SaqJob

from bot.jobs.keys import GENERATE_FUNCTION, JOB_TTL_S
from bot.settings import Settings


def saq_queue(settings: Settings) -> Queue:
    """The SAQ queue on `Settings.redis_url` (call `connect()` before use)."""
    if settings.embedded:
        msg = "HEADSHOTS_REDIS_URL is empty: there is no Redis queue in embedded mode"
        raise ValueError(msg)
    return Queue.from_url(settings.redis_url, name=settings.queue_name)


async def enqueue(queue: Queue, settings: Settings, job_id: str) -> bool:
    """Put `job_id` on the queue with the retry, heartbeat and timeout policy; False if already there."""
    job = SaqJob(
        function=GENERATE_FUNCTION,
        kwargs={"job_id": job_id},
        key=job_id,
        timeout=settings.job_timeout_s,
        heartbeat=settings.job_heartbeat_s,
        retries=settings.job_attempts,
        retry_delay=settings.job_retry_delay_s,
        retry_backoff=True,
        ttl=JOB_TTL_S,
    )
    return await queue.enqueue(job) is not None


async def abort(queue: Queue, job_id: str, reason: str) -> bool:
    """Abort the SAQ job if it is waiting or running; a running one stops between engine steps."""
    job = await queue.job(job_id)
    if job is None or job.status not in ACTIVE_STATUSES:
        return False
    await queue.abort(job, reason)
    return True


async def forget(queue: Queue, job_id: str, reason: str) -> bool:
    """Remove every trace of `job_id` from Redis (for /delete): a waiting job is aborted and its
    record deleted at once; a running one is aborted and its record expires once the worker
    has stopped it (the worker still needs it to finish the abort). True if nothing is left."""
    job = await queue.job(job_id)
    if job is None:
        return True
    if job.status in ACTIVE_STATUSES:
        await queue.abort(job, reason)
        job = await queue.job(job_id)
    if job is None:
        return True
    if job.status in {Status.ABORTING, Status.ACTIVE}:
        return False
    redis = getattr(queue, "redis", None)
    if redis is not None:
        await redis.delete(job.id, job.abort_id)
    return True

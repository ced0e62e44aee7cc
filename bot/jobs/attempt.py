"""One attempt at one job, the same in a SAQ worker and in embedded mode.

It moves the job row through its states, runs `execute.run_order` in a thread (the engine is
blocking code), and decides what an error means: a user error (bad selfie set, unknown
style) fails at once with the engine's message; a transient one (GPU out of memory, a lost
device) and an unexpected crash go back to the queue until the attempts are used up.
The queue runner owns the retry timing; this module only reports the outcome.
"""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum

from bot.jobs import execute, studio
from bot.jobs.context import WorkerContext
from bot.jobs.progress import ProgressReporter
from bot.observability import record_job
from engine.errors import EngineError, GenerationCancelledError, TransientGenerationError
from engine.progress import CancelToken
from storage import jobs
from storage.jobs import StoredAlbum
from storage.models import Job, JobState
from storage.studio import is_studio

log = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "Something went wrong on our side while making your headshots. Please try again."
SHUTDOWN_REASON = "worker shutting down"


class Outcome(StrEnum):
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    RETRY = "retry"
    SKIPPED = "skipped"
    """Nothing to do: the job had finished (a retry after the album was stored) or is gone."""


async def run_attempt(
    ctx: WorkerContext, job_id: str, *, attempt: int, final_attempt: bool, cancel: CancelToken
) -> Outcome:
    """Run `job_id` once. Cancelling the calling task stops the engine between steps, puts the
    job back in the queue (or marks it cancelled if the user asked) and re-raises."""
    job = await asyncio.to_thread(jobs.start_attempt, ctx.db, job_id, worker=ctx.name, attempt=attempt)
    if job is None:
        log.info("job %s: nothing to run", job_id)
        return Outcome.SKIPPED
    log.info("job %s: attempt %d on %s", job_id, attempt, ctx.name)
    reporter = await asyncio.to_thread(ProgressReporter, ctx.db, job, cancel)
    try:
        album = await _in_thread(ctx, job, reporter, cancel)
    except asyncio.CancelledError:
        await asyncio.to_thread(_stop_after_cancel, ctx, job)
        raise
    except GenerationCancelledError:
        return await asyncio.to_thread(_stop_after_cancel, ctx, job)
    except TransientGenerationError as exc:
        log.warning("job %s: transient error on attempt %d: %s", job_id, attempt, exc.user_message)
        return await asyncio.to_thread(
            _retry_or_fail, ctx, job, exc.user_message, final_attempt, halve_batch=True
        )
    except EngineError as exc:
        log.info("job %s: %s (%s)", job_id, exc.user_message, exc.code)
        await asyncio.to_thread(jobs.fail, ctx.db, job_id, exc.user_message)
        return Outcome.FAILED
    except Exception:
        log.exception("job %s: attempt %d crashed", job_id, attempt)
        return await asyncio.to_thread(_retry_or_fail, ctx, job, INTERNAL_ERROR_MESSAGE, final_attempt)
    stage_seconds = reporter.stage_seconds()
    try:
        state = await asyncio.to_thread(
            jobs.complete,
            ctx.db,
            job_id,
            album,
            payload=_delivery_payload(album),
            stage_seconds=stage_seconds,
        )
    except jobs.JobNotFoundError:
        state = JobState.CANCELLED  # erased (/delete) while the album was written
    if state == JobState.CANCELLED:
        # Cancelled or erased while the last step ran: what this attempt wrote has no row.
        await asyncio.to_thread(ctx.store.delete_prefix, execute.album_prefix(job))
    if ctx.metrics is not None:
        record_job(ctx.metrics, stage_seconds)
    return Outcome.DONE if state == JobState.DONE else Outcome.CANCELLED


async def _in_thread(
    ctx: WorkerContext, job: Job, reporter: ProgressReporter, cancel: CancelToken
) -> StoredAlbum:
    """Await the engine thread; if this task is cancelled, tell the engine and wait for it."""
    loop = asyncio.get_running_loop()
    run = studio.run_studio if is_studio(job) else execute.run_order
    future = loop.run_in_executor(None, lambda: run(job, ctx, progress=reporter, cancel=cancel))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        cancel.cancel()
        try:
            await future
        except Exception:
            log.debug("job %s: engine stopped after cancel", job.id, exc_info=True)
        raise


def _stop_after_cancel(ctx: WorkerContext, job: Job) -> Outcome:
    """The engine stopped: the user cancelled (job ends cancelled) or the worker is leaving."""
    if jobs.cancel_requested(ctx.db, job.id):
        jobs.mark_cancelled(ctx.db, job.id)
        return Outcome.CANCELLED
    jobs.requeue(ctx.db, job.id, reason=SHUTDOWN_REASON)
    return Outcome.RETRY


def _retry_or_fail(
    ctx: WorkerContext, job: Job, message: str, final_attempt: bool, *, halve_batch: bool = False
) -> Outcome:
    if final_attempt:
        jobs.fail(ctx.db, job.id, message)
        return Outcome.FAILED
    jobs.requeue(ctx.db, job.id, reason=message, halve_batch=halve_batch)
    return Outcome.RETRY


def _delivery_payload(album: StoredAlbum) -> dict[str, object]:
    """What a bot needs to post the album without reading the job: keys in rank order."""
    return {
        "album_key": album.album_key,
        "contact_sheet": album.contact_sheet_key,
        "images": [result.store_key for result in album.results],
    }

"""The SAQ worker: models loaded once at start-up, one job at a time per GPU, crash-safe.

SAQ gives each running job a heartbeat (`Settings.job_heartbeat_s`); a worker that dies
(SIGKILL, power loss) stops beating, and any other worker's sweep (`Settings.queue_sweep_s`)
puts its job back in the queue, where the next attempt starts from the job row. SIGTERM is
graceful: the current job gets `Settings.shutdown_grace_s` to finish, then stops between two
diffusion steps and is re-queued. A cancel from the chat aborts the SAQ job; the abort
cancels our task, which sets the engine's `CancelToken`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from typing import Any

from saq import Worker
from saq.job import Job as SaqJob
from saq.job import Status
from saq.types import Context

from bot.engine_config import load_engine_from_settings
from bot.jobs import reconcile
from bot.jobs.attempt import Outcome, run_attempt
from bot.jobs.context import WorkerContext
from bot.jobs.embedded import EmbeddedRunner
from bot.jobs.keys import GENERATE_FUNCTION
from bot.jobs.redis_queue import saq_queue
from bot.observability import Metrics, observed
from bot.photo_store import open_photo_store
from bot.settings import Settings
from engine.progress import CancelToken
from storage.database import Database

log = logging.getLogger(__name__)

ABORT_CHECK_S = 1
"""How often SAQ looks for aborted jobs among the ones this worker runs."""


class RetryLaterError(RuntimeError):
    """Raised to SAQ so it re-queues the job with backoff (the job row is already queued)."""


class JobFailedError(RuntimeError):
    """Raised to SAQ for a job that failed for good; the job row holds the user's message."""


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


async def generate_order(ctx: Context, *, job_id: str) -> dict[str, Any]:
    """The SAQ job function: one attempt at `job_id`, beating SAQ's heartbeat while it runs."""
    worker_ctx: WorkerContext = ctx["resources"]  # type: ignore[typeddict-item]
    saq_job = ctx["job"]
    cancel = CancelToken()
    beating = asyncio.create_task(_heartbeat(saq_job, worker_ctx.settings.job_heartbeat_s))
    try:
        outcome = await run_attempt(
            worker_ctx,
            job_id,
            attempt=saq_job.attempts,
            final_attempt=saq_job.attempts >= saq_job.retries,
            cancel=cancel,
        )
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
    if outcome == Outcome.RETRY:
        raise RetryLaterError(job_id)
    if outcome == Outcome.CANCELLED:
        await _await_abort(saq_job)
    if outcome == Outcome.FAILED:
        # No SAQ retry for a job that failed for good: the user error is final.
        saq_job.retries = saq_job.attempts
        raise JobFailedError(job_id)
    return {"state": outcome.value}


async def _await_abort(saq_job: SaqJob) -> None:
    """The engine saw the user's cancel on the job row before SAQ's abort reached this task.

    SAQ's abort check (every second) is about to cancel this task; waiting for it lets SAQ
    record the job as aborted rather than complete. A cancel that came only through the row
    returns after the wait.
    """
    record = await saq_job.get_queue().job(saq_job.key)
    if record is not None and record.status in {Status.ABORTING, Status.ABORTED}:
        await asyncio.sleep(ABORT_CHECK_S * 3)


async def _heartbeat(saq_job: SaqJob, heartbeat_s: int) -> None:
    """Touch the SAQ job well inside its heartbeat window while the engine thread works."""
    interval = max(0.2, heartbeat_s / 3)
    while True:
        await asyncio.sleep(interval)
        try:
            await saq_job.update()
        except Exception:
            log.warning("heartbeat of %s failed", saq_job.key, exc_info=True)


def worker_settings(
    settings: Settings, *, concurrency: int, name: str, metrics: Metrics | None = None
) -> dict[str, Any]:
    """Keyword arguments for `saq.Worker`: queue, function, hooks and timers from `Settings`."""

    async def startup(ctx: Context) -> None:
        ctx["resources"] = await asyncio.to_thread(build_context, settings, name)  # type: ignore[typeddict-unknown-key]
        ctx["resources"].metrics = metrics  # type: ignore[typeddict-item]
        ctx["reconciler"] = asyncio.create_task(  # type: ignore[typeddict-unknown-key]
            reconcile.run_forever(ctx["resources"], ctx["worker"].queue, settings.queue_sweep_s)  # type: ignore[typeddict-item]
        )
        log.info("worker %s ready (concurrency %d)", name, concurrency)

    async def shutdown(ctx: Context) -> None:
        task: asyncio.Task[None] | None = ctx.get("reconciler")  # type: ignore[assignment]
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        resources: WorkerContext | None = ctx.get("resources")  # type: ignore[assignment]
        if resources is not None:
            resources.db.dispose()

    return {
        "queue": saq_queue(settings),
        "functions": [(GENERATE_FUNCTION, generate_order)],
        "concurrency": concurrency,
        "id": name,
        "startup": startup,
        "shutdown": shutdown,
        "timers": {"sweep": settings.queue_sweep_s, "abort": ABORT_CHECK_S, "schedule": 1, "worker_info": 10},
        "shutdown_grace_period_s": settings.shutdown_grace_s,
        "cancellation_hard_deadline_s": 60.0,
        "metadata": {"name": name, "backend": settings.generation_backend},
    }


def build_context(settings: Settings, name: str) -> WorkerContext:
    """Open the database and photo store and load the engine's models (slow: once per process).

    Progress travels through the job row (`storage.jobs.record_progress`), which every bot
    process reads; there is no second channel to keep in step with it.
    """
    return WorkerContext(
        settings=settings,
        db=Database(settings.effective_database_url),
        store=open_photo_store(settings),
        engine=load_engine_from_settings(settings),
        name=name,
    )


async def run_worker(settings: Settings, *, concurrency: int, name: str) -> None:
    """Run until SIGTERM / SIGINT (SAQ installs the handlers)."""
    health_db = Database(settings.effective_database_url)
    try:
        async with observed(settings, health_db) as metrics:
            worker = Worker(**worker_settings(settings, concurrency=concurrency, name=name, metrics=metrics))
            await worker.queue.connect()
            try:
                await worker.start()
            finally:
                await worker.queue.disconnect()
    finally:
        health_db.dispose()


async def run_embedded_worker(settings: Settings, *, concurrency: int, name: str) -> None:
    """Embedded mode without the bots: work through the database queue until SIGTERM / SIGINT."""
    ctx = await asyncio.to_thread(build_context, settings, name)
    runner = EmbeddedRunner(ctx, concurrency=concurrency)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, runner.stop)
    log.info("embedded worker %s ready (concurrency %d)", name, concurrency)
    try:
        async with observed(settings, ctx.db) as metrics:
            ctx.metrics = metrics
            await runner.run()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        ctx.db.dispose()

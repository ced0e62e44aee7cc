"""What the bots call: submit an order, cancel it, ask where it is in the line.

`JobQueue` hides the mode: with Redis it enqueues on SAQ (workers anywhere take the jobs);
in embedded mode the job row is the queue and an in-process `EmbeddedRunner` is woken. The
database calls run in threads so a bot's event loop never waits on them.
"""

from __future__ import annotations

import asyncio
import math

from saq import Queue

from bot.jobs import redis_queue
from bot.jobs.embedded import EmbeddedRunner
from bot.settings import Settings
from conversations.shared.ports import JobStatus
from storage import jobs
from storage.database import Database
from storage.models import Job, JobState
from storage.orders import OrderLimits, OrderSpec, create_job

CANCEL_REASON = "cancelled by the user"


class JobQueue:
    """The job system as the bots see it (the conversation's `JobQueue` port). Build with
    `for_redis` or `embedded`."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        saq: Queue | None = None,
        runner: EmbeddedRunner | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self._saq = saq
        self._runner = runner
        self.limits = OrderLimits(
            active_orders=settings.active_orders_per_user,
            daily_quota=settings.daily_quota,
            studio_daily_quota=settings.studio_daily_quota,
        )

    @classmethod
    def for_redis(cls, settings: Settings, db: Database) -> JobQueue:
        """Redis mode; `await connect()` before use and `await close()` after."""
        return cls(settings, db, saq=redis_queue.saq_queue(settings))

    @classmethod
    def embedded(cls, settings: Settings, db: Database, runner: EmbeddedRunner | None = None) -> JobQueue:
        """Embedded mode: jobs wait as rows; `runner` (if running in this process) is woken."""
        return cls(settings, db, runner=runner)

    async def connect(self) -> None:
        if self._saq is not None:
            await self._saq.connect()

    async def close(self) -> None:
        if self._saq is not None:
            await self._saq.disconnect()

    async def submit(self, spec: OrderSpec) -> Job:
        """Queue an order; raises `storage.orders.ActiveOrderLimitError` / `DailyQuotaError`."""
        job = await asyncio.to_thread(create_job, self.db, spec, self.limits)
        if self._saq is not None:
            await redis_queue.enqueue(self._saq, self.settings, job.id)
        elif self._runner is not None:
            self._runner.wake()
        return job

    async def cancel(self, job_id: str) -> JobState:
        """Cancel an order; returns its state now (`running` until the worker stops it)."""
        state = await asyncio.to_thread(jobs.request_cancel, self.db, job_id)
        if state in {JobState.QUEUED, JobState.RUNNING, JobState.CANCELLED}:
            if self._saq is not None:
                await redis_queue.abort(self._saq, job_id, CANCEL_REASON)
            elif self._runner is not None:
                self._runner.cancel(job_id)
        return state

    async def forget(self, job_ids: list[str]) -> None:
        """Drop these jobs from Redis too (after /delete removed their rows); embedded: no-op."""
        if self._saq is None:
            return
        for job_id in job_ids:
            await redis_queue.forget(self._saq, job_id, CANCEL_REASON)

    async def status(self, job_id: str) -> JobStatus:
        """State, queue position, ETA and progress; raises `storage.jobs.JobNotFoundError`."""
        return await asyncio.to_thread(self._status, job_id)

    async def positions(self) -> list[tuple[str, int]]:
        """Every waiting job with its position, first to run first."""
        ids = await asyncio.to_thread(jobs.queued_job_ids, self.db)
        return [(job_id, index) for index, job_id in enumerate(ids, start=1)]

    def _status(self, job_id: str) -> JobStatus:
        job = jobs.get_job(self.db, job_id)
        state = JobState(job.state)
        position = jobs.queue_position(self.db, job_id) if state == JobState.QUEUED else None
        eta: float | None = None
        if state == JobState.RUNNING:
            eta = job.params.get("eta_s")
        elif position is not None:
            eta = self._queued_eta(position)
        return JobStatus(
            job_id=job.id,
            state=state,
            position=position,
            eta_s=eta,
            stage=job.stage,
            progress=job.progress,
            attempts=job.attempts,
            worker=job.worker,
            error=job.error,
            album_key=job.album_key,
        )

    def _queued_eta(self, position: int) -> float | None:
        """Running jobs' remaining time plus the jobs ahead, shared by the workers, plus this one."""
        per_job = sum(jobs.stage_estimates(self.db).values())
        if per_job <= 0:
            return None
        running = jobs.running_jobs(self.db)
        remaining = sum(float(job.params.get("eta_s") or per_job) for job in running)
        workers = max(1, len({job.worker for job in running}), self.settings.worker_concurrency)
        waiting = math.ceil((remaining + (position - 1) * per_job) / workers)
        return waiting + per_job


def job_queue(settings: Settings, db: Database, runner: EmbeddedRunner | None = None) -> JobQueue:
    """The queue for this configuration: Redis when `redis_url` is set, else embedded."""
    if settings.embedded:
        return JobQueue.embedded(settings, db, runner)
    return JobQueue.for_redis(settings, db)

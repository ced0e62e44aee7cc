"""Embedded mode: the worker inside `headshots serve`, with the database as the queue.

No Redis, nothing else installed: queued jobs are simply rows in state `queued`, taken oldest
first with a compare-and-set, so they survive a restart. On start, rows a previous process
left `running` go back to the queue (that interrupted try counts as an attempt). Retries and
cancels follow the same rules as the SAQ worker because both run `attempt.run_attempt`.
One embedded runner per database: two would each re-queue the other's running jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from bot.jobs.attempt import Outcome, run_attempt
from bot.jobs.context import WorkerContext
from engine.progress import CancelToken
from storage import jobs

log = logging.getLogger(__name__)

RESTART_REASON = "the server restarted while the job was running"


class EmbeddedRunner:
    """Runs queued jobs in this process, `concurrency` at a time, until `stop()`."""

    def __init__(self, ctx: WorkerContext, *, concurrency: int = 1, poll_s: float = 1.0) -> None:
        self._ctx = ctx
        self._concurrency = concurrency
        self._poll_s = poll_s
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tokens: dict[str, CancelToken] = {}
        self._not_before: dict[str, float] = {}

    def wake(self) -> None:
        """A job was queued: look now instead of at the next poll."""
        self._wake.set()

    def cancel(self, job_id: str) -> bool:
        """Stop a job running here at its next engine step; False if it is not running here."""
        token = self._tokens.get(job_id)
        if token is None:
            return False
        token.cancel()
        return True

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Take and run jobs until `stop()`; running jobs are then stopped and re-queued."""
        requeued = await asyncio.to_thread(jobs.requeue_interrupted, self._ctx.db, reason=RESTART_REASON)
        if requeued:
            log.warning("re-queued %d job(s) interrupted by a restart: %s", len(requeued), requeued)
        loops = [asyncio.create_task(self._loop()) for _ in range(self._concurrency)]
        await self._stopping.wait()
        for task in loops:
            task.cancel()
        for task in loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            job_id = await asyncio.to_thread(self._claim)
            if job_id is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_s)
                continue
            try:
                await self._run_one(job_id)
            except Exception:
                # The attempt's own errors are handled inside it; this is the database failing
                # under us. The row stays running and is re-queued by the next start.
                log.exception("embedded runner: job %s could not be run", job_id)
                await asyncio.sleep(self._poll_s)

    def _claim(self) -> str | None:
        now = time.monotonic()
        self._not_before = {k: v for k, v in self._not_before.items() if v > now}
        return jobs.claim_next(self._ctx.db, skip=tuple(self._not_before))

    async def _run_one(self, job_id: str) -> None:
        job = await asyncio.to_thread(jobs.get_job, self._ctx.db, job_id)
        attempt = job.attempts + 1
        settings = self._ctx.settings
        token = CancelToken()
        self._tokens[job_id] = token
        try:
            outcome = await run_attempt(
                self._ctx,
                job_id,
                attempt=attempt,
                final_attempt=attempt >= settings.job_attempts,
                cancel=token,
            )
        finally:
            self._tokens.pop(job_id, None)
        if outcome == Outcome.RETRY:
            delay = settings.job_retry_delay_s * 2 ** (attempt - 1)
            self._not_before[job_id] = time.monotonic() + delay
            log.info("job %s: retry in %.1f s", job_id, delay)

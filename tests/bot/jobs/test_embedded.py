"""Embedded mode (no Redis): the database is the queue, and a restart loses no job."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from sqlmodel import select

from bot.jobs.queue import JobQueue
from storage import jobs
from storage.models import JobState, OutboxEntry
from tests.bot.jobs.conftest import JobEnv, wait_for


def test_queued_and_running_jobs_survive_a_restart(embedded_env: JobEnv, person_a_paths: list[Path]) -> None:
    env = embedded_env
    assert env.settings.embedded

    async def submit_two() -> tuple[str, str]:
        queue = JobQueue.embedded(env.settings, env.db)
        first = await queue.submit(env.order(env.user("first"), person_a_paths, count=3, keep=2))
        second = await queue.submit(env.order(env.user("second"), person_a_paths, count=1, keep=1))
        return first.id, second.id

    first_id, second_id = asyncio.run(submit_two())
    server = env.start_worker("E1")
    wait_for(
        lambda: jobs.get_job(env.db, first_id).stage is not None,
        timeout=90,
        what="the first job to generate",
    )
    assert jobs.get_job(env.db, second_id).state == JobState.QUEUED

    server.send_signal(signal.SIGTERM)  # the server is restarted mid-job
    assert server.wait(timeout=60) == 0, env.worker_log("E1")[-3000:]
    assert jobs.get_job(env.db, first_id).state == JobState.QUEUED  # handed back, not lost
    assert jobs.get_job(env.db, second_id).state == JobState.QUEUED

    env.start_worker("E2")

    def both_finished() -> bool:
        return all(JobState(jobs.get_job(env.db, i).state).finished for i in (first_id, second_id))

    wait_for(both_finished, timeout=120, what="both jobs after the restart")
    first, second = jobs.get_job(env.db, first_id), jobs.get_job(env.db, second_id)
    assert (first.state, first.attempts, first.worker) == (JobState.DONE, 2, "E2"), env.worker_log("E2")[
        -3000:
    ]
    assert (second.state, second.attempts) == (JobState.DONE, 1)
    with env.db.session() as session:
        entries = list(session.exec(select(OutboxEntry)))
    assert sorted(entry.job_id for entry in entries) == sorted([first_id, second_id])

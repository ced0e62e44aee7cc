"""Rows and queue records that disagree are repaired: lost queued jobs come back, dead ones end."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from saq.job import Status

from bot.jobs import reconcile, redis_queue
from bot.jobs.context import WorkerContext
from storage import jobs
from storage.models import Job, JobState, utcnow
from storage.orders import OrderLimits, create_job
from tests.bot.jobs.conftest import JobEnv, make_env

pytestmark = pytest.mark.redis


def old_job(env: JobEnv, name: str) -> str:
    spec = env.order(env.user(name), [Path(__file__)], count=1, keep=1)
    job = create_job(env.db, spec, OrderLimits(), now=utcnow() - timedelta(minutes=5))
    return job.id


def test_a_job_lost_from_redis_is_queued_again_and_one_saq_gave_up_on_fails(
    tmp_path: Path, redis_url: str
) -> None:
    env = make_env(tmp_path, redis_url)
    ctx = WorkerContext(
        settings=env.settings,
        db=env.db,
        store=env.store,
        engine=None,  # reconciliation never runs the engine
        name="test",
    )
    lost = old_job(env, "lost")
    given_up = old_job(env, "given-up")
    healthy = old_job(env, "healthy")

    async def go() -> list[str]:
        queue = redis_queue.saq_queue(env.settings)
        await queue.connect()
        try:
            await redis_queue.enqueue(queue, env.settings, given_up)
            await redis_queue.enqueue(queue, env.settings, healthy)
            record = await queue.job(given_up)
            assert record is not None
            jobs.start_attempt(env.db, given_up, worker="dead", attempt=3)
            await queue.finish(record, Status.ABORTED, error="swept")
            touched = await reconcile.reconcile_once(ctx, queue, grace_s=60)
            relisted = await queue.job(lost)
            assert relisted is not None
            assert relisted.status == Status.QUEUED
            return touched
        finally:
            await queue.disconnect()

    assert sorted(asyncio.run(go())) == sorted([lost, given_up])
    failed: Job = jobs.get_job(env.db, given_up)
    assert (failed.state, failed.error) == (JobState.FAILED, reconcile.LOST_MESSAGE)
    assert jobs.get_job(env.db, healthy).state == JobState.QUEUED
    assert jobs.get_job(env.db, lost).state == JobState.QUEUED
    env.db.dispose()

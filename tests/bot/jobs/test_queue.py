"""What the bots call: limits enforced on submit, positions and ETAs, the CLI refusing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.jobs.queue import JobQueue
from storage import jobs
from storage.models import JobState
from storage.orders import ActiveOrderLimitError, DailyQuotaError
from tests.bot.jobs.conftest import JobEnv, make_env
from tests.storage.test_jobs import album_for

pytestmark = pytest.mark.redis


def test_quota_and_one_active_order_are_enforced_on_submit(tmp_path: Path, redis_url: str) -> None:
    env = make_env(tmp_path, redis_url, HEADSHOTS_DAILY_QUOTA="2")
    selfies = [Path(__file__)]  # contents are irrelevant to the limits

    async def go() -> None:
        queue = JobQueue.for_redis(env.settings, env.db)
        await queue.connect()
        try:
            user_id = env.user()
            spec = env.order(user_id, selfies, count=1, keep=1)
            first = await queue.submit(spec)
            with pytest.raises(ActiveOrderLimitError):
                await queue.submit(spec)
            await queue.cancel(first.id)  # cancelled before it ran: does not use the quota
            second = await queue.submit(spec)
            jobs.start_attempt(env.db, second.id, worker="w", attempt=1)
            jobs.fail(env.db, second.id, "boom")  # failed orders do not use the quota
            third = await queue.submit(spec)
            jobs.start_attempt(env.db, third.id, worker="w", attempt=1)
            jobs.mark_cancelled(env.db, third.id)  # cancelled while running: it used the GPU
            fourth = await queue.submit(spec)
            assert await queue.positions() == [(fourth.id, 1)]
            jobs.start_attempt(env.db, fourth.id, worker="w", attempt=1)
            jobs.complete(env.db, fourth.id, album_for(fourth.id, user_id), payload={}, stage_seconds={})
            with pytest.raises(DailyQuotaError):
                await queue.submit(spec)
        finally:
            await queue.close()

    asyncio.run(go())
    env.db.dispose()


def test_positions_and_eta_for_waiting_users(tmp_path: Path, redis_url: str) -> None:
    env = make_env(tmp_path, redis_url)

    async def go() -> None:
        queue = JobQueue.for_redis(env.settings, env.db)
        await queue.connect()
        try:
            ids = []
            for n in range(3):
                spec = env.order(env.user(f"user{n}"), [Path(__file__)], count=1, keep=1)
                ids.append((await queue.submit(spec)).id)
            assert await queue.positions() == [(ids[0], 1), (ids[1], 2), (ids[2], 3)]
            third = await queue.status(ids[2])
            assert (third.state, third.position, third.eta_s) == (JobState.QUEUED, 3, None)
            # One album took 10 s: now the third in line can be told roughly when.
            jobs.start_attempt(env.db, ids[0], worker="w", attempt=1)
            jobs.record_progress(env.db, ids[0], stage="generate", progress=0.5, stage_seconds={}, eta_s=5.0)
            done_before = env.order(env.user("past"), [Path(__file__)], count=1, keep=1)
            past = await queue.submit(done_before)
            jobs.start_attempt(env.db, past.id, worker="w", attempt=1)
            jobs.complete(
                env.db,
                past.id,
                album_for(past.id, past.user_id),
                payload={},
                stage_seconds={"generate": 10.0},
            )
            third = await queue.status(ids[2])
            assert third.position == 2
            assert third.eta_s == 5.0 + 10.0 + 10.0
            running = await queue.status(ids[0])
            assert (running.state, running.stage, running.eta_s) == (JobState.RUNNING, "generate", 5.0)
        finally:
            await queue.close()

    asyncio.run(go())
    env.db.dispose()


def test_cli_submit_prints_the_refusal_when_the_user_has_an_active_order(
    tmp_path: Path,
    redis_url: str,
    person_a_paths: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env: JobEnv = make_env(tmp_path, redis_url)
    for key, value in env.env.items():
        if key.startswith("HEADSHOTS_"):
            monkeypatch.setenv(key, value)
    folder = str(person_a_paths[0].parent)
    assert main(["submit", folder, "--style", "corporate", "--json"]) == 0
    job_id = json.loads(capsys.readouterr().out)["job_id"]
    assert jobs.get_job(env.db, job_id).state == JobState.QUEUED
    assert main(["submit", folder, "--style", "corporate"]) == 1
    assert "already have an order" in capsys.readouterr().err
    env.db.dispose()

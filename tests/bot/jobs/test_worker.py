"""The Redis job system end to end: real `headshots worker` processes, SAQ on real Redis, the
real engine pipeline with the preview backend, person_a's real selfies."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from saq.job import Status
from sqlmodel import col, select

from bot.jobs import redis_queue
from bot.jobs.queue import JobQueue
from storage import jobs, outbox
from storage.models import Job, JobState, OutboxEntry, Result
from tests.bot.jobs.conftest import REPO, JobEnv, wait_for

pytestmark = pytest.mark.redis


def submit(env: JobEnv, spec_args: dict[str, object], selfies: list[Path]) -> str:
    async def go() -> str:
        queue = JobQueue.for_redis(env.settings, env.db)
        await queue.connect()
        try:
            user_id = env.user(str(spec_args.get("user", "alice")))
            spec = env.order(user_id, selfies, count=int(spec_args["count"]), keep=int(spec_args["keep"]))  # type: ignore[call-overload]
            return (await queue.submit(spec)).id
        finally:
            await queue.close()

    return asyncio.run(go())


def state_of(env: JobEnv, job_id: str) -> Job:
    return jobs.get_job(env.db, job_id)


def saq_status(env: JobEnv, job_id: str) -> Status | None:
    async def go() -> Status | None:
        queue = redis_queue.saq_queue(env.settings)
        await queue.connect()
        try:
            record = await queue.job(job_id)
            return None if record is None else record.status
        finally:
            await queue.disconnect()

    return asyncio.run(go())


def album_rows(env: JobEnv, job_id: str) -> tuple[list[Result], list[OutboxEntry]]:
    with env.db.session() as session:
        results = list(session.exec(select(Result).where(Result.job_id == job_id).order_by(col(Result.rank))))
        entries = list(session.exec(select(OutboxEntry).where(OutboxEntry.job_id == job_id)))
    return results, entries


def headshots(env: JobEnv, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_cli_submit_runs_on_a_worker_process_and_the_album_is_queued_for_delivery_once(
    redis_env: JobEnv, person_a_paths: list[Path]
) -> None:
    folder = person_a_paths[0].parent
    submitted = headshots(
        redis_env, "submit", str(folder), "--style", "corporate", "--count", "3", "--keep", "2", "--json"
    )
    assert submitted.returncode == 0, submitted.stderr
    job_id = json.loads(submitted.stdout)["job_id"]
    assert state_of(redis_env, job_id).state == JobState.QUEUED
    assert headshots(redis_env, "status", job_id).stdout.split()[1:4] == ["queued", "position", "1"]

    redis_env.start_worker("A")
    wait_for(lambda: JobState(state_of(redis_env, job_id).state).finished, timeout=90, what="the album")

    job = state_of(redis_env, job_id)
    assert job.state == JobState.DONE, (job.error, redis_env.worker_log("A")[-3000:])
    assert (job.attempts, job.worker) == (1, "A")
    assert set(job.stage_seconds) >= {"generate"}
    results, entries = album_rows(redis_env, job_id)
    assert 1 <= len(results) <= 2
    for result in results:
        assert redis_env.store.exists(result.store_key)
        assert result.store_key.startswith(f"users/{job.user_id}/jobs/{job_id}/")
    album = json.loads(redis_env.store.get_bytes(job.album_key or ""))
    album_prefix = (job.album_key or "").rsplit("/", 1)[0]
    assert [f"{album_prefix}/{item['file']}" for item in album["items"]] == [r.store_key for r in results]
    assert album["job_id"] == job_id
    assert len(entries) == 1
    assert entries[0].payload["images"] == [r.store_key for r in results]
    assert saq_status(redis_env, job_id) == Status.COMPLETE

    status = json.loads(headshots(redis_env, "status", job_id, "--json").stdout)
    assert status["state"] == "done"
    assert Path(status["album_dir"], "album.json").is_file()

    (claimed,) = outbox.claim(redis_env.db, "cli")
    assert claimed.job_id == job_id


def test_a_worker_killed_mid_job_loses_nothing_and_the_album_is_made_once(
    redis_env: JobEnv, person_a_paths: list[Path]
) -> None:
    job_id = submit(redis_env, {"count": 5, "keep": 2}, person_a_paths)
    worker_a = redis_env.start_worker("A")

    def generating() -> bool:
        job = state_of(redis_env, job_id)
        return job.state == JobState.RUNNING and job.stage == "generate"

    wait_for(generating, timeout=90, what="worker A to be generating")
    worker_a.send_signal(signal.SIGKILL)
    worker_a.wait(timeout=10)
    assert state_of(redis_env, job_id).state == JobState.RUNNING  # A died without a word

    redis_env.start_worker("B")
    wait_for(lambda: JobState(state_of(redis_env, job_id).state).finished, timeout=90, what="worker B")
    job = state_of(redis_env, job_id)
    assert job.state == JobState.DONE, (job.error, redis_env.worker_log("B")[-3000:])
    assert (job.attempts, job.worker) == (2, "B"), redis_env.worker_log("B")[-3000:]
    results, entries = album_rows(redis_env, job_id)
    assert len(results) == len({r.rank for r in results}) >= 1
    assert len(entries) == 1
    assert saq_status(redis_env, job_id) == Status.COMPLETE


def test_cancel_while_queued_and_while_running_and_a_failing_job_reports_its_error(
    redis_env: JobEnv, person_a_paths: list[Path], faces_dir: Path
) -> None:
    queued_id = submit(redis_env, {"user": "queued", "count": 2, "keep": 1}, person_a_paths)

    async def cancel(job_id: str) -> JobState:
        queue = JobQueue.for_redis(redis_env.settings, redis_env.db)
        await queue.connect()
        try:
            return await queue.cancel(job_id)
        finally:
            await queue.close()

    assert asyncio.run(cancel(queued_id)) == JobState.CANCELLED
    assert saq_status(redis_env, queued_id) == Status.ABORTED

    running_id = submit(redis_env, {"user": "running", "count": 30, "keep": 3}, person_a_paths)
    worker = redis_env.start_worker("A")
    wait_for(
        lambda: state_of(redis_env, running_id).stage == "generate", timeout=90, what="the job to generate"
    )
    assert asyncio.run(cancel(running_id)) == JobState.RUNNING  # stops at the next step
    wait_for(lambda: JobState(state_of(redis_env, running_id).state).finished, timeout=60, what="the cancel")
    job = state_of(redis_env, running_id)
    assert job.state == JobState.CANCELLED, redis_env.worker_log("A")[-3000:]
    assert album_rows(redis_env, running_id) == ([], [])
    wait_for(lambda: saq_status(redis_env, running_id) == Status.ABORTED, timeout=10, what="SAQ abort")

    # Not a selfie set at all: a user error, reported with the engine's message and not retried.
    strangers = sorted((faces_dir / "groups").glob("*.jpg"))
    failing_id = submit(redis_env, {"user": "groups", "count": 2, "keep": 1}, strangers)
    wait_for(lambda: JobState(state_of(redis_env, failing_id).state).finished, timeout=60, what="the failure")
    failed = state_of(redis_env, failing_id)
    assert failed.state == JobState.FAILED
    assert failed.error
    assert failed.attempts == 1
    wait_for(lambda: saq_status(redis_env, failing_id) == Status.FAILED, timeout=10, what="SAQ failed")
    assert album_rows(redis_env, failing_id) == ([], [])

    # SIGTERM mid-job (grace 0 s in these settings): the job goes back to the queue, not lost.
    leaving_id = submit(redis_env, {"user": "leaving", "count": 30, "keep": 3}, person_a_paths)
    wait_for(lambda: state_of(redis_env, leaving_id).stage is not None, timeout=60, what="the last job")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0, redis_env.worker_log("A")[-3000:]
    assert state_of(redis_env, leaving_id).state == JobState.QUEUED
    assert saq_status(redis_env, leaving_id) == Status.QUEUED

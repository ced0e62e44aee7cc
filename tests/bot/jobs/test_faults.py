"""Faults around the job system (issue 11). The worker SIGKILLed mid-job is
`test_worker.py::test_a_worker_killed_mid_job_loses_nothing_and_the_album_is_made_once`;
here: Redis restarted (its data lost) while a worker runs, and /delete reaching Redis.

The Redis restarted here is a private `redis-server` on its own loopback port, started and
killed by the test; the shared one on 6379 is never touched.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import redis

from bot.jobs.queue import JobQueue
from storage.models import JobState
from tests.bot.jobs.conftest import JobEnv, make_env, wait_for
from tests.bot.jobs.test_worker import album_rows, state_of, submit

pytestmark = pytest.mark.redis


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A throw-away redis-server without persistence: a restart loses everything it held."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port, self.workdir = port, workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        wait_for(lambda: _pings(client), timeout=10, what="the private redis-server")
        client.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


def _finished(env: JobEnv, job_id: str) -> bool:
    return JobState(state_of(env, job_id).state).finished


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(_free_port(), tmp_path)
    server.start()
    yield server
    server.kill()


def test_redis_restarted_mid_run_loses_no_job(
    tmp_path: Path, private_redis: PrivateRedis, person_a_paths: list[Path]
) -> None:
    env: JobEnv = make_env(tmp_path, private_redis.url)
    try:
        first = submit(env, {"count": 4, "keep": 2, "user": "ann"}, person_a_paths)
        queued = submit(env, {"count": 2, "keep": 1, "user": "bob"}, person_a_paths)
        env.start_worker("A")
        wait_for(lambda: state_of(env, first).state == JobState.RUNNING, timeout=90, what="job 1 running")

        private_redis.kill()  # everything in Redis is gone: the queued job, the running record
        time.sleep(1.0)
        private_redis.start()

        after = submit(env, {"count": 2, "keep": 1, "user": "cy"}, person_a_paths)  # the bot side reconnects
        for job_id in (first, queued, after):
            wait_for(partial(_finished, env, job_id), timeout=150, what=f"job {job_id}")
            job = state_of(env, job_id)
            assert job.state == JobState.DONE, (job.error, env.worker_log("A")[-3000:])
            results, entries = album_rows(env, job_id)
            assert len(results) == len({r.rank for r in results}) >= 1, "one album, no duplicates"
            assert len(entries) == 1, "delivered once"
        assert env.workers[0].poll() is None, "the worker reconnected instead of dying"
    finally:
        env.stop_all()
        env.db.dispose()


def test_forget_removes_a_deleted_users_queued_job_from_redis(
    redis_env: JobEnv, person_a_paths: list[Path]
) -> None:
    job_id = submit(redis_env, {"count": 2, "keep": 1}, person_a_paths)
    client = redis.Redis.from_url(redis_env.settings.redis_url)
    assert any(job_id.encode() in key for key in client.keys("*")), "the job is in Redis"
    assert any(
        job_id.encode() in m for m in client.lrange(f"saq:{redis_env.settings.queue_name}:queued", 0, -1)
    )

    async def delete() -> None:
        queue = JobQueue.for_redis(redis_env.settings, redis_env.db)
        await queue.connect()
        try:
            await queue.cancel(job_id)
            await queue.forget([job_id])
        finally:
            await queue.close()

    asyncio.run(delete())
    leftovers = [key for key in client.keys("*") if job_id.encode() in key]
    queued = client.lrange(f"saq:{redis_env.settings.queue_name}:queued", 0, -1)
    client.close()
    assert leftovers == []
    assert not any(job_id.encode() in m for m in queued)

"""Each upload is judged once, also under overload: the bot's fallback and the intake workers
never both judge it, and the same upload sent again is not judged again.

The intake worker runs in this process (SAQ's `Worker` with the real `assess_upload`) with a
counting assessor that can be held, so "busy past the bot's timeout" is a state the test
sets up, not a race it hopes for. Redis keys live under a queue name of this test's own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from redis.asyncio import Redis
from saq import Queue, Worker
from saq.types import Context

from bot.jobs.intake import QueuedAssessor, assess_upload, intake_queue, verdict_key
from bot.jobs.keys import INTAKE_FUNCTION
from bot.settings import Settings
from engine.faces import DlibFaceAnalyzer
from engine.intake import Assessment, Assessor
from tests.conftest import REDIS_TEST_URL


class CountingAssessor(Assessor):
    """Counts verdicts; with `hold` set, each waits for `release` before judging."""

    def __init__(self, *, hold: bool = False) -> None:
        super().__init__(DlibFaceAnalyzer(), max_bytes=25_000_000, max_pixels=50_000_000, min_photos=4)
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def assess(self, data: bytes, name: str) -> Assessment:
        self.calls += 1
        self.started.set()
        assert self.release.wait(60), "the test never released the verdict"
        return super().assess(data, name)


@pytest.fixture
async def settings(tmp_path: Path) -> AsyncIterator[Settings]:
    name = f"test-once-{uuid.uuid4().hex[:10]}"
    yield Settings(_env_file=None, data_dir=tmp_path, redis_url=REDIS_TEST_URL, queue_name=name)  # type: ignore[call-arg]
    client = Redis.from_url(REDIS_TEST_URL)
    for pattern in (f"saq:{name}*", f"{name}*"):
        async for key in client.scan_iter(pattern):
            await client.delete(key)
    await client.aclose()


@pytest.fixture
async def queue(settings: Settings) -> AsyncIterator[Queue]:
    bot_queue = intake_queue(settings)
    await bot_queue.connect()
    yield bot_queue
    await bot_queue.disconnect()


async def _worker(
    settings: Settings, assessor: Assessor, name: str
) -> tuple[Worker[Context], asyncio.Task[None]]:
    async def startup(ctx: Context) -> None:
        ctx["assessor"] = assessor  # type: ignore[typeddict-unknown-key]
        ctx["worker_name"] = name  # type: ignore[typeddict-unknown-key]

    worker_queue = intake_queue(settings)
    await worker_queue.connect()
    worker = Worker(
        worker_queue,
        functions=[(INTAKE_FUNCTION, assess_upload)],
        concurrency=1,
        startup=startup,
        timers={"sweep": 60, "abort": 1, "schedule": 1, "worker_info": 10},
    )
    return worker, asyncio.create_task(worker.start())


async def _stop(worker: Worker[Context], task: asyncio.Task[None]) -> None:
    await worker.stop()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await worker.queue.disconnect()


async def test_a_worker_busy_past_the_timeout_is_waited_for_not_doubled(
    settings: Settings, queue: Queue, person_a_paths: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    local, remote_judge = CountingAssessor(), CountingAssessor(hold=True)
    worker, task = await _worker(settings, remote_judge, "intake-busy")
    try:
        bot = QueuedAssessor(local, queue, asyncio.get_running_loop(), timeout_s=3)
        with caplog.at_level(logging.INFO, logger="bot.jobs.intake"):
            verdict = asyncio.create_task(
                asyncio.to_thread(bot.assess, person_a_paths[0].read_bytes(), "photo 1")
            )
            assert await asyncio.to_thread(remote_judge.started.wait, 30), "the worker never took the job"
            deadline = time.monotonic() + 30
            while "still judging" not in caplog.text:  # the bot's first wait ran out
                assert time.monotonic() < deadline, caplog.text
                await asyncio.sleep(0.05)
            remote_judge.release.set()
            assessment = await asyncio.wait_for(verdict, 30)
    finally:
        remote_judge.release.set()
        await _stop(worker, task)
    assert (remote_judge.calls, local.calls) == (1, 0), "judged once, by the worker"
    assert bot.last_judged_by == "intake-busy"
    assert assessment.report.ok


async def test_a_photo_the_bot_judged_itself_is_skipped_by_a_late_worker(
    queue: Queue, person_a_paths: list[Path]
) -> None:
    local, late = CountingAssessor(), CountingAssessor()
    data = person_a_paths[0].read_bytes()
    bot = QueuedAssessor(local, queue, asyncio.get_running_loop(), timeout_s=1)
    assessment = await asyncio.to_thread(bot.assess, data, "photo 1")  # no worker runs
    assert (local.calls, bot.last_judged_by) == (1, "")
    assert assessment.report.ok
    # A worker that dequeued the job just before the bot's abort still runs it: it must skip.
    ctx = {"assessor": late, "worker_name": "intake-late", "worker": SimpleNamespace(queue=queue)}
    key = verdict_key(data, "photo 1")
    answer = await assess_upload(ctx, data="", name="photo 1", key=key)  # type: ignore[arg-type]
    assert answer == {"skipped": "judged by bot"}
    assert late.calls == 0


async def test_the_same_upload_sent_again_is_not_judged_again(
    settings: Settings, queue: Queue, person_a_paths: list[Path]
) -> None:
    local, remote_judge = CountingAssessor(), CountingAssessor()
    worker, task = await _worker(settings, remote_judge, "intake-once")
    try:
        bot = QueuedAssessor(local, queue, asyncio.get_running_loop(), timeout_s=30)
        data = person_a_paths[1].read_bytes()
        first = await asyncio.to_thread(bot.assess, data, "photo 1")
        again = await asyncio.gather(*(asyncio.to_thread(bot.assess, data, "photo 1") for _ in range(3)))
        assert remote_judge.calls == 1
        other = await asyncio.to_thread(bot.assess, data, "photo 2")  # another name: its own verdict
    finally:
        await _stop(worker, task)
    assert (remote_judge.calls, local.calls) == (2, 0)
    assert all(a.report == first.report for a in again)
    assert other.report.name == "photo 2"

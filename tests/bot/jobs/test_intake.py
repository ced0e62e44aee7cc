"""Verdicts on intake workers: real `headshots intake` processes on Redis judge a burst.

The bot side is a `QueuedAssessor`, called from threads as the conversation calls it; the
answer must be the verdict the bot would have reached itself, and a burst must reach every
worker that is running.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from bot.jobs.intake import QueuedAssessor, assessment_from_json, assessment_to_json, intake_queue
from engine.faces import DlibFaceAnalyzer
from engine.intake import Assessment, Assessor
from tests.bot.jobs.conftest import JobEnv, wait_for


@pytest.fixture(scope="module")
def local_assessor() -> Assessor:
    return Assessor(DlibFaceAnalyzer(), max_bytes=25_000_000, max_pixels=50_000_000, min_photos=4)


def _same_verdict(remote: Assessment, local: Assessment) -> None:
    assert remote.report == local.report
    assert remote.signature.to_json() == local.signature.to_json()  # what the photo row keeps
    if local.assessed is None:
        assert remote.assessed is None
    else:
        assert remote.assessed is not None
        assert remote.assessed.photo.image.size == local.assessed.photo.image.size
        assert remote.assessed.photo.sha256 == local.assessed.photo.sha256
        if local.assessed.face is None:
            assert remote.assessed.face is None
        else:  # previews crop from it: every field comes back, arrays to the bit
            assert remote.assessed.face is not None
            assert remote.assessed.face.bbox == local.assessed.face.bbox
            for name in ("landmarks", "embedding", "landmarks_68"):
                theirs, ours = getattr(remote.assessed.face, name), getattr(local.assessed.face, name)
                assert (theirs is None) == (ours is None)
                if ours is not None:
                    assert theirs.dtype == ours.dtype
                    np.testing.assert_array_equal(theirs, ours)


def test_an_assessment_survives_the_wire(local_assessor: Assessor, person_a_paths: list[Path]) -> None:
    for data, name in [(person_a_paths[0].read_bytes(), "photo 1"), (b"not a photo", "photo 2")]:
        local = local_assessor.assess(data, name)
        _same_verdict(assessment_from_json(assessment_to_json(local, judged_by="w")), local)


async def test_a_burst_is_judged_by_every_intake_worker(
    redis_env: JobEnv, local_assessor: Assessor, person_a_paths: list[Path]
) -> None:
    for name in ("intake-a", "intake-b"):
        redis_env.start_worker(name, "intake", "--concurrency", "1")

    def ready(name: str) -> bool:
        return f"intake worker {name} ready" in redis_env.worker_log(name)

    for name in ("intake-a", "intake-b"):
        await asyncio.to_thread(wait_for, partial(ready, name), what=f"{name} up")
    queue = intake_queue(redis_env.settings)
    await queue.connect()
    try:
        remote = QueuedAssessor(local_assessor, queue, asyncio.get_running_loop(), timeout_s=120)
        uploads = [(p.read_bytes(), f"photo {i}") for i, p in enumerate(person_a_paths[:4], 1)]

        def judge(data: bytes, name: str) -> tuple[Assessment, str]:
            assessment = remote.assess(data, name)
            return assessment, remote.last_judged_by

        results = await asyncio.gather(*(asyncio.to_thread(judge, d, n) for d, n in uploads))
    finally:
        await queue.disconnect()
    for (data, name), (assessment, _) in zip(uploads, results, strict=True):
        _same_verdict(assessment, local_assessor.assess(data, name))
    judged_by = {by for _, by in results}
    assert judged_by == {"intake-a", "intake-b"}, "the burst was spread over both workers"


async def test_without_intake_workers_the_bot_judges_the_photo_itself(
    redis_env: JobEnv, local_assessor: Assessor, person_a_paths: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    queue = intake_queue(redis_env.settings)
    await queue.connect()
    try:
        remote = QueuedAssessor(local_assessor, queue, asyncio.get_running_loop(), timeout_s=1)
        data = person_a_paths[0].read_bytes()
        with caplog.at_level(logging.WARNING, logger="bot.jobs.intake"):
            assessment = await asyncio.to_thread(remote.assess, data, "photo 1")
    finally:
        await queue.disconnect()
    _same_verdict(assessment, local_assessor.assess(data, "photo 1"))
    assert remote.last_judged_by == ""
    assert "judging it in this process" in caplog.text

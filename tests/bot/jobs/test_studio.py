"""Studio orders on real `headshots worker` processes: the training job killed after a
checkpoint resumes there on a second worker, and /delete during training stops it and
leaves no file behind.

The workers load tiny random SDXL components (saved here) as their diffusers models and
train on person_a's real selfies at 64 px. The album itself is made with the preview
backend (`OrderSpec.backend`): random weights draw noise, which the ranker rightly refuses
to deliver (see tests/engine/test_pipeline_diffusers.py); generation *with* the LoRA is
tests/engine/training/test_trainer.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from saq.job import Status

from bot.jobs.queue import JobQueue
from storage.erasure import delete_user_data
from storage.jobs import JobNotFoundError
from storage.models import JobState
from storage.studio import CHECKPOINT, STUDIO_KIND, WEIGHTS, studio_prefix
from tests.bot.jobs.conftest import JobEnv, make_env, wait_for
from tests.bot.jobs.test_worker import album_rows, saq_status, state_of
from tests.engine.tiny_sdxl import save_tiny_models

pytestmark = [pytest.mark.redis, pytest.mark.timeout(3600)]
"""Two worker starts, two intakes and a dozen CPU training steps: minutes on an idle box,
over 20 with seven other sessions on the same two cores."""

STEPS = 12
EVERY = 4


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_models(tmp_path_factory.mktemp("models")).base


@pytest.fixture
def studio_env(tmp_path: Path, redis_url: str, tiny_base: Path) -> Iterator[JobEnv]:
    env = make_env(
        tmp_path,
        redis_url,
        HEADSHOTS_GENERATION_BACKEND="diffusers",
        HEADSHOTS_BASE_MODEL_ID=str(tiny_base),
        HEADSHOTS_DEVICE="cpu",
        HEADSHOTS_DTYPE="float32",
        HEADSHOTS_GENERATION_IDENTITY="none",
        HEADSHOTS_CONTROLNET_IDS="{}",
        HEADSHOTS_STUDIO_STEPS=str(STEPS),
        HEADSHOTS_STUDIO_CHECKPOINT_EVERY=str(EVERY),
        HEADSHOTS_STUDIO_RESOLUTION="64",
        HEADSHOTS_STUDIO_RANK="4",
        HEADSHOTS_STUDIO_CLASS_IMAGES="1",
        HEADSHOTS_STUDIO_CLASS_STEPS="1",
    )
    yield env
    env.stop_all()
    env.db.dispose()


def submit_studio(env: JobEnv, selfies: list[Path], user: str = "ann") -> tuple[int, str]:
    async def go() -> tuple[int, str]:
        queue = JobQueue.for_redis(env.settings, env.db)
        await queue.connect()
        try:
            user_id = env.user(user)
            spec = dataclasses.replace(
                env.order(user_id, selfies, count=3, keep=2), extra={"kind": STUDIO_KIND}
            )
            return user_id, (await queue.submit(spec)).id
        finally:
            await queue.close()

    return asyncio.run(go())


def checkpoint_step(env: JobEnv, key: str) -> int:
    saved = torch.load(io.BytesIO(env.store.get_bytes(key)), map_location="cpu", weights_only=True)
    return int(saved["step"])


def test_a_training_job_killed_after_a_checkpoint_resumes_there_on_another_worker(
    studio_env: JobEnv, person_a_paths: list[Path]
) -> None:
    user_id, job_id = submit_studio(studio_env, person_a_paths)
    checkpoint = f"{studio_prefix(user_id, job_id)}/{CHECKPOINT}"
    worker_a = studio_env.start_worker("A")
    wait_for(lambda: studio_env.store.exists(checkpoint), timeout=1500, what="worker A's first checkpoint")
    # Read before the kill: once A is gone the job may be requeued at once (its stage cleared).
    assert state_of(studio_env, job_id).stage == "train", "worker A reports training on the job row"
    worker_a.send_signal(signal.SIGKILL)
    worker_a.wait(timeout=10)
    killed_at = checkpoint_step(studio_env, checkpoint)
    assert killed_at % EVERY == 0
    assert 0 < killed_at < STEPS

    studio_env.start_worker("B")
    # Worker B's training figures as the row shows them to every chat's progress message.
    resumed: list[float] = []
    etas: list[float | None] = []

    def b_reports_training() -> bool:
        row = state_of(studio_env, job_id)
        if row.worker == "B" and row.stage == "train":
            resumed.append(row.progress)
            etas.append(row.params.get("eta_s"))
        return JobState(row.state).finished

    wait_for(b_reports_training, timeout=1500, what="worker B")
    job = state_of(studio_env, job_id)
    assert job.state == JobState.DONE, (job.error, studio_env.worker_log("B")[-3000:])
    assert job.worker == "B"
    album = json.loads(studio_env.store.get_bytes(job.album_key or ""))
    training = album["stats"]["studio"]
    assert training["trained"] is True
    assert training["resumed_from"] == killed_at, "resumed from the checkpoint, not from zero"
    assert training["steps"] == STEPS
    results, entries = album_rows(studio_env, job_id)
    assert len(results) == len({r.rank for r in results}) >= 1
    assert len(entries) == 1, "the album is delivered once"
    assert studio_env.store.exists(f"{studio_prefix(user_id, job_id)}/{WEIGHTS}")
    assert not studio_env.store.exists(checkpoint), "the checkpoint goes once the LoRA is stored"

    assert resumed, "worker B wrote training progress before it finished"
    assert resumed[0] >= killed_at / STEPS - 1e-3, "the progress message continues, not from 0"
    assert any(eta is not None for eta in etas), "an ETA while training"


def test_delete_during_training_stops_it_and_leaves_nothing_behind(
    studio_env: JobEnv, person_a_paths: list[Path]
) -> None:
    user_id, job_id = submit_studio(studio_env, person_a_paths, user="bea")
    checkpoint = f"{studio_prefix(user_id, job_id)}/{CHECKPOINT}"
    studio_env.start_worker("A")
    wait_for(lambda: studio_env.store.exists(checkpoint), timeout=1500, what="training under way")

    async def delete() -> None:  # what /delete does (conversations.actions.ActionHandler.delete)
        queue = JobQueue.for_redis(studio_env.settings, studio_env.db)
        await queue.connect()
        try:
            await queue.cancel(job_id)
            delete_user_data(studio_env.db, studio_env.store, user_id)
            await queue.forget([job_id])
        finally:
            await queue.close()

    asyncio.run(delete())
    wait_for(
        lambda: saq_status(studio_env, job_id) in {None, Status.ABORTED},
        timeout=120,
        what="the worker to stop the training",
    )
    with pytest.raises(JobNotFoundError):
        state_of(studio_env, job_id)
    assert album_rows(studio_env, job_id) == ([], [])
    user_dir = studio_env.store.root / "users" / str(user_id)
    left = [p for p in user_dir.rglob("*") if p.is_file()] if user_dir.exists() else []
    assert left == [], studio_env.worker_log("A")[-3000:]
    assert "studio checkpoint at step" in studio_env.worker_log("A")

"""Nothing left behind by a worker: an album finished after its job was cancelled or erased
removes its files, so does one the disk had no room for, and a worker whose job row is gone
stops at its next progress report."""

from __future__ import annotations

import contextlib
import errno
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import delete
from sqlmodel import col, select

from bot.jobs import execute
from bot.jobs.attempt import Outcome, run_attempt
from bot.jobs.context import WorkerContext
from bot.settings import Settings
from engine.progress import CancelToken
from engine.types import Album, Candidate, ScoredCandidate
from storage import jobs
from storage.database import Database
from storage.jobs import StoredAlbum, StoredResult
from storage.models import Job, JobState, Result
from storage.orders import create_job
from storage.photos import LocalPhotoStore
from tests.storage.test_jobs import MANY
from tests.storage.test_orders import make_user, spec_for


def test_progress_on_an_erased_job_tells_the_worker_to_stop(sqlite_db: Database) -> None:
    user_id = make_user(sqlite_db)
    job = create_job(sqlite_db, spec_for(user_id), MANY)
    jobs.start_attempt(sqlite_db, job.id, worker="A", attempt=1)
    report = {"stage": "generate", "progress": 0.5, "stage_seconds": {}, "eta_s": 3.0}
    assert jobs.record_progress(sqlite_db, job.id, **report) is False  # type: ignore[arg-type]
    with sqlite_db.session() as session:
        session.execute(delete(Job).where(col(Job.id) == job.id))  # the user's /delete
    assert jobs.record_progress(sqlite_db, job.id, **report) is True  # type: ignore[arg-type]


@pytest.mark.parametrize("ending", ["cancelled", "erased"])
async def test_an_album_written_after_cancel_or_delete_leaves_no_files(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    store = LocalPhotoStore(tmp_path / "photos")
    user_id = make_user(sqlite_db)
    job = create_job(sqlite_db, spec_for(user_id), MANY)
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    ctx = WorkerContext(settings, sqlite_db, store, None, "w")

    def write_album_then_end(job: Job, _ctx: Any, **_kwargs: Any) -> StoredAlbum:
        prefix = execute.album_prefix(job)
        key = store.put_image(f"{prefix}/01.jpg", Image.new("RGB", (8, 8)))
        if ending == "cancelled":
            jobs.request_cancel(sqlite_db, job.id)
        else:
            with sqlite_db.session() as session:
                session.execute(delete(Job).where(col(Job.id) == job.id))
        result = StoredResult(1, key, 8, 8, 0.9, 0.9, 0.9, 1.0, 0)
        return StoredAlbum(album_key=f"{prefix}/album.json", results=(result,))

    monkeypatch.setattr(execute, "run_order", write_album_then_end)
    outcome = await run_attempt(ctx, job.id, attempt=1, final_attempt=True, cancel=CancelToken())
    assert outcome == Outcome.CANCELLED
    assert not [p for p in (tmp_path / "photos").rglob("*") if p.is_file()], "no file without a row"


class DiskFillsUp(LocalPhotoStore):
    """A local store whose disk is full after `room` images: the write raises ENOSPC."""

    def __init__(self, root: Path, room: int) -> None:
        super().__init__(root)
        self.room = room

    def put_image(self, key: str, image: Image.Image, **kwargs: Any) -> str:
        if self.room == 0:
            raise OSError(errno.ENOSPC, "No space left on device", key)
        self.room -= 1
        return super().put_image(key, image, **kwargs)


def _album_of(count: int) -> Album:
    items = tuple(
        ScoredCandidate(
            Candidate(image=Image.new("RGB", (64, 64), (40 * i, 90, 120)), seed=i, params={}),
            identity=0.9,
            quality=0.8,
            style_fit=0.7,
            score=1.0 - i / 10,
            cluster=i,
        )
        for i in range(count)
    )
    return Album(style="corporate", items=items, contact_sheet=Image.new("RGB", (64, 32)))


async def test_a_disk_that_fills_up_mid_album_leaves_no_half_album_and_the_job_goes_back(
    sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two of four images written, then ENOSPC: the two go, no result row exists, the job is
    queued again (a later attempt, perhaps on a worker with room, writes the whole album)."""
    store = DiskFillsUp(tmp_path / "photos", room=2)
    user_id = make_user(sqlite_db)
    job = create_job(sqlite_db, spec_for(user_id), MANY)
    selfie = store.put_image(f"users/{user_id}/sessions/1/selfie.jpg", Image.new("RGB", (8, 8)))
    with sqlite_db.session() as session:
        row = session.get(Job, job.id)
        assert row is not None
        row.params = {**row.params, "photo_keys": [selfie]}
        session.add(row)
    store.room = 2
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    engine = SimpleNamespace(backends={job.backend: None}, styles=None)
    ctx = WorkerContext(settings, sqlite_db, store, engine, "w")
    monkeypatch.setattr(execute, "run_pipeline", lambda *_args, **_kwargs: _album_of(4))
    monkeypatch.setattr(execute, "_with_batch_scale", lambda resources, *_args: resources)
    monkeypatch.setattr(execute, "_unet_held", lambda *_args: contextlib.nullcontext())

    outcome = await run_attempt(ctx, job.id, attempt=1, final_attempt=False, cancel=CancelToken())

    assert outcome == Outcome.RETRY
    assert store.room == 0, "the disk did fill up half-way"
    album_files = [p for p in (tmp_path / "photos" / execute.album_prefix(job)).rglob("*") if p.is_file()]
    assert album_files == [], "the two written images are removed"
    assert store.exists(selfie), "the selfies stay for the next attempt"
    after = jobs.get_job(sqlite_db, job.id)
    assert after.state == JobState.QUEUED
    with sqlite_db.session() as session:
        assert not session.exec(select(Result).where(Result.job_id == job.id)).all(), "no result rows"

"""Nothing left behind by a worker: an album finished after its job was cancelled or erased
removes its files, and a worker whose job row is gone stops at its next progress report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bot.jobs.events import LocalUpdatePublisher
from PIL import Image
from sqlalchemy import delete
from sqlmodel import col

from bot.jobs import execute
from bot.jobs.attempt import Outcome, run_attempt
from bot.jobs.context import WorkerContext
from bot.settings import Settings
from engine.progress import CancelToken
from storage import jobs
from storage.database import Database
from storage.jobs import StoredAlbum, StoredResult
from storage.models import Job
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
    ctx = WorkerContext(settings, sqlite_db, store, None, LocalUpdatePublisher(), "w")

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

"""Job lifecycle rows: transitions, idempotent completion, cancel, positions, stage timings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from storage import jobs
from storage.database import Database
from storage.jobs import StoredAlbum, StoredResult
from storage.models import JobState, OutboxEntry, Result
from storage.orders import OrderLimits, create_job
from tests.storage.test_orders import make_user, spec_for

MANY = OrderLimits(active_orders=10_000)


def album_for(job_id: str, user_id: int) -> StoredAlbum:
    return StoredAlbum(
        album_key=f"users/{user_id}/jobs/{job_id}/album.json",
        results=tuple(
            StoredResult(
                rank=rank,
                store_key=f"users/{user_id}/jobs/{job_id}/{rank:02d}.jpg",
                width=2048,
                height=2048,
                identity=0.9,
                quality=0.8,
                style_fit=0.7,
                score=1.0 - rank / 10,
                cluster=rank,
                params={"seed": rank},
            )
            for rank in (1, 2)
        ),
    )


def test_a_job_completes_once_even_if_a_retry_completes_it_again(any_db: Database) -> None:
    user_id = make_user(any_db)
    job = create_job(any_db, spec_for(user_id), MANY)
    running = jobs.start_attempt(any_db, job.id, worker="A", attempt=1)
    assert running is not None
    assert running.state == JobState.RUNNING
    assert running.worker == "A"
    timings = {"assess": 0.5, "generate": 3.0}
    state = jobs.complete(any_db, job.id, album_for(job.id, user_id), payload={}, stage_seconds=timings)
    assert state == JobState.DONE
    again = jobs.complete(any_db, job.id, album_for(job.id, user_id), payload={}, stage_seconds={})
    assert again == JobState.DONE
    assert jobs.start_attempt(any_db, job.id, worker="B", attempt=2) is None
    with any_db.session() as session:
        assert len(list(session.exec(select(Result).where(Result.job_id == job.id)))) == 2
        assert len(list(session.exec(select(OutboxEntry).where(OutboxEntry.job_id == job.id)))) == 1
    done = jobs.get_job(any_db, job.id)
    assert done.progress == 1.0
    assert done.stage_seconds == timings
    assert done.finished_at is not None


def test_cancel_of_a_queued_job_is_immediate_and_of_a_running_one_is_a_request(any_db: Database) -> None:
    user_id = make_user(any_db)
    queued = create_job(any_db, spec_for(user_id), MANY)
    assert jobs.request_cancel(any_db, queued.id) == JobState.CANCELLED
    assert jobs.start_attempt(any_db, queued.id, worker="A", attempt=1) is None

    running = create_job(any_db, spec_for(user_id), MANY)
    jobs.start_attempt(any_db, running.id, worker="A", attempt=1)
    assert jobs.request_cancel(any_db, running.id) == JobState.RUNNING
    asked = jobs.record_progress(
        any_db, running.id, stage="generate", progress=0.5, stage_seconds={}, eta_s=3.0
    )
    assert asked is True
    # The album finished anyway in the same instant: the user asked to stop, so no delivery.
    state = jobs.complete(any_db, running.id, album_for(running.id, user_id), payload={}, stage_seconds={})
    assert state == JobState.CANCELLED
    with any_db.session() as session:
        assert list(session.exec(select(OutboxEntry))) == []


def test_a_transient_failure_requeues_with_a_smaller_batch_and_a_user_error_fails(any_db: Database) -> None:
    user_id = make_user(any_db)
    job = create_job(any_db, spec_for(user_id), MANY)
    jobs.start_attempt(any_db, job.id, worker="A", attempt=1)
    assert jobs.requeue(any_db, job.id, reason="out of GPU memory", halve_batch=True)
    requeued = jobs.get_job(any_db, job.id)
    assert requeued.state == JobState.QUEUED
    assert requeued.params["batch_scale"] == 0.5
    assert requeued.attempts == 1
    jobs.start_attempt(any_db, job.id, worker="B", attempt=2)
    assert jobs.fail(any_db, job.id, "Send at least 8 selfies.")
    assert not jobs.fail(any_db, job.id, "a second failure is ignored")
    failed = jobs.get_job(any_db, job.id)
    assert (failed.state, failed.error, failed.attempts) == (JobState.FAILED, "Send at least 8 selfies.", 2)


def test_positions_follow_the_order_jobs_were_placed(any_db: Database) -> None:
    t0 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    ids = []
    for n in range(5):
        user_id = make_user(any_db, f"user{n}")
        ids.append(create_job(any_db, spec_for(user_id), MANY, now=t0 + timedelta(seconds=n)).id)
    assert jobs.queued_job_ids(any_db) == ids
    assert [jobs.queue_position(any_db, job_id) for job_id in ids] == [1, 2, 3, 4, 5]
    assert jobs.claim_next(any_db) == ids[0]
    assert jobs.queue_position(any_db, ids[0]) is None
    assert jobs.queue_position(any_db, ids[3]) == 3
    assert jobs.claim_next(any_db, skip=(ids[1],)) == ids[2]


def test_stage_estimates_average_recent_albums_in_pipeline_order(sqlite_db: Database) -> None:
    user_id = make_user(sqlite_db)
    for generate in (2.0, 4.0):
        job = create_job(sqlite_db, spec_for(user_id), MANY)
        jobs.start_attempt(sqlite_db, job.id, worker="A", attempt=1)
        timings = {"assess": 1.0, "generate": generate, "rank": 0.5}
        jobs.complete(sqlite_db, job.id, album_for(job.id, user_id), payload={}, stage_seconds=timings)
    estimates = jobs.stage_estimates(sqlite_db)
    assert list(estimates) == ["assess", "generate", "rank"]
    assert estimates["generate"] == 3.0


def test_jobs_left_running_by_a_dead_process_go_back_to_the_queue(sqlite_db: Database) -> None:
    user_id = make_user(sqlite_db)
    job = create_job(sqlite_db, spec_for(user_id), MANY)
    assert jobs.claim_next(sqlite_db) == job.id
    jobs.start_attempt(sqlite_db, job.id, worker="embedded", attempt=1)
    assert jobs.requeue_interrupted(sqlite_db, reason="restart") == [job.id]
    assert jobs.get_job(sqlite_db, job.id).state == JobState.QUEUED
    assert jobs.claim_next(sqlite_db) == job.id

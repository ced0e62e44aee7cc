"""The life of a generation order in the database: queued → running → done / failed / cancelled.

The `Job` row is the source of truth the chats read (state, stage, progress, ETA, error); the
queue library only decides *who* runs a job and *when*. Every transition here is one short
transaction and is idempotent where a retry can repeat it: a job that is already finished is
never started, completed or failed a second time, which is what keeps "exactly one album"
true when a worker dies between storing the album and telling the queue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, tuple_, update
from sqlmodel import col, select

from storage.database import Database
from storage.models import Job, JobState, Result, utcnow
from storage.outbox import add_entry

ACTIVE_STATES = (JobState.QUEUED.value, JobState.RUNNING.value)
CANCEL_REQUESTED = "cancel_requested"
"""`Job.params` flag: the user asked to stop; the worker running the job honours it."""


class JobNotFoundError(LookupError):
    """No job with that id (or it was erased with the user's data)."""


@dataclass(frozen=True)
class StoredResult:
    """One album image already written to the photo store, with its scores."""

    rank: int
    store_key: str
    width: int
    height: int
    identity: float
    quality: float
    style_fit: float
    score: float
    cluster: int
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredAlbum:
    """An album in the photo store: `album_key` is its `album.json`, beside the images."""

    album_key: str
    results: tuple[StoredResult, ...]
    contact_sheet_key: str | None = None


def get_job(db: Database, job_id: str) -> Job:
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise JobNotFoundError(job_id)
        return job


def start_attempt(db: Database, job_id: str, *, worker: str, attempt: int) -> Job | None:
    """Mark the job running on `worker`; None when there is nothing to run.

    Nothing to run: the job is gone, already finished (a retry after the album was stored),
    or cancelled while it waited (then it is marked cancelled here).
    """
    with db.session() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or JobState(job.state).finished:
            return None
        now = utcnow()
        if job.params.get(CANCEL_REQUESTED):
            _finish(job, JobState.CANCELLED, now)
            session.add(job)
            return None
        job.state = JobState.RUNNING
        job.attempts = attempt
        job.worker = worker
        job.stage = None
        job.progress = 0.0
        job.error = None
        job.stage_seconds = {}
        job.started_at = now
        session.add(job)
        return job


def record_progress(
    db: Database,
    job_id: str,
    *,
    stage: str,
    progress: float,
    stage_seconds: dict[str, float],
    eta_s: float | None,
) -> bool:
    """Write stage, overall progress, stage timings and ETA; True when the worker should stop:
    cancel asked for, the job finished elsewhere, or its row gone (the user's /delete)."""
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None or JobState(job.state).finished:
            return True
        if job.state != JobState.RUNNING:
            return False
        job.stage = stage
        job.progress = max(0.0, min(1.0, progress))
        job.stage_seconds = dict(stage_seconds)
        job.params = {**job.params, "eta_s": None if eta_s is None else round(eta_s, 1)}
        session.add(job)
        return bool(job.params.get(CANCEL_REQUESTED))


def cancel_requested(db: Database, job_id: str) -> bool:
    with db.session() as session:
        job = session.get(Job, job_id)
        return job is None or bool(job.params.get(CANCEL_REQUESTED)) or JobState(job.state).finished


def request_cancel(db: Database, job_id: str) -> JobState:
    """Ask for a job to stop; returns its state afterwards.

    A queued job is cancelled at once; a running one is flagged and becomes `cancelled` when
    its worker stops between steps; a finished job is left as it is.
    """
    with db.session() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None:
            raise JobNotFoundError(job_id)
        state = JobState(job.state)
        if state.finished:
            return state
        job.params = {**job.params, CANCEL_REQUESTED: True}
        if state == JobState.QUEUED:
            _finish(job, JobState.CANCELLED, utcnow())
        session.add(job)
        return JobState(job.state)


def requeue(db: Database, job_id: str, *, reason: str, halve_batch: bool = False) -> bool:
    """Put a running job back in the queue (transient error, shutdown); False if it finished.

    `halve_batch` records that the next attempt should generate in smaller batches (the
    answer to running out of GPU memory): `Job.params["batch_scale"]` halves each time.
    """
    with db.session() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or JobState(job.state).finished:
            return False
        if job.params.get(CANCEL_REQUESTED):
            _finish(job, JobState.CANCELLED, utcnow())
        else:
            job.state = JobState.QUEUED
            job.stage = None
            job.progress = 0.0
            scale = float(job.params.get("batch_scale", 1.0)) * (0.5 if halve_batch else 1.0)
            job.params = {**job.params, "last_error": reason[:500], "eta_s": None, "batch_scale": scale}
        session.add(job)
        return True


def fail(db: Database, job_id: str, user_message: str) -> bool:
    """Finish a job as failed with the message the user sees; False if it had finished."""
    return _finish_row(db, job_id, JobState.FAILED, error=user_message)


def mark_cancelled(db: Database, job_id: str) -> bool:
    return _finish_row(db, job_id, JobState.CANCELLED, error=None)


def _finish_row(db: Database, job_id: str, state: JobState, *, error: str | None) -> bool:
    with db.session() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None or JobState(job.state).finished:
            return False
        _finish(job, state, utcnow())
        job.error = None if error is None else error[:1000]
        session.add(job)
        return True


def _finish(job: Job, state: JobState, now: datetime) -> None:
    job.state = state
    job.finished_at = now
    job.params = {**job.params, "eta_s": None}
    if state == JobState.DONE:
        job.progress = 1.0
        job.stage = None


def complete(
    db: Database,
    job_id: str,
    album: StoredAlbum,
    *,
    payload: dict[str, Any],
    stage_seconds: dict[str, float],
) -> JobState:
    """Store the results, finish the job and queue the album for delivery, in one transaction.

    Idempotent: a job that is already finished is left alone (its state is returned), so a
    retried attempt can never add a second album or a second outbox entry. A job whose user
    cancelled while the last step ran ends cancelled and is not delivered.
    """
    with db.session() as session:
        job = session.get(Job, job_id, with_for_update=True)
        if job is None:
            raise JobNotFoundError(job_id)
        if JobState(job.state).finished:
            return JobState(job.state)
        now = utcnow()
        if job.params.get(CANCEL_REQUESTED):
            _finish(job, JobState.CANCELLED, now)
            session.add(job)
            return JobState.CANCELLED
        for item in album.results:
            session.add(
                Result(
                    job_id=job_id,
                    rank=item.rank,
                    store_key=item.store_key,
                    width=item.width,
                    height=item.height,
                    identity=item.identity,
                    quality=item.quality,
                    style_fit=item.style_fit,
                    score=item.score,
                    cluster=item.cluster,
                    params=item.params,
                )
            )
        job.album_key = album.album_key
        job.stage_seconds = dict(stage_seconds)
        _finish(job, JobState.DONE, now)
        session.add(job)
        add_entry(session, job, kind="album", payload=payload)
        return JobState.DONE


def queued_job_ids(db: Database, *, limit: int | None = None) -> list[str]:
    """Queued jobs, first to run first: the order positions are counted in."""
    with db.session() as session:
        query = select(Job.id).where(Job.state == JobState.QUEUED).order_by(col(Job.created_at), col(Job.id))
        if limit is not None:
            query = query.limit(limit)
        return list(session.exec(query))


def queue_position(db: Database, job_id: str) -> int | None:
    """1 for the next job to run; None when the job is not waiting."""
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.state != JobState.QUEUED:
            return None
        ahead = session.exec(
            select(func.count())
            .select_from(Job)
            .where(
                Job.state == JobState.QUEUED,
                tuple_(col(Job.created_at), col(Job.id)) < tuple_(job.created_at, job.id),
            )
        ).one()
        return int(ahead) + 1


def running_jobs(db: Database) -> list[Job]:
    with db.session() as session:
        return list(session.exec(select(Job).where(Job.state == JobState.RUNNING)))


def claim_next(db: Database, *, skip: tuple[str, ...] = ()) -> str | None:
    """Embedded mode: take the oldest queued job not in `skip` (waiting out a retry delay).

    A compare-and-set on the state, so two claimers never take the same job.
    """
    for job_id in queued_job_ids(db, limit=len(skip) + 5):
        if job_id in skip:
            continue
        with db.session() as session:
            taken = session.execute(
                update(Job)
                .where(col(Job.id) == job_id, col(Job.state) == JobState.QUEUED.value)
                .values(state=JobState.RUNNING.value, started_at=utcnow())
            ).rowcount  # type: ignore[attr-defined]
        if taken:
            return job_id
    return None


def requeue_interrupted(db: Database, *, reason: str) -> list[str]:
    """Embedded mode start-up: jobs left running by a previous process go back in the queue."""
    with db.session() as session:
        jobs = list(session.exec(select(Job).where(Job.state == JobState.RUNNING)))
        for job in jobs:
            job.state = JobState.QUEUED
            job.stage = None
            job.progress = 0.0
            job.params = {**job.params, "last_error": reason, "eta_s": None}
            session.add(job)
        return [job.id for job in jobs]


def stage_estimates(db: Database, *, recent: int = 20) -> dict[str, float]:
    """Mean seconds per stage over the last `recent` finished albums, in pipeline order."""
    with db.session() as session:
        rows: Sequence[Mapping[str, Any]] = session.exec(
            select(Job.stage_seconds)
            .where(Job.state == JobState.DONE)
            .order_by(col(Job.finished_at).desc())
            .limit(recent)
        ).all()
    totals: dict[str, list[float]] = {}
    for timings in reversed(rows):
        for stage, seconds in (timings or {}).items():
            totals.setdefault(stage, []).append(float(seconds))
    return {stage: sum(values) / len(values) for stage, values in totals.items()}

"""Deleting a user's data everywhere we keep it: rows and files.

Used by /delete, by team cancellation and by the retention task, so the three can never
disagree about what "everything" means.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, or_, union, update
from sqlmodel import col, select

from storage.database import Database
from storage.models import (
    Job,
    JobState,
    OutboxEntry,
    Photo,
    Result,
    SelfieSession,
    SharedPost,
    Team,
    TeamMember,
    User,
)
from storage.photos import USERS_PREFIX, PhotoStore, user_prefix
from storage.studio import is_studio, studio_prefix
from storage.teams import OPEN


def delete_user_data(db: Database, store: PhotoStore, user_id: int) -> int:
    """Remove every photo, result, job, session, membership and shared-post record of `user_id`.

    The user row itself stays (it holds the ban flag and keeps quotas honest); returns the
    number of files removed.
    """
    with db.session() as session:
        job_ids = list(session.exec(select(Job.id).where(Job.user_id == user_id)))
        session.execute(
            update(TeamMember).where(col(TeamMember.user_id) == user_id).values(pick_result_id=None)
        )
        if job_ids:
            session.execute(delete(OutboxEntry).where(col(OutboxEntry.job_id).in_(job_ids)))
            session.execute(delete(Result).where(col(Result.job_id).in_(job_ids)))
            session.execute(delete(Job).where(col(Job.id).in_(job_ids)))
        session.execute(delete(Photo).where(col(Photo.user_id) == user_id))
        session.execute(delete(TeamMember).where(col(TeamMember.user_id) == user_id))
        session.execute(delete(SelfieSession).where(col(SelfieSession.user_id) == user_id))
        session.execute(delete(SharedPost).where(col(SharedPost.user_id) == user_id))
        session.execute(update(User).where(col(User.id) == user_id).values(display_name=""))
    return store.delete_prefix(user_prefix(user_id))


def delete_expired_photos(db: Database, store: PhotoStore, older_than: datetime) -> int:
    """Retention: remove selfies and results created before `older_than`; returns files removed."""
    removed = 0
    with db.session() as session:
        photos = list(session.exec(select(Photo).where(Photo.created_at < older_than)))
        old_jobs = list(session.exec(select(Job).where(Job.created_at < older_than)))
        for photo in photos:
            store.delete(photo.store_key)
            session.delete(photo)
            removed += 1
        for job in old_jobs:
            results = list(session.exec(select(Result).where(Result.job_id == job.id)))
            session.execute(
                update(TeamMember)
                .where(col(TeamMember.pick_result_id).in_([r.id for r in results]))
                .values(pick_result_id=None)
            )
            for result in results:
                store.delete(result.store_key)
                session.delete(result)
                removed += 1
            if job.album_key:
                removed += store.delete_prefix(job.album_key.rsplit("/", 1)[0])
                job.album_key = None
                session.add(job)
            if is_studio(job):  # its trained LoRA and any checkpoint
                removed += store.delete_prefix(studio_prefix(job.user_id, job.id))
    return removed + delete_expired_objects(store, older_than)


def delete_expired_objects(store: PhotoStore, older_than: datetime) -> int:
    """Retention by listing: every user object written before `older_than` goes, row or not.

    Catches what the rows do not name (a file whose row was never written because its
    process died, a prefix from an older release); on S3 it needs no shared disk to walk.
    """
    expired = [obj.key for obj in store.list_objects(USERS_PREFIX) if obj.modified < older_than]
    for key in expired:
        store.delete(key)
    return len(expired)


FINISHED = (JobState.DONE.value, JobState.FAILED.value, JobState.CANCELLED.value)
WAITING_FOR_A_JOB = ("queued", "generating")
"""Session states that still wait for a running order (`conversations.shared.states`)."""


def delete_expired_records(db: Database, older_than: datetime) -> int:
    """Retention for rows, after the files: finished jobs created before `older_than` with their
    parameters (a "more like" order keeps a face embedding there), results and outbox entries
    (delivered or not: nothing of them is left to post); sessions untouched since, with their
    photo rows; teams that ended (cancelled, or past their deadline) before then, with their
    member rows (names and picks); and the display name of anyone with nothing left. Returns
    the rows removed."""
    with db.session() as session:
        job_ids = list(
            session.exec(select(Job.id).where(Job.created_at < older_than, col(Job.state).in_(FINISHED)))
        )
        result_ids = select(Result.id).where(col(Result.job_id).in_(job_ids))
        session.execute(
            update(TeamMember)
            .where(col(TeamMember.pick_result_id).in_(result_ids))
            .values(pick_result_id=None)
        )
        session.execute(delete(OutboxEntry).where(col(OutboxEntry.job_id).in_(job_ids)))
        session.execute(delete(Result).where(col(Result.job_id).in_(job_ids)))
        session.execute(delete(Job).where(col(Job.id).in_(job_ids)))
        session_ids = list(
            session.exec(
                select(SelfieSession.id).where(
                    SelfieSession.updated_at < older_than, col(SelfieSession.state).not_in(WAITING_FOR_A_JOB)
                )
            )
        )
        session.execute(update(Job).where(col(Job.session_id).in_(session_ids)).values(session_id=None))
        session.execute(delete(Photo).where(col(Photo.session_id).in_(session_ids)))
        session.execute(delete(SelfieSession).where(col(SelfieSession.id).in_(session_ids)))
        team_ids = list(
            session.exec(
                select(Team.id).where(
                    Team.created_at < older_than,
                    or_(
                        col(Team.state) != OPEN,
                        and_(col(Team.deadline).is_not(None), col(Team.deadline) < older_than),
                    ),
                )
            )
        )
        session.execute(update(Job).where(col(Job.team_id).in_(team_ids)).values(team_id=None))
        session.execute(
            update(SelfieSession).where(col(SelfieSession.team_id).in_(team_ids)).values(team_id=None)
        )
        session.execute(delete(TeamMember).where(col(TeamMember.team_id).in_(team_ids)))
        session.execute(delete(Team).where(col(Team.id).in_(team_ids)))
        still_here = union(
            select(Job.user_id),
            select(SelfieSession.user_id),
            select(TeamMember.user_id),
            select(Team.organiser_id),
        )
        session.execute(
            update(User)
            .where(col(User.created_at) < older_than, col(User.id).not_in(still_here))
            .where(col(User.display_name) != "")
            .values(display_name="")
        )
    return len(job_ids) + len(session_ids) + len(team_ids)


def delete_team_member_data(db: Database, store: PhotoStore, team_id: int, user_id: int) -> int:
    """A member leaving a team: their team sessions, selfies, team jobs and results, and the
    membership. Their other data (a personal order) stays. Returns the number of files removed."""
    with db.session() as session:
        session_ids = list(
            session.exec(
                select(SelfieSession.id).where(
                    SelfieSession.team_id == team_id, SelfieSession.user_id == user_id
                )
            )
        )
        job_ids = list(session.exec(select(Job.id).where(Job.team_id == team_id, Job.user_id == user_id)))
        session.execute(
            delete(TeamMember).where(col(TeamMember.team_id) == team_id, col(TeamMember.user_id) == user_id)
        )
        if job_ids:
            session.execute(delete(OutboxEntry).where(col(OutboxEntry.job_id).in_(job_ids)))
            session.execute(delete(Result).where(col(Result.job_id).in_(job_ids)))
            session.execute(delete(Job).where(col(Job.id).in_(job_ids)))
        if session_ids:
            session.execute(update(Job).where(col(Job.session_id).in_(session_ids)).values(session_id=None))
            session.execute(delete(Photo).where(col(Photo.session_id).in_(session_ids)))
            session.execute(delete(SelfieSession).where(col(SelfieSession.id).in_(session_ids)))
    prefix = user_prefix(user_id)
    removed = sum(store.delete_prefix(f"{prefix}/sessions/{sid}") for sid in session_ids)
    return removed + sum(store.delete_prefix(f"{prefix}/jobs/{jid}") for jid in job_ids)


def delete_team(db: Database, store: PhotoStore, team_id: int) -> int:
    """A cancelled team order: every member's team data and the team row."""
    with db.session() as session:
        members = list(session.exec(select(TeamMember.user_id).where(TeamMember.team_id == team_id)))
        owners = list(session.exec(select(SelfieSession.user_id).where(SelfieSession.team_id == team_id)))
    removed = sum(delete_team_member_data(db, store, team_id, uid) for uid in {*members, *owners})
    with db.session() as session:
        session.execute(update(Job).where(col(Job.team_id) == team_id).values(team_id=None))
        session.execute(delete(Team).where(col(Team.id) == team_id))
    return removed

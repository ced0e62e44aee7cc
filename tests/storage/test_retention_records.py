"""Retention reaches the rows too: old finished jobs go with their parameters (a face
embedding for "more like"), results and outbox entries; old sessions with their photo rows;
and the display names of people with nothing left. Newer data and running orders stay."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from bot.retention import purge_once
from storage.database import Database
from storage.models import (
    Job,
    JobState,
    OutboxEntry,
    Photo,
    Result,
    SelfieSession,
    Team,
    TeamMember,
    User,
    utcnow,
)
from storage.photos import LocalPhotoStore

OLD = utcnow() - timedelta(days=40)


def _person(db: Database, uid: str, *, when: datetime, state: str = JobState.DONE) -> int:
    with db.session() as session:
        user = User(platform="telegram", platform_user_id=uid, display_name=f"Name {uid}", created_at=when)
        session.add(user)
        session.flush()
        assert user.id is not None
        waiting = "generating" if state == JobState.RUNNING else "delivered"
        row = SelfieSession(user_id=user.id, chat_id=uid, state=waiting, created_at=when, updated_at=when)
        session.add(row)
        session.flush()
        assert row.id is not None
        session.add(
            Photo(session_id=row.id, user_id=user.id, store_key="k", sha256="a" * 64, created_at=when)
        )
        job = Job(
            user_id=user.id, session_id=row.id, platform="telegram", chat_id=uid, style="corporate",
            state=state, created_at=when, params={"more_like": {"params": {"embedding": [0.1] * 8}}},
        )  # fmt: skip
        session.add(job)
        session.flush()
        session.add(Result(job_id=job.id, rank=1, store_key="r", params={"embedding": [0.2] * 8}))
        session.add(OutboxEntry(job_id=job.id, platform="telegram", chat_id=uid, payload={"images": ["r"]}))
        return user.id


def test_retention_purges_old_jobs_sessions_outbox_and_display_names(
    sqlite_db: Database, photo_store: LocalPhotoStore
) -> None:
    gone = _person(sqlite_db, "1", when=OLD)
    running = _person(sqlite_db, "2", when=OLD, state=JobState.RUNNING)
    recent = _person(sqlite_db, "3", when=utcnow())
    purge_once(sqlite_db, photo_store, retention_days=30)
    with sqlite_db.session() as session:
        jobs = {job.user_id: job for job in session.exec(select(Job))}
        assert set(jobs) == {running, recent}, "old finished jobs (and their params) are gone"
        assert {r.job_id for r in session.exec(select(Result))} == {jobs[recent].id}
        assert {e.job_id for e in session.exec(select(OutboxEntry))} == {jobs[running].id, jobs[recent].id}
        rows = {row.user_id for row in session.exec(select(SelfieSession))}
        assert rows == {running, recent}
        assert {p.user_id for p in session.exec(select(Photo))} == {recent}
        names = {user.id: user.display_name for user in session.exec(select(User))}
    assert names[gone] == "", "nothing left of them: not even their name"
    assert names[running] == "Name 2"
    assert names[recent] == "Name 3"


def _team(db: Database, code: str, *, when: datetime, state: str, deadline: datetime | None = None) -> int:
    """A team with one member who made an order for it."""
    organiser = _person(db, f"org-{code}", when=when)
    with db.session() as session:
        team = Team(
            code=code, name=f"Team {code}", platform="telegram", chat_id="-100", organiser_id=organiser,
            style="corporate", state=state, deadline=deadline, created_at=when,
        )  # fmt: skip
        session.add(team)
        session.flush()
        assert team.id is not None
        session.add(TeamMember(team_id=team.id, user_id=organiser, display_name=f"Member {code}"))
        return team.id


def test_retention_removes_teams_that_ended_before_the_cutoff_with_their_member_names(
    sqlite_db: Database, photo_store: LocalPhotoStore
) -> None:
    cancelled = _team(sqlite_db, "cancel01", when=OLD, state="cancelled")
    expired = _team(sqlite_db, "expire01", when=OLD, state="open", deadline=OLD + timedelta(days=1))
    running = _team(sqlite_db, "running1", when=OLD, state="open", deadline=utcnow() + timedelta(days=1))
    recent = _team(sqlite_db, "recent01", when=utcnow(), state="cancelled")
    purge_once(sqlite_db, photo_store, retention_days=30)
    with sqlite_db.session() as session:
        assert {team.id for team in session.exec(select(Team))} == {running, recent}
        names = {member.display_name for member in session.exec(select(TeamMember))}
    assert names == {"Member running1", "Member recent01"}
    assert {cancelled, expired}.isdisjoint({running, recent})

"""Every table round-trips on SQLite and PostgreSQL, and the migration matches the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from storage.database import Database
from storage.models import (
    ChatSettings,
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


def _populate(db: Database) -> dict[str, object]:
    with db.session() as session:
        user = User(platform="telegram", platform_user_id="42", display_name="Ada")
        session.add(user)
        session.flush()
        assert user.id is not None
        team = Team(
            code="ABC123",
            name="Acme",
            platform="telegram",
            chat_id="-100",
            organiser_id=user.id,
            style="corporate",
            deadline=datetime.now(UTC) + timedelta(days=3),
        )
        session.add(team)
        session.flush()
        assert team.id is not None
        selfies = SelfieSession(user_id=user.id, chat_id="42", team_id=team.id, data={"page": 1})
        session.add(selfies)
        session.flush()
        assert selfies.id is not None
        photo = Photo(
            session_id=selfies.id,
            user_id=user.id,
            store_key=f"users/{user.id}/selfies/a.jpg",
            sha256="0" * 64,
            ok=True,
            issues=[],
            quality={"sharpness": 0.9},
            embedding=[0.1] * 128,
            similarity=0.97,
        )
        job = Job(
            user_id=user.id, session_id=selfies.id, platform="telegram", chat_id="42", style="corporate"
        )
        session.add_all([photo, job])
        session.flush()
        result = Result(job_id=job.id, rank=1, store_key=f"users/{user.id}/jobs/{job.id}/1.jpg", score=0.9)
        session.add(result)
        session.flush()
        session.add_all(
            [
                OutboxEntry(job_id=job.id, platform="telegram", chat_id="42", payload={"n": 1}),
                TeamMember(team_id=team.id, user_id=user.id, display_name="Ada", pick_result_id=result.id),
                SharedPost(user_id=user.id, platform="discord", channel_id="c1", message_id="m1"),
                ChatSettings(platform="discord", chat_id="g1", settings={"quota": 2}),
            ]
        )
        return {"user_id": user.id, "job_id": job.id}


def test_every_model_round_trips(any_db: Database) -> None:
    ids = _populate(any_db)
    with any_db.session() as session:
        user = session.exec(select(User)).one()
        assert (user.platform, user.platform_user_id, user.display_name) == ("telegram", "42", "Ada")
        assert session.exec(select(Team)).one().deadline is not None
        assert session.exec(select(SelfieSession)).one().data == {"page": 1}
        photo = session.exec(select(Photo)).one()
        assert photo.embedding is not None
        assert len(photo.embedding) == 128
        assert photo.quality == {"sharpness": 0.9}
        job = session.exec(select(Job)).one()
        assert job.id == ids["job_id"]
        assert job.state == JobState.QUEUED
        assert job.created_at.tzinfo
        assert session.exec(select(Result)).one().rank == 1
        assert session.exec(select(OutboxEntry)).one().payload == {"n": 1}
        assert session.exec(select(TeamMember)).one().pick_result_id is not None
        assert session.exec(select(SharedPost)).one().message_id == "m1"
        assert session.exec(select(ChatSettings)).one().settings == {"quota": 2}


def test_outbox_refuses_a_second_album_for_one_job(any_db: Database) -> None:
    ids = _populate(any_db)
    with pytest.raises(IntegrityError), any_db.session() as session:
        session.add(OutboxEntry(job_id=str(ids["job_id"]), platform="telegram", chat_id="42"))


def test_one_user_per_platform_id(any_db: Database) -> None:
    _populate(any_db)
    with pytest.raises(IntegrityError), any_db.session() as session:
        session.add(User(platform="telegram", platform_user_id="42"))


def test_migration_from_empty_matches_models(any_db: Database) -> None:
    tables = set(inspect(any_db.engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables
    with any_db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_upgrade_is_idempotent(any_db: Database) -> None:
    any_db.upgrade()
    any_db.upgrade()
    assert "job" in inspect(any_db.engine).get_table_names()

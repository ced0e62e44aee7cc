"""Deleting a user's data removes their rows and files, and nobody else's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from storage.database import Database
from storage.erasure import delete_expired_objects, delete_expired_photos, delete_user_data
from storage.models import Job, OutboxEntry, Photo, Result, SelfieSession, Team, TeamMember, User
from storage.photos import PhotoStore, user_prefix


def _user_with_everything(db: Database, store: PhotoStore, platform_id: str, team_id: int | None) -> int:
    with db.session() as session:
        user = User(platform="telegram", platform_user_id=platform_id)
        session.add(user)
        session.flush()
        assert user.id is not None
        selfies = SelfieSession(user_id=user.id, chat_id=platform_id)
        session.add(selfies)
        session.flush()
        assert selfies.id is not None
        key = f"users/{user.id}/selfies/1.jpg"
        store.put_bytes(key, b"jpeg")
        session.add(Photo(session_id=selfies.id, user_id=user.id, store_key=key, sha256="a" * 64))
        job = Job(user_id=user.id, platform="telegram", chat_id=platform_id, style="corporate")
        session.add(job)
        session.flush()
        result_key = f"users/{user.id}/jobs/{job.id}/1.jpg"
        store.put_bytes(result_key, b"jpeg")
        result = Result(job_id=job.id, rank=1, store_key=result_key)
        session.add(result)
        session.flush()
        session.add(OutboxEntry(job_id=job.id, platform="telegram", chat_id=platform_id))
        if team_id is not None:
            session.add(TeamMember(team_id=team_id, user_id=user.id, pick_result_id=result.id))
        return user.id


def test_delete_user_data_removes_rows_and_files(any_db: Database, any_photo_store: PhotoStore) -> None:
    with any_db.session() as session:
        organiser = User(platform="telegram", platform_user_id="org")
        session.add(organiser)
        session.flush()
        assert organiser.id is not None
        team = Team(
            code="T1", name="T", platform="telegram", chat_id="-1", organiser_id=organiser.id, style="x"
        )
        session.add(team)
        session.flush()
        team_id = team.id
    gone = _user_with_everything(any_db, any_photo_store, "1", team_id)
    kept = _user_with_everything(any_db, any_photo_store, "2", team_id)

    removed = delete_user_data(any_db, any_photo_store, gone)

    assert removed == 2
    assert list(any_photo_store.list_objects(user_prefix(gone))) == []
    assert any_photo_store.exists(f"users/{kept}/selfies/1.jpg")
    with any_db.session() as session:
        assert {row.user_id for row in session.exec(select(Photo))} == {kept}
        assert {row.user_id for row in session.exec(select(Job))} == {kept}
        assert {row.user_id for row in session.exec(select(SelfieSession))} == {kept}
        assert {row.user_id for row in session.exec(select(TeamMember))} == {kept}
        assert len(list(session.exec(select(Result)))) == 1
        assert len(list(session.exec(select(OutboxEntry)))) == 1
        assert session.get(User, gone) is not None  # the row stays for bans and quotas


def test_retention_removes_only_old_photos(sqlite_db: Database, any_photo_store: PhotoStore) -> None:
    user_id = _user_with_everything(sqlite_db, any_photo_store, "1", None)
    assert delete_expired_photos(sqlite_db, any_photo_store, datetime.now(UTC) - timedelta(days=1)) == 0
    assert delete_expired_photos(sqlite_db, any_photo_store, datetime.now(UTC) + timedelta(seconds=1)) == 2
    assert not any_photo_store.exists(f"users/{user_id}/selfies/1.jpg")
    with sqlite_db.session() as session:
        assert list(session.exec(select(Photo))) == []
        assert list(session.exec(select(Result))) == []


def test_retention_sweep_by_listing_removes_old_objects_no_row_names(any_photo_store: PhotoStore) -> None:
    any_photo_store.put_bytes("users/7/sessions/1/01.jpg", b"orphan")  # its row never made it
    any_photo_store.put_bytes("teams/1/card.png", b"not user data")
    assert delete_expired_objects(any_photo_store, datetime.now(UTC) - timedelta(days=1)) == 0
    assert any_photo_store.exists("users/7/sessions/1/01.jpg")
    assert delete_expired_objects(any_photo_store, datetime.now(UTC) + timedelta(seconds=5)) == 1
    assert not any_photo_store.exists("users/7/sessions/1/01.jpg")
    assert any_photo_store.exists("teams/1/card.png")

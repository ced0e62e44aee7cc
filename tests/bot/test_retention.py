"""Retention deletes old photos and leaves recent ones, from the CLI and the task alike."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.retention import purge_once, run_retention
from storage.database import Database
from storage.models import Photo, SelfieSession, User
from storage.photos import LocalPhotoStore


def _photo(db: Database, store: LocalPhotoStore, age_days: float) -> str:
    with db.session() as session:
        user = User(platform="telegram", platform_user_id=f"u{age_days}")
        session.add(user)
        session.flush()
        assert user.id is not None
        selfies = SelfieSession(user_id=user.id, chat_id="1")
        session.add(selfies)
        session.flush()
        assert selfies.id is not None
        key = f"users/{user.id}/selfies/1.jpg"
        store.put_bytes(key, b"x")
        created = datetime.now(UTC) - timedelta(days=age_days)
        session.add(
            Photo(session_id=selfies.id, user_id=user.id, store_key=key, sha256="0" * 64, created_at=created)
        )
        return key


def test_purge_once_respects_the_period(sqlite_db: Database, photo_store: LocalPhotoStore) -> None:
    old = _photo(sqlite_db, photo_store, 40)
    recent = _photo(sqlite_db, photo_store, 2)
    assert purge_once(sqlite_db, photo_store, retention_days=30) == 1
    assert not photo_store.exists(old)
    assert photo_store.exists(recent)
    with sqlite_db.session() as session:
        assert [p.store_key for p in session.exec(select(Photo))] == [recent]


async def test_the_periodic_task_purges_at_start(sqlite_db: Database, photo_store: LocalPhotoStore) -> None:
    old = _photo(sqlite_db, photo_store, 40)
    task = asyncio.create_task(run_retention(sqlite_db, photo_store, 30, interval_s=3600))
    for _ in range(100):
        if not photo_store.exists(old):
            break
        await asyncio.sleep(0.05)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert not photo_store.exists(old)

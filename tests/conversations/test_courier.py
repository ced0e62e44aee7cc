"""Delivery that can't wedge: one broken album does not stall the others, failures back off and
give up, permanent refusals are recorded, and a crash between the delivered mark and the
session save does not leave anyone "generating"."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from PIL import Image
from sqlmodel import select
from telegram.error import BadRequest, Forbidden

from bot.jobs.queue import JobQueue
from bot.settings import Settings
from conversations.courier import Courier
from conversations.shared.callbacks import CallbackSigner
from conversations.shared.services import Services
from conversations.shared.states import DELIVERED, GENERATING
from handlers.discord.bot import refused_for_good as discord_refusal
from handlers.telegram.bot import refused_for_good as telegram_refusal
from storage import outbox
from storage.database import Database
from storage.models import Job, JobState, OutboxEntry, Result, SelfieSession, User, utcnow
from storage.photos import LocalPhotoStore


@dataclass
class Post:
    courier: Courier
    db: Database
    store: LocalPhotoStore

    def album(self, user_id: str, *, with_file: bool = True) -> tuple[int, int]:
        """A finished order waiting in the outbox: (entry id, session id)."""
        with self.db.session() as session:
            user = User(platform="telegram", platform_user_id=user_id)
            session.add(user)
            session.flush()
            assert user.id is not None
            row = SelfieSession(user_id=user.id, chat_id=user_id, state=GENERATING, style="corporate")
            session.add(row)
            session.flush()
            assert row.id is not None
            job = Job(
                user_id=user.id, session_id=row.id, platform="telegram", chat_id=user_id, style="corporate",
                state=JobState.DONE,
            )  # fmt: skip
            session.add(job)
            session.flush()
            key = f"users/{user.id}/jobs/{job.id}/01.jpg"
            if with_file:
                self.store.put_image(key, Image.new("RGB", (32, 32)))
            session.add(Result(job_id=job.id, rank=1, store_key=key))
            row.data = {"job_id": job.id}
            session.add(row)
            entry = OutboxEntry(
                job_id=job.id, platform="telegram", chat_id=user_id, payload={"images": [key]}
            )
            session.add(entry)
            session.flush()
            assert entry.id is not None
            return entry.id, row.id

    def entry(self, entry_id: int) -> OutboxEntry:
        with self.db.session() as session:
            found = session.get(OutboxEntry, entry_id)
            assert found is not None
            return found

    def state(self, session_id: int) -> str:
        with self.db.session() as session:
            row = session.get(SelfieSession, session_id)
            assert row is not None
            return row.state

    def time_passes(self) -> None:
        """Every backoff runs out (what waiting would do)."""
        with self.db.session() as session:
            for entry in session.exec(select(OutboxEntry)):
                if entry.claimed_until is not None:
                    entry.claimed_until = utcnow() - timedelta(seconds=1)
                    session.add(entry)


@pytest.fixture
def post(tmp_path: Path) -> Iterator[Post]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, callback_secret=secrets.token_urlsafe(48), outbox_max_attempts=3
    )
    db = Database(settings.effective_database_url)
    db.upgrade()
    store = LocalPhotoStore(settings.effective_photo_dir)
    engine: Any = None  # the courier never touches the engine
    services = Services(settings, db, store, engine, JobQueue.embedded(settings, db))
    yield Post(Courier(services, CallbackSigner(settings.callback_secret)), db, store)
    db.dispose()


async def test_one_album_with_a_missing_file_does_not_stall_the_others(post: Post) -> None:
    broken, _ = post.album("1", with_file=False)
    fine, _ = post.album("2")
    items = await post.courier.collect("telegram")
    assert [i.entry_id for i in items if i.entry_id is not None] == [fine]
    closed = post.entry(broken)
    assert closed.delivered_at is not None, "a missing file never comes back: given up"
    assert "missing" in closed.payload[outbox.GAVE_UP]


async def test_failed_posts_back_off_and_give_up_after_the_cap(post: Post) -> None:
    entry_id, _ = post.album("3")
    waits = []
    for attempt in range(1, 4):
        [item] = [i for i in await post.courier.collect("telegram") if i.entry_id is not None]
        await post.courier.unsent(item)
        entry = post.entry(entry_id)
        assert entry.attempts == attempt
        if attempt < 3:
            assert entry.delivered_at is None
            assert entry.claimed_until is not None
            waits.append(
                (entry.claimed_until.replace(tzinfo=None) - utcnow().replace(tzinfo=None)).total_seconds()
            )
            assert not [i for i in await post.courier.collect("telegram") if i.entry_id], "waits its backoff"
            post.time_passes()
    assert 20 < waits[0] < waits[1], f"the backoff doubles: {waits}"
    entry = post.entry(entry_id)
    assert entry.delivered_at is not None
    assert "3 attempts failed" in entry.payload[outbox.GAVE_UP]
    post.time_passes()
    assert not [i for i in await post.courier.collect("telegram") if i.entry_id], "never tried again"


async def test_a_permanent_refusal_closes_the_entry_and_says_why(post: Post) -> None:
    entry_id, session_id = post.album("4")
    [item] = [i for i in await post.courier.collect("telegram") if i.entry_id is not None]
    await post.courier.unsent(item, permanent="Telegram refused (403): bot was blocked by the user")
    entry = post.entry(entry_id)
    assert entry.delivered_at is not None
    assert entry.attempts == 1
    assert "blocked" in entry.payload[outbox.GAVE_UP]
    await post.courier.collect("telegram")
    assert post.state(session_id) == DELIVERED, "nobody is left 'generating'"


async def test_entries_claimed_with_a_round_that_stops_are_released(
    post: Post, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = post.album("5")
    second, _ = post.album("6")

    def stopped(_entry: OutboxEntry) -> None:
        raise asyncio.CancelledError

    monkeypatch.setattr(post.courier, "_album", stopped)
    with pytest.raises(asyncio.CancelledError):
        await post.courier.collect("telegram")
    assert post.entry(first).claimed_until is None
    assert post.entry(second).claimed_until is None
    monkeypatch.undo()
    items = await post.courier.collect("telegram")
    assert {i.entry_id for i in items if i.entry_id} == {first, second}, (
        "claimable at once, not after the lease"
    )


async def test_a_crash_between_the_delivered_mark_and_the_session_save(post: Post) -> None:
    entry_id, session_id = post.album("7")
    outbox.mark_delivered(post.db, entry_id)  # ... and the process died before saving the session
    assert post.state(session_id) == GENERATING
    await post.courier.collect("telegram")
    assert post.state(session_id) == DELIVERED


def test_adapters_tell_permanent_refusals_from_passing_trouble() -> None:
    assert telegram_refusal(Forbidden("Forbidden: bot was blocked by the user")) is not None
    assert telegram_refusal(BadRequest("Chat not found")) is not None
    assert telegram_refusal(BadRequest("Message is too long")) is None
    response: Any = type("Response", (), {"status": 403, "reason": "Forbidden"})()
    closed = discord.Forbidden(response, {"code": 50007, "message": "Cannot send messages to this user"})
    assert discord_refusal(closed) is not None
    response.status = 503
    assert discord_refusal(discord.HTTPException(response, "unavailable")) is None

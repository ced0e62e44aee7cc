"""The web studio on loopback, with the real engine (dlib faces, preview backend) and an
embedded job runner on a temporary SQLite database and photo store.

`start_studio` builds one; `WebHarness.client(...)` is an aiohttp session with its own cookie
jar (one browser, as the server sees it).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.jobs.context import WorkerContext
from bot.jobs.embedded import EmbeddedRunner
from bot.jobs.queue import JobQueue
from bot.settings import Settings
from conversations.dialogue import Conversation
from conversations.shared.services import Services
from engine.pipeline import EngineResources, load_engine_resources
from handlers.web import WebLinks, WebStudio
from storage import teams as store_teams
from storage.database import Database
from storage.models import Job, JobState, Photo, Result, SelfieSession, User, utcnow
from storage.photos import LocalPhotoStore

MIN_SELFIES = 6


@pytest.fixture(scope="session")
def web_engines() -> tuple[EngineResources, EngineResources]:
    """Conversation and worker models (not shared: the face models are not thread-safe)."""
    return load_engine_resources(min_selfies=MIN_SELFIES), load_engine_resources(min_selfies=MIN_SELFIES)


def web_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "callback_secret": "test-secret-test-secret-test-secret",
        "min_selfies": MIN_SELFIES,
        "max_selfies": 12,
        "candidates_per_order": 3,
        "album_size": 3,
        "daily_quota": 0,
        "web_port": 0,
        "web_courier_interval_s": 0.2,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@dataclass
class WebHarness:
    settings: Settings
    db: Database
    store: LocalPhotoStore
    studio: WebStudio
    runner: EmbeddedRunner
    runner_task: asyncio.Task[None]
    address: str = ""
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)

    @property
    def conversation(self) -> Conversation:
        return self.studio.conversation

    def client(self, **headers: str) -> aiohttp.ClientSession:
        """A browser of its own (its own cookies), closed with the harness."""
        session = aiohttp.ClientSession(
            self.address, cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers or None
        )
        self.sessions.append(session)
        return session

    async def stop(self) -> None:
        for session in self.sessions:
            await session.close()
        await self.studio.stop()
        self.runner.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await self.runner_task
        self.db.dispose()


async def start_studio(
    data_dir: Path, engines: tuple[EngineResources, EngineResources], **overrides: Any
) -> WebHarness:
    settings = web_settings(data_dir, **overrides)
    db = Database(settings.effective_database_url)
    db.upgrade()
    store = LocalPhotoStore(settings.effective_photo_dir)
    ctx = WorkerContext(
        settings=settings,
        db=db,
        store=store,
        engine=engines[1],
        name="embedded-test",
    )
    runner = EmbeddedRunner(ctx, poll_s=0.2)
    runner_task = asyncio.create_task(runner.run())
    queue = JobQueue.embedded(settings, db, runner)
    links = WebLinks(settings)
    conversation = Conversation(Services(settings, db, store, engines[0], queue, links=links))
    studio = WebStudio(settings, conversation, links)
    harness = WebHarness(settings, db, store, studio, runner, runner_task)
    harness.address = await studio.start()
    return harness


@pytest.fixture
async def web_harness(tmp_path: Path, web_engines: tuple[EngineResources, EngineResources]) -> Any:
    harness = await start_studio(tmp_path / "data", web_engines)
    yield harness
    await harness.stop()


async def csrf_of(client: aiohttp.ClientSession) -> str:
    """Open the studio page (which signs this browser in, in open mode) and read its CSRF token."""
    async with client.get("/") as response:
        assert response.status == 200, await response.text()
        page = await response.text()
    return page.split('<meta name="csrf" content="', 1)[1].split('"', 1)[0]


async def sign_in(client: aiohttp.ClientSession, path: str) -> None:
    """Open a sign-in link and press its button, as a person does (its page, then a POST of
    the fragment's token, as the page's script sends it)."""
    async with client.get(path.split("#", 1)[0]) as response:
        assert response.status == 200, await response.text()
        assert 'name="t"' in await response.text()
    token = path.split("#t=", 1)[1]
    own = {"Sec-Fetch-Site": "same-origin"}
    async with client.post("/signin", data={"t": token}, headers=own) as response:
        assert response.status == 200, await response.text()


async def bot_says(
    client: aiohttp.ClientSession, contains: str, *, since: int = 0, wait_s: float = 60.0
) -> tuple[int, dict[str, Any]]:
    """Long-poll until a message containing `contains` arrives; (version, message)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    seen: list[str] = []
    while loop.time() < deadline:
        async with client.get("/api/messages", params={"since": str(since)}) as response:
            assert response.status == 200
            body = await response.json()
        for message in body["messages"]:
            seen.append(message["text"])
            if contains.lower() in message["text"].lower():
                return message["version"], message
        since = body["version"]
    msg = f"no message containing {contains!r}; saw {seen!r}"
    raise AssertionError(msg)


def three_member_team(
    harness: WebHarness, jpeg: bytes, names: tuple[str, str, str, str] = ("Org", "Ada", "Bea", "Cy")
) -> tuple[Any, int]:
    """A telegram team: Ada joined, Bea's selfies are ready, Cy picked a headshot (an
    organiser and three members, named `names`)."""
    db, store = harness.db, harness.store
    with db.session() as session:
        users = [
            User(platform="telegram", platform_user_id=name.lower(), display_name=name) for name in names
        ]
        session.add_all(users)
        session.commit()
        for user in users:
            session.refresh(user)
        ids = [u.id for u in users]
    assert all(ids)
    organiser, ada, bea, cy = (int(i) for i in ids if i is not None)
    team = store_teams.create_team(
        db,
        name="Acme",
        platform="telegram",
        chat_id="-500",
        organiser_id=organiser,
        style="corporate",
        photos_per_member=4,
        deadline=utcnow() + timedelta(days=2),
        params={"reminded": []},
    )
    assert team.id is not None
    for user_id, name in zip((ada, bea, cy), names[1:], strict=True):
        store_teams.join_team(db, team.id, user_id, name)
    with db.session() as session:
        ready = SelfieSession(
            user_id=bea, chat_id=names[2].lower(), team_id=team.id, state="collecting", data={"ready": True}
        )
        done = SelfieSession(user_id=cy, chat_id=names[3].lower(), team_id=team.id, state="delivered")
        session.add_all([ready, done])
        session.commit()
        session.refresh(ready)
        session.refresh(done)
        session.add(Photo(session_id=ready.id, user_id=bea, store_key="x", sha256="0", ok=True))  # type: ignore[arg-type]
        job = Job(
            user_id=cy,
            session_id=done.id,
            team_id=team.id,
            platform="telegram",
            chat_id=names[3].lower(),
            style="corporate",
            state=JobState.DONE,
        )
        session.add(job)
        session.commit()
        key = f"users/{cy}/results/{job.id}/01.jpg"
        store.put_bytes(key, jpeg)
        result = Result(job_id=job.id, rank=1, store_key=key)
        session.add(result)
        session.commit()
        session.refresh(result)
        result_id = result.id
    member = store_teams.membership(db, team.id, cy)
    assert member is not None
    assert member.id is not None
    store_teams.set_pick(db, member.id, result_id, state="picked")
    return team, organiser


def album_of(harness: WebHarness, platform: str, user_id: str, data: bytes) -> str:
    """A finished one-image album of that user, written straight to the database and store."""
    with harness.db.session() as session:
        user = session.exec(
            select(User).where(User.platform == platform, User.platform_user_id == user_id)
        ).first() or User(platform=platform, platform_user_id=user_id)
        session.add(user)
        session.commit()
        session.refresh(user)
        assert user.id is not None
        job = Job(user_id=user.id, platform=platform, chat_id=user_id, style="corporate", state=JobState.DONE)
        session.add(job)
        session.commit()
        key = f"users/{user.id}/results/{job.id}/01.jpg"
        harness.store.put_bytes(key, data)
        session.add(Result(job_id=job.id, rank=1, store_key=key))
        session.commit()
        return job.id

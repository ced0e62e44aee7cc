"""The real PTB `Application` polling the Bot API emulator, with the real engine and an
embedded job runner on a temporary SQLite database and photo store.

`bot_harness` yields a `Harness`: the emulator, the running bot, and `restart()` to stop the
bot and start a new one on the same database (what a process restart does).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.jobs.context import WorkerContext
from bot.jobs.embedded import EmbeddedRunner
from bot.jobs.queue import JobQueue
from bot.observability import Metrics
from bot.settings import Settings
from conversations.dialogue import Conversation
from conversations.shared.services import Services
from engine.pipeline import EngineResources, load_engine_resources
from handlers.telegram import TelegramBot
from storage.database import Database
from storage.photos import LocalPhotoStore
from tests.emulators.telegram import TOKEN, TelegramEmulator

MIN_SELFIES = 6


@pytest.fixture(scope="session")
def engine_resources() -> EngineResources:
    """The real dlib face models and the preview backend, loaded once for the session."""
    return load_engine_resources(min_selfies=MIN_SELFIES)


@pytest.fixture(scope="session")
def worker_engine() -> EngineResources:
    """The embedded worker's own models: face models are not thread-safe, so no sharing."""
    return load_engine_resources(min_selfies=MIN_SELFIES)


@dataclass
class Harness:
    emulator: TelegramEmulator
    settings: Settings
    db: Database
    store: LocalPhotoStore
    engine: EngineResources
    worker_engine: EngineResources
    bot: TelegramBot | None = None
    runner: EmbeddedRunner | None = None
    runner_task: asyncio.Task[None] | None = None
    metrics: Metrics | None = None
    """Set before `start()` to have the bot and the embedded worker record metrics."""

    async def start(self) -> None:
        ctx = WorkerContext(
            settings=self.settings,
            db=self.db,
            store=self.store,
            engine=self.worker_engine,
            name="embedded-test",
            metrics=self.metrics,
        )
        self.runner = EmbeddedRunner(ctx, poll_s=0.2)
        self.runner_task = asyncio.create_task(self.runner.run())
        queue = JobQueue.embedded(self.settings, self.db, self.runner)
        conversation = Conversation(
            Services(self.settings, self.db, self.store, self.engine, queue, metrics=self.metrics)
        )
        self.bot = TelegramBot(self.settings, conversation)
        await self.bot.start(poll_timeout=1)

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None
        if self.runner is not None and self.runner_task is not None:
            self.runner.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await self.runner_task
            self.runner = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()


def harness_settings(tmp_path: Path, emulator: TelegramEmulator, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "telegram_token": TOKEN,
        "telegram_base_url": emulator.base_url,
        "telegram_base_file_url": emulator.base_file_url,
        "callback_secret": "test-secret",
        "min_selfies": MIN_SELFIES,
        "max_selfies": 12,
        "candidates_per_order": 3,
        "album_size": 3,
        "daily_quota": 0,
        "telegram_album_wait_s": 0.5,
        "telegram_courier_interval_s": 0.2,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    emu = TelegramEmulator()
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def bot_harness(
    tmp_path: Path,
    emulator: TelegramEmulator,
    engine_resources: EngineResources,
    worker_engine: EngineResources,
) -> AsyncIterator[Harness]:
    settings = harness_settings(tmp_path, emulator)
    db = Database(settings.effective_database_url)
    db.upgrade()
    harness = Harness(
        emulator, settings, db, LocalPhotoStore(settings.effective_photo_dir), engine_resources, worker_engine
    )
    await harness.start()
    yield harness
    await harness.stop()
    db.dispose()

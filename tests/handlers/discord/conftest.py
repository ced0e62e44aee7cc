"""The real discord.py client, our bot, the real conversation, engine and embedded worker,
against the Discord emulator on loopback.

`DiscordWorld` owns one emulator (a server with #general, #headshots and #showcase), one
database and photo store, and the running bot; `restart()` replaces the bot with a new
instance on the same database, as a redeploy would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import discord
import pytest
from discord.gateway import DiscordWebSocket

from bot.jobs.context import WorkerContext
from bot.jobs.embedded import EmbeddedRunner
from bot.jobs.queue import JobQueue
from bot.settings import Settings
from conversations.dialogue import Conversation
from conversations.shared.services import Services
from engine.pipeline import EngineResources, load_engine_resources
from handlers.discord.bot import HeadshotBot
from storage.database import Database
from storage.photos import LocalPhotoStore
from tests.emulators.discord import DiscordEmulator, Member, Message

log = logging.getLogger(__name__)


MIN_SELFIES = 6
"""person_a has 8 photos, 2 under the 512-pixel minimum: 6 good ones make a set."""


@pytest.fixture(scope="session")
def engine_resources() -> EngineResources:
    """dlib and the preview backend, loaded once for the whole run (as `serve` does once)."""
    return load_engine_resources(min_selfies=MIN_SELFIES)


@pytest.fixture(scope="session")
def worker_engine() -> EngineResources:
    """The embedded worker's own models: dlib's are not thread-safe, so nothing is shared."""
    return load_engine_resources(min_selfies=MIN_SELFIES)


@dataclass
class DiscordWorld:
    emu: DiscordEmulator
    settings: Settings
    db: Database
    store: LocalPhotoStore
    conversation: Conversation
    guild: int
    general: int
    headshots: int
    showcase: int
    bot: HeadshotBot | None = None
    _bot_task: asyncio.Task[None] | None = None
    members: dict[str, Member] = field(default_factory=dict)

    async def start_bot(self) -> HeadshotBot:
        bot = HeadshotBot(
            settings=self.settings,
            conversation=self.conversation,
            delivery_interval_s=0.2,
        )
        await bot.login("emulated-token")
        self._bot_task = asyncio.create_task(bot.connect(reconnect=False))
        await asyncio.wait_for(bot.wait_until_ready(), 15)
        self.bot = bot
        return bot

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.close()
        if self._bot_task is not None:
            with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
                await self._bot_task
        self.bot = None
        self._bot_task = None

    async def restart(self) -> HeadshotBot:
        await self.stop_bot()
        return await self.start_bot()

    def member(
        self, name: str, *, admin: bool = False, dms_open: bool = True, locale: str = "en-US"
    ) -> Member:
        self.members[name] = self.emu.add_member(name, admin=admin, dms_open=dms_open, locale=locale)
        return self.members[name]

    async def dm_of(self, member: Member) -> int:
        channel: int = await self.emu.wait_for(lambda: self.emu.dm_channel_id(member), what="a DM channel")
        return channel

    async def next_bot_message(self, channel_id: int, after: int, what: str, within: float = 30) -> Message:
        """The first message the bot posts in `channel_id` after the `after`-th one."""
        messages = await self.emu.wait_for(
            lambda: self.emu.bot_messages(channel_id)[after:], within=within, what=what
        )
        return messages[0]  # type: ignore[no-any-return]

    async def answer(self, interaction_id: int, what: str, within: float = 30) -> Message:
        """The (first) message an interaction produced: its follow-up or callback message."""
        messages = await self.emu.wait_for(
            lambda: [m for m in self.emu.interaction_messages(interaction_id) if m.text()],
            within=within,
            what=what,
        )
        return messages[0]  # type: ignore[no-any-return]


@pytest.fixture
async def world(
    tmp_path: Path, faces_dir: Path, engine_resources: EngineResources, worker_engine: EngineResources
) -> AsyncIterator[DiscordWorld]:
    original_base, original_gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    async with DiscordEmulator(faces_dir) as emu:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=tmp_path / "data",
            discord_api_base=emu.api_base,
            callback_secret="discord-tests",
            min_selfies=MIN_SELFIES,
            max_selfies=12,
            candidates_per_order=3,
            album_size=2,
            daily_quota=0,
        )
        db = Database(settings.effective_database_url)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db.upgrade()
        store = LocalPhotoStore(settings.effective_photo_dir)
        ctx = WorkerContext(
            settings=settings,
            db=db,
            store=store,
            engine=worker_engine,
            name="embedded-test",
        )
        runner = EmbeddedRunner(ctx, poll_s=0.2)
        runner_task = asyncio.create_task(runner.run())
        queue = JobQueue.embedded(settings, db, runner)
        conversation = Conversation(Services(settings, db, store, engine_resources, queue))
        guild = emu.add_guild("Photo Club", ("general", "headshots", "showcase"))
        world = DiscordWorld(
            emu=emu,
            settings=settings,
            db=db,
            store=store,
            conversation=conversation,
            guild=guild,
            general=emu.channel_id(guild, "general"),
            headshots=emu.channel_id(guild, "headshots"),
            showcase=emu.channel_id(guild, "showcase"),
        )
        try:
            await world.start_bot()
            yield world
            assert not emu.late_acks, "every interaction is acknowledged within Discord's 3 s"
        finally:
            await world.stop_bot()
            runner.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await runner_task
            db.dispose()
            discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = original_base, original_gateway

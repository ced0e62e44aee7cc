"""`run_discord`, what `headshots serve` calls: off without a token, connected until stopped."""

from __future__ import annotations

import asyncio

from handlers.discord import run_discord
from tests.handlers.discord.conftest import DiscordWorld


async def test_run_discord_connects_and_stops(world: DiscordWorld) -> None:
    await world.stop_bot()
    connected_before = world.emu.identified_count
    settings = world.settings.model_copy(update={"discord_token": "serve-token"})
    stop = asyncio.Event()
    running = asyncio.create_task(run_discord(settings, world.conversation, stop))
    await world.emu.wait_for(lambda: world.emu.identified_count > connected_before, what="a gateway login")
    assert any(c.method == "PUT" and c.path.endswith("/commands") for c in world.emu.calls)
    stop.set()
    await asyncio.wait_for(running, 10)


async def test_run_discord_without_token_does_nothing(world: DiscordWorld) -> None:
    calls = len(world.emu.calls)
    await asyncio.wait_for(run_discord(world.settings, world.conversation, asyncio.Event()), 5)
    assert len(world.emu.calls) == calls

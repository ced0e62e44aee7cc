"""Several processes split one Discord token by shard (HEADSHOTS_DISCORD_SHARD_COUNT / _ID):
each identifies with its shard, Discord sends it the events of its own servers only (DMs to
shard 0), and each answers what it receives. The emulator routes events as Discord documents
it: shard = (guild_id >> 22) % shard_count."""

from __future__ import annotations

import asyncio
import contextlib

import discord

from conversations.shared import messages as msg
from handlers.discord.bot import HeadshotBot
from tests.handlers.discord.conftest import DiscordWorld


async def _start(world: DiscordWorld, shard: int) -> tuple[HeadshotBot, asyncio.Task[None]]:
    settings = world.settings.model_copy(update={"discord_shard_count": 2, "discord_shard_id": shard})
    bot = HeadshotBot(settings=settings, conversation=world.conversation, delivery_interval_s=0.2)
    await bot.login("emulated-token")
    task = asyncio.create_task(bot.connect(reconnect=False))
    await asyncio.wait_for(bot.wait_until_ready(), 15)
    return bot, task


async def test_two_processes_each_run_one_shard_and_answer_their_own_servers(world: DiscordWorld) -> None:
    emu = world.emu
    await world.stop_bot()
    first = world.guild
    other = emu.add_guild("Other Club", ("general",), guild_id=first + (1 << 22))
    assert {emu.shard_of(first, 2), emu.shard_of(other, 2)} == {0, 1}, "one server on each shard"
    started = [await _start(world, shard) for shard in (0, 1)]
    try:
        bots = {bot.shard_id: bot for bot, _task in started}
        assert sorted(emu.identified_shards[-2:]) == [(0, 2), (1, 2)]
        for shard, bot in bots.items():
            assert [g.id for g in bot.guilds] == [g for g in (first, other) if emu.shard_of(g) == shard]

        ann = world.member("ann")
        for channel in (world.general, emu.channel_id(other, "general")):
            asked = await emu.slash(ann, channel, "headshot", "status")
            assert (await world.answer(asked, f"the status in channel {channel}")).text() == msg.STATUS_EMPTY
    finally:
        for bot, task in started:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
                await task

"""Running the Discord bot inside `headshots serve`, beside the Telegram bot and the worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from handlers.discord.bot import HeadshotBot
from handlers.discord.config import DiscordConfig

if TYPE_CHECKING:
    from conversations.dialogue import Conversation

log = logging.getLogger(__name__)


def build_discord_bot(settings: DiscordConfig, conversation: Conversation) -> HeadshotBot:
    """The bot for `conversation` (which holds the database and photo store the worker uses)."""
    return HeadshotBot(settings=settings, conversation=conversation)


async def run_discord(settings: DiscordConfig, conversation: Conversation, stop: asyncio.Event) -> None:
    """Log in, stay connected until `stop` is set, then close cleanly.

    Does nothing (and says so) without `HEADSHOTS_DISCORD_TOKEN`, so `serve` can always call it.
    """
    if not settings.discord_token:
        log.info("Discord bot off: HEADSHOTS_DISCORD_TOKEN is not set")
        return
    bot = build_discord_bot(settings, conversation)
    await bot.login(settings.discord_token)
    connection = asyncio.create_task(bot.connect(), name="discord-gateway")
    stopping = asyncio.create_task(stop.wait(), name="discord-stop")
    try:
        done, _ = await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if connection in done:
            connection.result()  # a fatal gateway error (bad token, intents) surfaces here
    finally:
        stopping.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await connection

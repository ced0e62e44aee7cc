"""Headshot Studio on Discord (discord.py 2.x).

`build_discord_bot(settings, conversation)` makes the `commands.Bot`; `run_discord(settings,
conversation, stop)` runs it until `stop` is set (what `headshots serve` calls).
"""

from handlers.discord.bot import HeadshotBot
from handlers.discord.run import build_discord_bot, run_discord

__all__ = ["HeadshotBot", "build_discord_bot", "run_discord"]

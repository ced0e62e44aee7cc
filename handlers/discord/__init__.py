"""Headshot Studio on Discord (discord.py 2.x): see `handlers.discord.bot.HeadshotBot`."""

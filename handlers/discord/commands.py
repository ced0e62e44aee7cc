"""The `/headshot` slash commands: thin wiring from Discord's command tree to the bot.

Members: start, help, new, status, cancel, delete, styles, web. Admins (Manage Server): `/headshot settings`
show, channels, quota, styles, public. Every command is deferred at once (Discord's 3-second
window) and answered with follow-ups; in a server the answers are ephemeral.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from conversations.i18n.translate import N_, tr
from conversations.servers import messages as server_msg
from conversations.servers.settings import ServerSettings
from handlers.discord.host import DiscordHost

PLATFORM = "discord"
MEMBER_COMMANDS = {
    "help": N_("What I can do"),
    "new": N_("Start again with new photos"),
    "status": N_("Where your photos or your order are"),
    "cancel": N_("Stop this session (its photos are deleted)"),
    "delete": N_("Delete all your photos and results"),
    "styles": N_("The styles you can choose"),
    "language": N_("Choose the language I write in"),
    "web": N_("A link to the web studio"),
}


def headshot_group(bot: DiscordHost) -> app_commands.Group:
    group = app_commands.Group(
        name="headshot", description=N_("Professional headshots and avatars from your selfies")
    )

    @group.command(name="start", description=N_("Start a private session in your DMs"))
    async def start(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await bot.start_session(interaction)

    for name, description in MEMBER_COMMANDS.items():
        group.add_command(_member_command(bot, name, description))
    group.add_command(settings_group(bot))
    return group


def _member_command(bot: DiscordHost, name: str, description: str) -> app_commands.Command[Any, ..., None]:
    async def run(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=interaction.guild is not None, thinking=True)
        await bot.run_command(interaction, name)

    return app_commands.Command(name=name, description=description, callback=run)


def settings_group(bot: DiscordHost) -> app_commands.Group:
    settings = app_commands.Group(
        name="settings", description=N_("Server settings (Manage Server permission)"), guild_only=True
    )
    admin = app_commands.checks.has_permissions(manage_guild=True)

    async def reply(interaction: discord.Interaction[Any], server: ServerSettings, saved: bool) -> None:
        text = bot.conversation.servers.describe(server, lambda c: f"<#{c}>")
        await interaction.response.send_message(
            tr(server_msg.SETTINGS_SAVED).format(settings=text) if saved else text, ephemeral=True
        )

    def guild_id(interaction: discord.Interaction[Any]) -> str:
        return str(interaction.guild_id)

    @settings.command(name="show", description=N_("Show this server's settings"))
    @admin
    async def show(interaction: discord.Interaction[Any]) -> None:
        await reply(
            interaction, await bot.conversation.servers.settings(PLATFORM, guild_id(interaction)), saved=False
        )

    @settings.command(
        name="channels", description=N_("Allow or disallow a channel; no channel = every channel")
    )
    @app_commands.describe(channel=N_("The channel"), allow=N_("Answer in it (true) or not (false)"))
    @admin
    async def channels(
        interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None, allow: bool = True
    ) -> None:
        current = await bot.conversation.servers.settings(PLATFORM, guild_id(interaction))
        if channel is None:
            chosen: tuple[str, ...] = ()
        elif allow:
            chosen = tuple(dict.fromkeys((*current.channels, str(channel.id))))
        else:
            chosen = tuple(c for c in current.channels if c != str(channel.id))
        server = await bot.conversation.servers.update(PLATFORM, guild_id(interaction), channels=chosen)
        await reply(interaction, server, saved=True)

    @settings.command(name="quota", description=N_("Orders per member per day (0 = unlimited)"))
    @admin
    async def quota(interaction: discord.Interaction[Any], per_day: app_commands.Range[int, 0, 100]) -> None:
        server = await bot.conversation.servers.update(PLATFORM, guild_id(interaction), daily_quota=per_day)
        await reply(interaction, server, saved=True)

    @settings.command(
        name="styles", description=N_("Styles offered here ('all' or names separated by commas)")
    )
    @app_commands.describe(
        names=N_("e.g. 'all' or 'corporate, gaming-avatar'"), avatar_first=N_("Avatar styles first")
    )
    @admin
    async def styles(interaction: discord.Interaction[Any], names: str, avatar_first: bool = False) -> None:
        library = bot.conversation.services.engine.styles
        chosen = (
            () if names.strip().lower() == "all" else tuple(n.strip() for n in names.split(",") if n.strip())
        )
        unknown = [n for n in chosen if n not in library]
        if unknown:
            await interaction.response.send_message(
                tr(server_msg.UNKNOWN_STYLES).format(names=", ".join(unknown)), ephemeral=True
            )
            return
        server = await bot.conversation.servers.update(
            PLATFORM, guild_id(interaction), styles=chosen, avatar_first=avatar_first
        )
        await reply(interaction, server, saved=True)

    @settings.command(name="public", description=N_("Whether members may post results, and where"))
    @admin
    async def public(
        interaction: discord.Interaction[Any], allowed: bool, channel: discord.TextChannel | None = None
    ) -> None:
        current = await bot.conversation.servers.settings(PLATFORM, guild_id(interaction))
        share = str(channel.id) if channel is not None else current.share_channel
        if allowed and share is None:
            await interaction.response.send_message(tr(server_msg.SHARE_CHANNEL_MISSING), ephemeral=True)
            return
        server = await bot.conversation.servers.update(
            PLATFORM, guild_id(interaction), public_results=allowed, share_channel=share
        )
        await reply(interaction, server, saved=True)

    return settings

"""Team orders on Discord: the `/team` slash commands and the order card's buttons.

Thin: the organiser's `/team new` becomes the same `Command("team", ("new", "NAME; style=…"))`
the Telegram adapter sends, answered in the channel (the card is a plain channel message, so
it can be edited for days). Team buttons carry `t1.…` custom ids (persistent, rebuilt after a
restart); "Join" moves the member to their DMs, where selfies, album and pick happen. The
conversation checks who may manage; this module only says whether the presser has Manage
Server (Discord's "chat admin").
"""

from __future__ import annotations

import dataclasses
from typing import Any

import discord
from discord import app_commands

from conversations.i18n.translate import N_, tr
from conversations.servers import messages as server_msg
from conversations.shared.callbacks import Action, peek
from conversations.shared.events import ButtonPressed, ChatRef, Command
from handlers.discord.host import DiscordHost
from handlers.discord.render import Destination

MANAGE = ("status", "export", "cancel")


def is_admin(interaction: discord.Interaction[Any]) -> bool:
    permissions = interaction.permissions
    return bool(permissions.manage_guild or permissions.administrator)


class TeamCommands:
    def __init__(self, bot: DiscordHost) -> None:
        self.bot = bot

    async def chat_of(self, interaction: discord.Interaction[Any], *, in_dm: bool) -> tuple[ChatRef, Any]:
        """The member's ChatRef: in their DM, or in the server channel (with admin rights)."""
        dm = await self.bot.dm_of(interaction.user)
        chat = dataclasses.replace(
            self.bot.chat_ref(interaction.user, dm, interaction.locale), private_chat_id=str(dm.id)
        )
        if in_dm or interaction.guild_id is None:
            return chat, dm
        channel = interaction.channel
        return dataclasses.replace(
            chat, chat_id=str(interaction.channel_id), admin=is_admin(interaction)
        ), channel

    async def run(self, interaction: discord.Interaction[Any], args: tuple[str, ...]) -> None:
        """`/team <args>` (already deferred): answered in the channel it was asked in."""
        chat, channel = await self.chat_of(interaction, in_dm=args[0] == "leave")
        ephemeral = interaction.guild_id is not None and args[0] != "new"
        destination = Destination(channel, interaction, followups=True, ephemeral=ephemeral)
        await self.bot.answer(chat, [Command("team", args)], destination)

    async def pressed(self, interaction: discord.Interaction[Any], data: str) -> None:
        """A team button: Join and the members' buttons answer in DMs, managing in the channel."""
        in_server = interaction.guild is not None
        await interaction.response.defer(ephemeral=in_server, thinking=in_server)
        callback = peek(data)
        manage = callback is not None and callback.action in {Action.TEAM_EXPORT, Action.TEAM_CANCEL}
        chat, channel = await self.chat_of(interaction, in_dm=not manage)
        destination = Destination(channel, interaction, followups=in_server, ephemeral=in_server)
        if in_server and not manage:
            destination = Destination(channel, interaction)
        try:
            await self.bot.answer(chat, [ButtonPressed(data)], destination)
        except discord.Forbidden:
            await interaction.followup.send(tr(server_msg.DMS_CLOSED), ephemeral=True)
            return
        if in_server and not destination.sent_followup:
            await interaction.followup.send(
                tr(server_msg.CHECK_DMS).format(link=channel.jump_url), ephemeral=True
            )


def team_group(bot: DiscordHost) -> app_commands.Group:
    group = app_commands.Group(
        name="team", description=N_("Team orders: matching headshots for a whole team")
    )
    commands = TeamCommands(bot)

    @group.command(name="new", description=N_("Start a team order in this channel"))
    @app_commands.describe(
        name=N_("Team name"),
        style=N_("A built-in style (default corporate)"),
        photos=N_("Headshots each member gets"),
        deadline=N_("e.g. 3d, 12h or 2026-12-01 18:00 (UTC)"),
        backdrop=N_("Custom look: backdrop colour #rrggbb"),
        attire=N_("Custom look: what everyone wears"),
        framing=N_("Custom look: e.g. head and shoulders"),
    )
    @app_commands.guild_only()
    async def new(  # noqa: PLR0917 -- discord.py passes slash options positionally
        interaction: discord.Interaction[Any],
        name: str,
        style: str = "corporate",
        photos: app_commands.Range[int, 1, 12] = 4,
        deadline: str = "",
        backdrop: str = "",
        attire: str = "",
        framing: str = "",
    ) -> None:
        await interaction.response.defer(thinking=True)
        options = {"style": style, "photos": str(photos), "deadline": deadline}
        options |= {"backdrop": backdrop, "attire": attire, "framing": framing}
        parts = [name.replace(";", ","), *(f"{k}={v.replace(';', ',')}" for k, v in options.items() if v)]
        await commands.run(interaction, ("new", "; ".join(parts)))

    def simple(sub: str, description: str) -> app_commands.Command[Any, ..., None]:
        async def run(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.defer(ephemeral=interaction.guild is not None, thinking=True)
            await commands.run(interaction, (sub,))

        return app_commands.Command(name=sub, description=description, callback=run)

    group.add_command(simple("status", N_("The order card's state")))
    group.add_command(simple("export", N_("The ZIP and CSV, sent to you (organiser or admins)")))
    group.add_command(
        simple("cancel", N_("Cancel the order and delete everyone's data (organiser or admins)"))
    )
    group.add_command(simple("leave", N_("Leave the team order and delete your team photos")))
    return group

"""The Discord bot: a `commands.Bot` that translates Discord into conversation events.

Nothing here decides anything about selfies, styles or orders: slash commands, DM messages
and component presses become `Command`, `PhotoReceived`/`UnsupportedInput`/`TextReceived`
and `ButtonPressed` events for `conversations.Conversation`, whose replies
`handlers.discord.render` draws. The dialogue runs in the member's DMs so selfies are never
posted in a server; what a server's admins decide (channels, quota, styles, public posts)
comes from `conversations.servers.settings`.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket

from conversations.servers import messages as server_msg
from conversations.servers.keyboards import for_server
from conversations.servers.settings import link_chat, load_server_settings, quota_refusal, server_of_chat
from conversations.servers.share import shared_result
from conversations.shared import messages as msg
from conversations.shared.callbacks import Action, CallbackError
from conversations.shared.events import ButtonPressed, ChatRef, Command, Event, PhotoReceived, TextReceived
from conversations.shared.platform import PlatformLimits
from conversations.shared.replies import Keyboard, Reply, Text
from handlers.discord.attachments import attachment_events
from handlers.discord.commands import headshot_group
from handlers.discord.components import (
    MAX_OPTIONS,
    ConversationButton,
    StylePicker,
    TeamButton,
    action_of,
    session_of,
)
from handlers.discord.config import DiscordConfig
from handlers.discord.render import MAX_CONTENT, MAX_FILES, Destination, DiscordOutput
from handlers.discord.teams import TeamCommands, team_group
from handlers.platform import PlatformDriver
from storage.database import Database
from storage.photos import PhotoStore

if TYPE_CHECKING:
    from conversations.dialogue import Conversation

log = logging.getLogger(__name__)

PLATFORM = "discord"
DELIVERY_INTERVAL_S = 1.0
DMS_CLOSED_CODE = 50007


class HeadshotBot(commands.Bot):
    """Headshot Studio on Discord. Build it with its dependencies; `start(token)` runs it."""

    def __init__(
        self,
        *,
        settings: DiscordConfig,
        db: Database,
        store: PhotoStore,
        conversation: Conversation,
        delivery_interval_s: float = DELIVERY_INTERVAL_S,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned, intents=discord.Intents.default(), help_command=None
        )
        self.settings = settings
        self.db = db
        self.store = store
        self.conversation = conversation
        self.delivery_interval_s = delivery_interval_s
        self._delivery: asyncio.Task[None] | None = None
        self.limits = PlatformLimits(
            PLATFORM,
            max_upload_bytes=settings.max_upload_bytes,
            max_text=MAX_CONTENT,
            media_group=MAX_FILES,
            styles_per_picker=MAX_OPTIONS,
        )
        self.driver = PlatformDriver(conversation, self)
        """Draws replies, reports progress messages, runs the courier (`handlers.platform`)."""

    # -- start-up ------------------------------------------------------------------

    async def login(self, token: str) -> None:
        if self.settings.discord_api_base:
            discord.http.Route.BASE = self.settings.discord_api_base.rstrip("/")
        await super().login(token)

    async def setup_hook(self) -> None:
        if self.settings.discord_api_base:
            # A non-default API also serves its own gateway; discord.py would dial Discord's.
            _shards, url, _limits = await self.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        self.add_dynamic_items(ConversationButton, StylePicker, TeamButton)
        self.tree.add_command(headshot_group(self))
        self.tree.add_command(team_group(self))
        self.tree.on_error = self._on_app_command_error  # type: ignore[method-assign]
        await self.tree.sync()
        self._delivery = asyncio.create_task(self._deliver_forever(), name="discord-delivery")

    async def close(self) -> None:
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
        await super().close()

    # -- who and where ---------------------------------------------------------------

    def chat_ref(self, user: discord.abc.User, dm: discord.abc.Snowflake) -> ChatRef:
        locale = getattr(user, "locale", None)
        return ChatRef(PLATFORM, str(user.id), str(dm.id), user.display_name, str(locale or "en")[:2])

    async def dm_of(self, user: discord.User | discord.Member) -> discord.DMChannel:
        return user.dm_channel or await user.create_dm()

    def output(self, chat_id: str) -> DiscordOutput:
        """`PlatformAdapter.output`: where the courier posts into the DM `chat_id`."""
        channel = self.get_partial_messageable(int(chat_id), type=discord.ChannelType.private)
        return DiscordOutput(Destination(channel), self.keyboard_transform())

    def keyboard_transform(self) -> Any:
        """Discord-only touches: the server's styles in one select menu, the share button."""
        styles = self.conversation.services.engine.styles.list()

        def transform(keyboard: Keyboard) -> Keyboard:
            return for_server(self.db, self.conversation.signer, PLATFORM, keyboard, styles)

        return transform

    async def answer(
        self,
        chat: ChatRef,
        events: Sequence[Event],
        destination: Destination,
        photos: Sequence[PhotoReceived] = (),
    ) -> None:
        """Run `events` (then `photos`, together) through the conversation and draw the replies.

        One event's replies are drawn as they come ("making a preview…" before the slow
        preview); a message's attachments get one answer, their texts merged. A failure is
        logged and the member told; Discord's own errors propagate (DMs closed).
        """
        try:
            if len(events) == 1 and not photos:
                replies: Any = self.conversation.handle(chat, events[0])
            else:
                collected: list[Reply] = []
                for event in events:
                    collected.extend([r async for r in self.conversation.handle(chat, event)])
                if photos:
                    collected.extend([r async for r in self.conversation.photos(chat, photos)])
                replies = merge_texts(collected)
            await self.driver.answer(chat, replies, DiscordOutput(destination, self.keyboard_transform()))
        except discord.HTTPException:
            raise
        except Exception:
            log.exception("conversation failed for %s:%s", chat.platform, chat.user_id)
            await destination.send(content=msg.SOMETHING_WENT_WRONG)

    # -- slash commands --------------------------------------------------------------------

    async def channel_refusal(self, interaction: discord.Interaction[Any]) -> str | None:
        """Why this server channel is not one the bot answers in (None: it is)."""
        if interaction.guild_id is None:
            return None
        server = await asyncio.to_thread(load_server_settings, self.db, PLATFORM, str(interaction.guild_id))
        if server.allows_channel(str(interaction.channel_id)):
            return None
        return server_msg.CHANNEL_NOT_ALLOWED.format(channels=", ".join(f"<#{c}>" for c in server.channels))

    async def start_session(self, interaction: discord.Interaction[Any]) -> None:
        """`/headshot start` (already deferred): the dialogue moves to the member's DMs."""
        refusal = await self.channel_refusal(interaction)
        if refusal is not None:
            await interaction.followup.send(refusal, ephemeral=True)
            return
        dm = await self.dm_of(interaction.user)
        chat = self.chat_ref(interaction.user, dm)
        if interaction.guild_id is not None:
            await asyncio.to_thread(link_chat, self.db, PLATFORM, chat.chat_id, str(interaction.guild_id))
            refusal = await asyncio.to_thread(self.order_refusal, chat)
            if refusal is not None:
                await interaction.followup.send(refusal, ephemeral=True)
                return
        in_server = interaction.guild_id is not None
        destination = Destination(dm, None if in_server else interaction, followups=not in_server)
        try:
            await self.answer(chat, [Command("start")], destination)
        except discord.HTTPException as error:
            if not dms_closed(error):
                raise
            await interaction.followup.send(server_msg.DMS_CLOSED, ephemeral=True)
            return
        if in_server:
            await interaction.followup.send(server_msg.CHECK_DMS.format(link=dm.jump_url), ephemeral=True)

    async def run_command(self, interaction: discord.Interaction[Any], name: str) -> None:
        """`/headshot status|cancel|delete|styles` (already deferred), answered where it was asked."""
        refusal = await self.channel_refusal(interaction)
        if refusal is not None:
            await interaction.followup.send(refusal, ephemeral=True)
            return
        dm = await self.dm_of(interaction.user)
        chat = self.chat_ref(interaction.user, dm)
        in_server = interaction.guild_id is not None
        destination = Destination(dm, interaction, followups=True, ephemeral=in_server)
        await self.answer(chat, [Command(name)], destination)

    # -- DMs: selfies and text -----------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is not None:
            return  # selfies are taken in DMs only; server channels stay public
        chat = self.chat_ref(message.author, message.channel)
        destination = Destination(message.channel)
        if not message.attachments:
            await self.answer(chat, [TextReceived(message.content)], destination)
            return
        photos, refused = await attachment_events(
            message.attachments, album_id=str(message.id), max_bytes=self.settings.max_upload_bytes
        )
        await self.answer(chat, refused, destination, photos)

    # -- components ----------------------------------------------------------------------

    async def owns(self, interaction: discord.Interaction[Any], data: str) -> bool:
        try:
            self.conversation.signer.verify(PLATFORM, str(interaction.user.id), data)
        except CallbackError:
            log.warning("refused component %r pressed by %s", data[:12], interaction.user.id)
            await interaction.response.send_message(msg.NOT_YOUR_BUTTON, ephemeral=True)
            return False
        return True

    async def component_pressed(self, interaction: discord.Interaction[Any], data: str) -> None:
        in_server = interaction.guild is not None
        await interaction.response.defer(ephemeral=in_server, thinking=in_server)
        dm = await self.dm_of(interaction.user)
        chat = self.chat_ref(interaction.user, dm)
        destination = Destination(
            dm if in_server else interaction.channel,  # type: ignore[arg-type]
            interaction,
            followups=in_server,
            ephemeral=in_server,
        )
        if action_of(data) == Action.SHARE_AVATAR:
            await self._share(interaction, chat, data)
            return
        if action_of(data) == Action.CONFIRM:
            refusal = await asyncio.to_thread(self.order_refusal, chat)
            if refusal is not None:
                await interaction.followup.send(refusal, ephemeral=True)
                return
        await self.answer(chat, [ButtonPressed(data)], destination)
        if in_server and not destination.sent_followup:
            await interaction.followup.send("✓", ephemeral=True)

    async def team_button_pressed(self, interaction: discord.Interaction[Any], data: str) -> None:
        await TeamCommands(self).pressed(interaction, data)

    def order_refusal(self, chat: ChatRef) -> str | None:
        """Why the member's server refuses another order today (None: go ahead)."""
        server_id = server_of_chat(self.db, PLATFORM, chat.chat_id)
        if server_id is None:
            return None
        server = load_server_settings(self.db, PLATFORM, server_id)
        return quota_refusal(self.db, PLATFORM, chat.user_id, server, self.settings.daily_quota)

    async def _share(self, interaction: discord.Interaction[Any], chat: ChatRef, data: str) -> None:
        server_id = server_of_chat(self.db, PLATFORM, chat.chat_id)
        server = load_server_settings(self.db, PLATFORM, server_id) if server_id else None
        if server is None or not (server.public_results and server.share_channel):
            await interaction.followup.send(server_msg.SHARE_NOT_ALLOWED, ephemeral=True)
            return
        rank = int(data.split(".")[3] or "1")
        result = await asyncio.to_thread(shared_result, self.db, self.store, int(session_of(data)), rank)
        if result is None:
            await interaction.followup.send(server_msg.SHARE_NOTHING, ephemeral=True)
            return
        channel = self.get_partial_messageable(int(server.share_channel), guild_id=int(server_id or 0))
        caption = server_msg.SHARE_POST.format(member=interaction.user.mention, style=result.style)
        await channel.send(caption, file=discord.File(io.BytesIO(result.image), "avatar_idea.jpg"))
        await interaction.followup.send(
            server_msg.SHARED.format(rank=rank, channel=f"<#{server.share_channel}>"), ephemeral=True
        )

    # -- albums and progress nobody asked for at that moment --------------------------------

    async def _deliver_forever(self) -> None:
        await self.wait_until_ready()
        await self.driver.run_courier(self.delivery_interval_s)

    # -- errors ---------------------------------------------------------------------------

    async def _on_app_command_error(
        self, interaction: discord.Interaction[Any], error: discord.app_commands.AppCommandError
    ) -> None:
        if isinstance(error, discord.app_commands.MissingPermissions):
            text = server_msg.ADMIN_ONLY
        elif isinstance(error, discord.app_commands.NoPrivateMessage):
            text = server_msg.SERVER_ONLY
        else:
            log.error("slash command failed", exc_info=error)
            text = msg.SOMETHING_WENT_WRONG
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)


def merge_texts(replies: list[Reply]) -> list[Reply]:
    """Consecutive texts as one message (one answer per Discord message), buttons of the last."""
    merged: list[Reply] = []
    for reply in replies:
        last = merged[-1] if merged else None
        if isinstance(reply, Text) and isinstance(last, Text) and not last.buttons:
            merged[-1] = Text(f"{last.text}\n\n{reply.text}", reply.buttons)
        else:
            merged.append(reply)
    return merged


def dms_closed(error: discord.HTTPException) -> bool:
    return isinstance(error, discord.Forbidden) and error.code == DMS_CLOSED_CODE


__all__ = ["HeadshotBot", "dms_closed", "merge_texts"]

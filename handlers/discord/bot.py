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

from conversations.i18n.translate import tr
from conversations.servers import messages as server_msg
from conversations.servers.policy import PostRef, SharePost
from conversations.shared import messages as msg
from conversations.shared.callbacks import Action, CallbackError
from conversations.shared.events import ButtonPressed, ChatRef, Command, Event, PhotoReceived, TextReceived
from conversations.shared.platform import PlatformLimits
from conversations.shared.replies import Reply, Text
from handlers.discord.attachments import attachment_events
from handlers.discord.commands import headshot_group
from handlers.discord.components import (
    MAX_OPTIONS,
    ConversationButton,
    StylePicker,
    TeamButton,
    action_of,
)
from handlers.discord.config import DiscordConfig
from handlers.discord.render import MAX_CONTENT, MAX_FILES, Destination, DiscordOutput
from handlers.discord.teams import TeamCommands, team_group
from handlers.discord.translator import CatalogueTranslator, LocalisedTree
from handlers.platform import PlatformDriver

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
        conversation: Conversation,
        delivery_interval_s: float = DELIVERY_INTERVAL_S,
    ) -> None:
        # Several processes split one token by shard: Discord sends each a share of the servers
        # (DMs to shard 0); per-user state is shared through Redis (docs/deploy.md).
        shards: dict[str, Any] = {}
        if settings.discord_shard_count is not None:
            shards = {"shard_id": settings.discord_shard_id, "shard_count": settings.discord_shard_count}
        super().__init__(
            **shards,
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            help_command=None,
            # Names come from users (a team called "@everyone"): nothing the bot posts pings.
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=LocalisedTree,
        )
        self.settings = settings
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
        self.conversation.servers.remove_posts_with(PLATFORM, self._take_down)
        self.tree.add_command(headshot_group(self))
        self.tree.add_command(team_group(self))
        self.tree.on_error = self._on_app_command_error  # type: ignore[method-assign]
        await self.tree.set_translator(CatalogueTranslator())
        await self.tree.sync()
        self._delivery = asyncio.create_task(self._deliver_forever(), name="discord-delivery")

    async def close(self) -> None:
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
        await super().close()

    # -- who and where ---------------------------------------------------------------

    def chat_ref(
        self, user: discord.abc.User, dm: discord.abc.Snowflake, locale: discord.Locale | None = None
    ) -> ChatRef:
        """`locale`: the interaction's (a DM message carries none; the stored hint is used)."""
        return ChatRef(
            PLATFORM, str(user.id), str(dm.id), user.display_name, locale.value if locale else None
        )

    async def dm_of(self, user: discord.User | discord.Member) -> discord.DMChannel:
        return user.dm_channel or await user.create_dm()

    def refused_for_good(self, error: BaseException) -> str | None:
        """`PlatformAdapter.refused_for_good`: see the module-level function."""
        return refused_for_good(error) if isinstance(error, discord.HTTPException) else None

    def output(self, chat_id: str) -> DiscordOutput:
        """`PlatformAdapter.output`: where the courier posts into the DM `chat_id`."""
        channel = self.get_partial_messageable(int(chat_id), type=discord.ChannelType.private)
        return DiscordOutput(Destination(channel))

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
            await self.driver.answer(chat, replies, DiscordOutput(destination))
        except discord.HTTPException:
            raise
        except Exception:
            log.exception("conversation failed for %s:%s", chat.platform, chat.user_id)
            await destination.send(content=tr(msg.SOMETHING_WENT_WRONG))

    # -- slash commands --------------------------------------------------------------------

    async def channel_refusal(self, interaction: discord.Interaction[Any]) -> str | None:
        """Why this server channel is not one the bot answers in (None: it is)."""
        if interaction.guild_id is None:
            return None
        servers = self.conversation.servers
        return await servers.channel_refusal(PLATFORM, str(interaction.guild_id), str(interaction.channel_id))

    async def start_session(self, interaction: discord.Interaction[Any]) -> None:
        """`/headshot start` (already deferred): the dialogue moves to the member's DMs."""
        refusal = await self.channel_refusal(interaction)
        if refusal is not None:
            await interaction.followup.send(refusal, ephemeral=True)
            return
        dm = await self.dm_of(interaction.user)
        chat = self.chat_ref(interaction.user, dm, interaction.locale)
        if interaction.guild_id is not None:
            refusal = await self.conversation.servers.open_from_server(chat, str(interaction.guild_id))
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
            await interaction.followup.send(tr(server_msg.DMS_CLOSED), ephemeral=True)
            return
        if in_server:
            await interaction.followup.send(tr(server_msg.CHECK_DMS).format(link=dm.jump_url), ephemeral=True)

    async def run_command(self, interaction: discord.Interaction[Any], name: str) -> None:
        """`/headshot status|cancel|delete|styles` (already deferred), answered where it was asked."""
        refusal = await self.channel_refusal(interaction)
        if refusal is not None:
            await interaction.followup.send(refusal, ephemeral=True)
            return
        dm = await self.dm_of(interaction.user)
        chat = self.chat_ref(interaction.user, dm, interaction.locale)
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
            await interaction.response.send_message(tr(msg.NOT_YOUR_BUTTON), ephemeral=True)
            return False
        return True

    async def component_pressed(self, interaction: discord.Interaction[Any], data: str) -> None:
        in_server = interaction.guild is not None
        await interaction.response.defer(ephemeral=in_server, thinking=in_server)
        dm = await self.dm_of(interaction.user)
        chat = self.chat_ref(interaction.user, dm, interaction.locale)
        destination = Destination(
            dm if in_server else interaction.channel,  # type: ignore[arg-type]
            interaction,
            followups=in_server,
            ephemeral=in_server,
        )
        if action_of(data) == Action.SHARE_AVATAR:
            await self._share(interaction, chat, data)
            return
        await self.answer(chat, [ButtonPressed(data)], destination)
        if in_server and not destination.sent_followup:
            await interaction.followup.send("✓", ephemeral=True)

    async def team_button_pressed(self, interaction: discord.Interaction[Any], data: str) -> None:
        await TeamCommands(self).pressed(interaction, data)

    async def _share(self, interaction: discord.Interaction[Any], chat: ChatRef, data: str) -> None:
        """Post the member's result in the server's share channel, if the server allows it."""
        post = await self.conversation.servers.share(chat, data)
        if not isinstance(post, SharePost):
            await interaction.followup.send(post, ephemeral=True)
            return
        channel = self.get_partial_messageable(int(post.channel_id), guild_id=int(post.server_id))
        caption = tr(server_msg.SHARE_POST).format(member=interaction.user.mention, style=post.style)
        sent = await channel.send(caption, file=discord.File(io.BytesIO(post.image), "avatar_idea.jpg"))
        await self.conversation.servers.share_posted(chat, post.channel_id, str(sent.id))
        await interaction.followup.send(
            tr(server_msg.SHARED).format(rank=post.rank, channel=f"<#{post.channel_id}>"), ephemeral=True
        )

    async def _take_down(self, post: PostRef) -> None:
        """Delete one of the bot's share posts (/delete); one already gone is fine."""
        channel = self.get_partial_messageable(int(post.channel_id))
        with contextlib.suppress(discord.NotFound):
            await channel.get_partial_message(int(post.message_id)).delete()

    # -- albums and progress nobody asked for at that moment --------------------------------

    async def _deliver_forever(self) -> None:
        await self.wait_until_ready()
        await self.driver.run_courier(self.delivery_interval_s)

    # -- errors ---------------------------------------------------------------------------

    async def _on_app_command_error(
        self, interaction: discord.Interaction[Any], error: discord.app_commands.AppCommandError
    ) -> None:
        if isinstance(error, discord.app_commands.MissingPermissions):
            text = tr(server_msg.ADMIN_ONLY)
        elif isinstance(error, discord.app_commands.NoPrivateMessage):
            text = tr(server_msg.SERVER_ONLY)
        else:
            log.error("slash command failed", exc_info=error)
            text = tr(msg.SOMETHING_WENT_WRONG)
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


def refused_for_good(error: discord.HTTPException) -> str | None:
    """Why Discord will never take this channel's messages (None: it may, later): DMs closed
    or the bot blocked (403), the channel gone (404)."""
    if isinstance(error, discord.Forbidden | discord.NotFound):
        return f"Discord refused ({error.status}): {error.text or error.code}"
    return None


def dms_closed(error: discord.HTTPException) -> bool:
    return isinstance(error, discord.Forbidden) and error.code == DMS_CLOSED_CODE


__all__ = ["HeadshotBot", "dms_closed", "merge_texts", "refused_for_good"]

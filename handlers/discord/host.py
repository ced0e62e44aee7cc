"""What the slash commands and team handlers use of the bot (`handlers.discord.bot.HeadshotBot`).

A protocol, so `commands` and `teams` depend on this small surface instead of importing the
bot module that imports them (no import cycle, and each piece can be tested on its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import discord

from conversations.dialogue import Conversation
from conversations.shared.events import ChatRef, Event, PhotoReceived
from handlers.discord.render import Destination


class DiscordHost(Protocol):
    conversation: Conversation

    def chat_ref(
        self, user: discord.abc.User, dm: discord.abc.Snowflake, locale: discord.Locale | None = None
    ) -> ChatRef: ...

    async def dm_of(self, user: discord.User | discord.Member) -> discord.DMChannel: ...

    async def answer(
        self,
        chat: ChatRef,
        events: Sequence[Event],
        destination: Destination,
        photos: Sequence[PhotoReceived] = (),
    ) -> None: ...

    async def start_session(self, interaction: discord.Interaction[Any]) -> None: ...

    async def run_command(self, interaction: discord.Interaction[Any], name: str) -> None: ...

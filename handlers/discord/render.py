"""Conversation replies as Discord messages.

Text and buttons become a message with a persistent view; images and documents become file
attachments (up to 10 per message); the progress message is a plain channel message so it
can still be edited long after the interaction that placed the order has expired (webhook
tokens last 15 minutes, orders can take longer). A `Notice` (Telegram's toast) becomes an
ephemeral follow-up when there is an interaction to answer.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord

from conversations.shared.replies import Document, Image, Keyboard, MediaGroup
from handlers.discord.components import keyboard_view
from handlers.fit import split_file, split_text, trim

log = logging.getLogger(__name__)

MAX_FILES = 10
MAX_CONTENT = 2000
MAX_FILE_BYTES = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
"""Uploading Files: 10 MiB a file by default (more only in boosted servers; DMs have the default)."""


@dataclass
class Destination:
    """Where one batch of replies goes.

    `channel` is the conversation's channel (the member's DM). With `interaction` (already
    deferred), text replies go out as its follow-ups when `followups` is set (slash commands),
    else to the channel (button presses in the DM); notices are always ephemeral follow-ups.
    """

    channel: discord.abc.Messageable
    interaction: discord.Interaction[Any] | None = None
    followups: bool = False
    ephemeral: bool = False
    sent_followup: bool = False

    async def send(self, *, to_channel: bool = False, **kwargs: Any) -> discord.Message:
        if self.interaction is not None and self.followups and not to_channel:
            self.sent_followup = True
            view = kwargs.get("view")
            if view is None:
                kwargs.pop("view", None)
            message: discord.Message = await self.interaction.followup.send(
                ephemeral=self.ephemeral, wait=True, **kwargs
            )
            return message
        return await self.channel.send(**kwargs)

    async def notice(self, text: str) -> None:
        if self.interaction is not None:
            self.sent_followup = True
            await self.interaction.followup.send(trim(text, MAX_CONTENT), ephemeral=True)
        else:
            await self.channel.send(trim(text, MAX_CONTENT))


def _file(data: bytes, filename: str) -> discord.File:
    return discord.File(io.BytesIO(data), filename=filename)


def _view_kwargs(buttons: Keyboard) -> dict[str, Any]:
    view = keyboard_view(buttons)
    return {"view": view} if view is not None else {}


def media_chunks(images: Sequence[bytes], captions: Sequence[str]) -> list[tuple[list[discord.File], str]]:
    """Groups of at most 10 files, each file named after its caption (#3 -> headshot_03.jpg)."""
    chunks = []
    for start in range(0, len(images), MAX_FILES):
        files, labels = [], []
        for index in range(start, min(start + MAX_FILES, len(images))):
            caption = captions[index] if index < len(captions) else f"#{index + 1}"
            number = caption.lstrip("#") if caption.lstrip("#").isdigit() else str(index + 1)
            files.append(_file(images[index], f"headshot_{int(number):02d}.jpg"))
            labels.append(caption)
        chunks.append((files, " ".join(labels)))
    return chunks


class DiscordOutput:
    """Draws replies at one `Destination` (`handlers.platform.ChatOutput`)."""

    def __init__(self, destination: Destination) -> None:
        self.destination = destination

    def _view(self, buttons: Keyboard) -> dict[str, Any]:
        return _view_kwargs(buttons)

    async def text(self, text: str, buttons: Keyboard) -> str | None:
        *first, last = split_text(text, MAX_CONTENT)
        for part in first:
            await self.destination.send(content=part)
        return str((await self.destination.send(content=last, **self._view(buttons))).id)

    async def image(self, image: Image) -> str | None:
        if len(image.data) > MAX_FILE_BYTES:
            return await self.document(Document(image.data, image.filename, image.caption))
        message = await self.destination.send(
            content=trim(image.caption, MAX_CONTENT),
            file=_file(image.data, image.filename),
            **self._view(image.buttons),
        )
        return str(message.id)

    async def media_group(self, group: MediaGroup) -> str | None:
        first = None
        for files, label in media_chunks(group.images, group.captions):
            message = await self.destination.send(content=label, files=files)
            first = first or str(message.id)
        return first

    async def document(self, document: Document) -> str | None:
        """A file as-is; over the upload limit in numbered parts (a zip as zips that open alone)."""
        parts = split_file(document.data, document.filename, MAX_FILE_BYTES)
        first = None
        for number, (data, name) in enumerate(parts, start=1):
            label = document.caption
            if len(parts) > 1:
                label = f"{label} ({number}/{len(parts)})".strip()
            message = await self.destination.send(content=trim(label, MAX_CONTENT), file=_file(data, name))
            first = first or str(message.id)
        return first

    async def progress(self, text: str, buttons: Keyboard) -> str | None:
        message = await self.destination.send(to_channel=True, content=text, **self._view(buttons))
        return str(message.id)

    async def edit_progress(self, message_id: str, text: str, buttons: Keyboard) -> str | None:
        kwargs = self._view(buttons)
        channel: Any = self.destination.channel
        try:
            await channel.get_partial_message(int(message_id)).edit(content=text, view=kwargs.get("view"))
        except (discord.NotFound, ValueError):
            return await self.progress(text, buttons)
        return message_id

    async def notice(self, text: str) -> None:
        if text:  # an empty notice only acknowledges the press, which deferring did
            await self.destination.notice(text)

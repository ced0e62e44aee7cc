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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from conversations.shared.replies import (
    Document,
    EditProgress,
    Image,
    Keyboard,
    MediaGroup,
    Notice,
    ProgressMessage,
    Reply,
    Text,
)
from handlers.discord.components import keyboard_view

log = logging.getLogger(__name__)

MAX_FILES = 10
MAX_CONTENT = 2000

ProgressSent = Callable[[str], Awaitable[None]]
"""Told the id of a progress message once it is posted (`Conversation.progress_message_sent`)."""


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
            await self.interaction.followup.send(text[:MAX_CONTENT], ephemeral=True)
        else:
            await self.channel.send(text[:MAX_CONTENT])


def _file(data: bytes, filename: str) -> discord.File:
    return discord.File(io.BytesIO(data), filename=filename)


def _view_kwargs(buttons: Keyboard, transform: KeyboardTransform | None) -> dict[str, Any]:
    if transform is not None:
        buttons = transform(buttons)
    view = keyboard_view(buttons)
    return {"view": view} if view is not None else {}


KeyboardTransform = Callable[[Keyboard], Keyboard]
"""A platform tweak applied to every keyboard before it is drawn (e.g. the share button)."""


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


def split_text(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """`text` in messages of at most `limit` characters, cut at line ends where possible."""
    pieces = [
        line[start : start + limit]
        for line in text.splitlines()
        for start in range(0, max(len(line), 1), limit)
    ]
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n{piece}" if current else piece
        if len(candidate) > limit:
            parts.append(current)
            current = piece
        else:
            current = candidate
    parts.append(current)
    return [p for p in parts if p.strip()] or ["…"]


async def render(
    replies: Sequence[Reply] | Any,
    destination: Destination,
    *,
    progress_sent: ProgressSent,
    transform: KeyboardTransform | None = None,
) -> list[discord.Message]:
    """Post `replies` (a sequence or an async iterator of them) in order; return the messages."""
    posted: list[discord.Message] = []
    if hasattr(replies, "__aiter__"):
        async for reply in replies:
            posted.extend(await _render_one(reply, destination, progress_sent, transform))
    else:
        for reply in replies:
            posted.extend(await _render_one(reply, destination, progress_sent, transform))
    return posted


async def _render_one(
    reply: Reply, dest: Destination, progress_sent: ProgressSent, transform: KeyboardTransform | None
) -> list[discord.Message]:
    match reply:
        case Text(text=text, buttons=buttons):
            *first, last = split_text(text)
            sent = [await dest.send(content=part) for part in first]
            return [*sent, await dest.send(content=last, **_view_kwargs(buttons, transform))]
        case Image(data=data, caption=caption, buttons=buttons, filename=filename):
            kwargs = _view_kwargs(buttons, transform)
            return [await dest.send(content=caption[:MAX_CONTENT], file=_file(data, filename), **kwargs)]
        case MediaGroup(images=images, captions=captions):
            return [
                await dest.send(content=label, files=files) for files, label in media_chunks(images, captions)
            ]
        case Document(data=data, filename=filename, caption=caption):
            return [await dest.send(content=caption[:MAX_CONTENT], file=_file(data, filename))]
        case ProgressMessage(text=text, buttons=buttons):
            message = await dest.send(to_channel=True, content=text, **_view_kwargs(buttons, transform))
            await progress_sent(str(message.id))
            return [message]
        case EditProgress(message_id=message_id, text=text, buttons=buttons):
            kwargs = _view_kwargs(buttons, transform)
            try:
                edited = await dest.channel.get_partial_message(int(message_id)).edit(  # type: ignore[attr-defined]
                    content=text, view=kwargs.get("view")
                )
            except (discord.NotFound, ValueError):
                message = await dest.send(to_channel=True, content=text, **kwargs)
                await progress_sent(str(message.id))
                return [message]
            return [edited]
        case Notice(text=text):
            if text:  # an empty notice only acknowledges the press, which deferring did
                await dest.notice(text)
            return []
    log.warning("no Discord rendering for reply %r", type(reply).__name__)
    return []

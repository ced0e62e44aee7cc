"""Telegram updates to conversation events: who is talking, which file, what kind of input.

No decisions about the dialogue here, only reading Telegram's objects.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, TypeAlias

from telegram import Message, Update
from telegram.ext import Application

from conversations.shared.events import ChatRef, UnsupportedInput

PLATFORM = "telegram"
BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024
"""The Bot API's getFile refuses bigger files."""

AppType: TypeAlias = Application[Any, Any, Any, Any, Any, Any]


def chat_ref(update: Update) -> ChatRef | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    return ChatRef(
        platform=PLATFORM,
        user_id=str(user.id),
        chat_id=str(chat.id),
        display_name=user.full_name,
        locale=user.language_code,
        private_chat_id=str(user.id),
    )


@dataclass(frozen=True)
class IncomingImage:
    """The file of an image message: which one to download and what to call it."""

    file_id: str
    name: str
    size: int | None
    album_id: str | None

    def to_json(self) -> str:
        """What travels between bot processes while an album is assembled (`MediaGroups`)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> IncomingImage:
        return cls(**json.loads(text))


def incoming_image(message: Message) -> IncomingImage | None:
    """The largest size of a photo, or an image sent as a file (uncompressed)."""
    if message.photo:
        best = message.photo[-1]
        return IncomingImage(
            best.file_id, f"{best.file_unique_id}.jpg", best.file_size, message.media_group_id
        )
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        name = document.file_name or f"{document.file_unique_id}.jpg"
        return IncomingImage(document.file_id, name, document.file_size, message.media_group_id)
    return None


def unsupported(message: Message) -> UnsupportedInput:
    """What a message that is not a usable image is, for a fitting reply."""
    if message.animation is not None:
        return UnsupportedInput("animation")
    if message.video is not None or message.video_note is not None:
        return UnsupportedInput("video")
    if message.sticker is not None:
        return UnsupportedInput("sticker")
    if message.voice is not None:
        return UnsupportedInput("voice")
    if message.audio is not None:
        return UnsupportedInput("audio")
    if message.document is not None:
        return UnsupportedInput("file")
    return UnsupportedInput("other")

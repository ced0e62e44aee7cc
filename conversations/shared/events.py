"""What a chat platform tells the conversation: the events its adapter translates updates into.

Adapters (Telegram, Discord) download files and parse commands; the conversation never sees
a platform object. Every event is a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ChatRef:
    """Who is talking and where: the platform's user id and chat id, as strings."""

    platform: str
    user_id: str
    chat_id: str
    display_name: str = ""
    locale: str | None = None
    """The platform's hint of the user's language, as it gives it ('es', 'pt-BR', 'en_US'; None
    if it gives none): Telegram's `language_code`, Discord's `interaction.locale`, a browser's
    first `Accept-Language`. The user's own `/language` choice wins over it
    (`conversations.shared.language.user_locale`)."""
    private_chat_id: str = ""
    """The user's private chat with the bot ('' if unknown); differs from `chat_id` in a group."""
    admin: bool = False
    """The user administers `chat_id` (filled by adapters where it matters: team orders)."""

    @property
    def shared(self) -> bool:
        """A group or server channel, where other people read along."""
        return bool(self.private_chat_id) and self.private_chat_id != self.chat_id


@dataclass(frozen=True)
class PhotoReceived:
    """One image upload (a photo or an image sent as a file). `album_id` groups the photos
    a platform sent together (Telegram's media_group_id, one Discord message)."""

    data: bytes
    name: str
    album_id: str | None = None


@dataclass(frozen=True)
class ButtonPressed:
    """A button's callback data, exactly as the platform returned it (still signed)."""

    data: str


@dataclass(frozen=True)
class Command:
    """A command without its prefix: `Command("new")`, `Command("start", ("team_ab12",))`."""

    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextReceived:
    text: str


UNSUPPORTED_KINDS: Final = ("video", "sticker", "voice", "animation", "audio", "file", "too_large", "other")


@dataclass(frozen=True)
class UnsupportedInput:
    """Something that is not a selfie: `kind` is one of `UNSUPPORTED_KINDS` (a video, a
    sticker, a voice note, a GIF, a non-image file, a file over the size limit...).
    For "too_large", `size` is the file's and `limit` the platform's limit in bytes."""

    kind: str
    size: int | None = None
    limit: int | None = None


Event = PhotoReceived | ButtonPressed | Command | TextReceived | UnsupportedInput

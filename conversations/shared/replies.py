"""What the conversation asks a chat to show, as frozen dataclasses an adapter renders.

Buttons carry signed callback data (see `conversations.shared.callbacks`); images are bytes
(JPEG) read from the photo store, so adapters never touch storage.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    """`deep_link`, when set, is a start payload: Telegram draws a link that opens the private
    chat with `/start <deep_link>`; platforms without deep links press `data` instead."""

    label: str
    data: str
    deep_link: str = ""


Keyboard = tuple[tuple[Button, ...], ...]
"""Rows of buttons."""


@dataclass(frozen=True)
class Text:
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class Image:
    data: bytes
    caption: str = ""
    buttons: Keyboard = ()
    filename: str = "image.jpg"


@dataclass(frozen=True)
class MediaGroup:
    """Several images in one message (2-10 on Telegram, up to 10 files on Discord)."""

    images: tuple[bytes, ...]
    captions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    """A file sent as-is (the full-resolution original, not recompressed by the chat)."""

    data: bytes
    filename: str
    caption: str = ""


@dataclass(frozen=True)
class ProgressMessage:
    """Start the order's progress message; the adapter reports its id back with
    `Conversation.progress_message_sent` so later updates edit it in place."""

    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class EditProgress:
    """Replace the text of the progress message `message_id` (send a new one if it is gone)."""

    message_id: str
    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class Notice:
    """A short answer to a button press (Telegram's callback-query toast); adapters without
    toasts show it as a text."""

    text: str


Reply = Text | Image | MediaGroup | Document | ProgressMessage | EditProgress | Notice

"""What a web chat shows: the bot's messages in order, kept in memory, and the `ChatOutput`
that draws replies into it.

The browser long-polls `WebChat.since(version)`; every new or edited message gets the chat's
next version number, so the page asks for "everything after what I have" and redraws only
that. Images and documents are kept with the chat (bounded by `FILE_BYTES`, oldest dropped
first) and served only to the chat's owner. The dialogue's state is in the database; a
restart loses the transcript, not the session (the page then asks for /status).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Final

from conversations.shared.replies import Document, Image, Keyboard, MediaGroup

MESSAGES: Final = 300
"""Messages a chat keeps (older ones are dropped from the page)."""
FILE_BYTES: Final = 200 * 1024 * 1024
"""Image and document bytes a chat keeps in memory."""
STUDIO_FILE_BYTES: Final = 1024 * 1024 * 1024
"""Image and document bytes all the studio's chats keep together (many users cannot fill the
memory: the oldest file of any chat goes first)."""


@dataclass(frozen=True)
class StoredFile:
    data: bytes
    filename: str
    content_type: str
    download: bool


@dataclass
class WebMessage:
    id: str
    kind: str
    """text, image, gallery, document, progress, notice"""
    text: str
    buttons: Keyboard
    files: list[dict[str, str]]
    version: int

    def to_json(self) -> dict[str, Any]:
        buttons = [[{"label": b.label, "data": b.data} for b in row] for row in self.buttons]
        return {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "buttons": buttons,
            "files": self.files,
            "version": self.version,
        }


def safe_filename(name: str) -> str:
    """`name` fit for a URL path and a quoted Content-Disposition: ASCII letters, digits,
    `.`, `-` and `_` only (a quote, slash or line break in a style or team name cannot break out)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip(".")[-100:]
    return safe or "file"


def content_type(filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower()
    return {
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "webp": "image/webp",
        "zip": "application/zip",
        "csv": "text/csv",
    }.get(suffix, "application/octet-stream")


class FileBudget:
    """The bytes every chat's kept files take together, bounded by `limit`."""

    def __init__(self, limit: int = STUDIO_FILE_BYTES) -> None:
        self.limit = limit
        self.total = 0
        self._kept: OrderedDict[str, tuple[OrderedDict[str, StoredFile], int]] = OrderedDict()

    def keep(self, owner: OrderedDict[str, StoredFile], file_id: str, size: int) -> None:
        """Count a file `owner` now keeps; drop the oldest files anywhere past the limit."""
        self._kept[file_id] = (owner, size)
        self.total += size
        while self.total > self.limit and len(self._kept) > 1:
            old_id, (old_owner, old_size) = self._kept.popitem(last=False)
            self.total -= old_size
            old_owner.pop(old_id, None)

    def drop(self, file_id: str) -> None:
        kept = self._kept.pop(file_id, None)
        if kept is not None:
            self.total -= kept[1]


@dataclass
class WebChat:
    """One web user's chat with the bot."""

    chat_id: str
    messages: OrderedDict[str, WebMessage] = field(default_factory=OrderedDict)
    files: OrderedDict[str, StoredFile] = field(default_factory=OrderedDict)
    version: int = 0
    greeted: bool = False
    closed: bool = False
    budget: FileBudget = field(default_factory=FileBudget)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def post(
        self, kind: str, text: str, buttons: Keyboard = (), files: list[dict[str, str]] | None = None
    ) -> str:
        message_id = str(next(self._ids))
        async with self._changed:
            self.version += 1
            self.messages[message_id] = WebMessage(message_id, kind, text, buttons, files or [], self.version)
            while len(self.messages) > MESSAGES:
                self.messages.popitem(last=False)
            self._changed.notify_all()
        return message_id

    async def edit(self, message_id: str, text: str, buttons: Keyboard) -> bool:
        async with self._changed:
            message = self.messages.get(message_id)
            if message is None:
                return False
            self.version += 1
            message.text, message.buttons, message.version = text, buttons, self.version
            self._changed.notify_all()
        return True

    def keep_file(self, data: bytes, filename: str, *, download: bool) -> str:
        """Keep a file for the chat's owner; its URL path."""
        file_id = secrets.token_urlsafe(12)
        filename = safe_filename(filename)
        self.files[file_id] = StoredFile(data, filename, content_type(filename), download)
        total = sum(len(f.data) for f in self.files.values())
        while total > FILE_BYTES and len(self.files) > 1:
            dropped_id, dropped = self.files.popitem(last=False)
            self.budget.drop(dropped_id)
            total -= len(dropped.data)
        self.budget.keep(self.files, file_id, len(data))
        return f"/files/{file_id}/{filename}"

    async def forget(self) -> None:
        """Drop every message and file so far (/delete); what is posted after stays."""
        async with self._changed:
            self.messages.clear()
            for file_id in self.files:
                self.budget.drop(file_id)
            self.files.clear()

    async def close(self) -> None:
        """Answer every waiting poll now (the server is stopping)."""
        async with self._changed:
            self.closed = True
            self._changed.notify_all()

    async def since(self, version: int, wait_s: float) -> tuple[int, list[dict[str, Any]]]:
        """Messages newer than `version`, waiting up to `wait_s` for one."""
        async with self._changed:
            if self.version <= version:
                try:
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: self.version > version or self.closed), wait_s
                    )
                except TimeoutError:
                    return self.version, []
            newer = [m.to_json() for m in self.messages.values() if m.version > version]
            return self.version, sorted(newer, key=lambda m: m["version"])


class WebOutput:
    """`handlers.platform.ChatOutput` for one web chat."""

    def __init__(self, chat: WebChat) -> None:
        self.chat = chat

    async def text(self, text: str, buttons: Keyboard) -> str | None:
        return await self.chat.post("text", text, buttons)

    async def image(self, image: Image) -> str | None:
        url = self.chat.keep_file(image.data, image.filename, download=False)
        return await self.chat.post("image", image.caption, image.buttons, [{"url": url, "caption": ""}])

    async def media_group(self, group: MediaGroup) -> str | None:
        files = []
        for index, data in enumerate(group.images):
            caption = group.captions[index] if index < len(group.captions) else ""
            name = f"{caption.lstrip('#') or index + 1}.jpg"
            files.append({"url": self.chat.keep_file(data, name, download=False), "caption": caption})
        return await self.chat.post("gallery", "", (), files)

    async def document(self, document: Document) -> str | None:
        url = self.chat.keep_file(document.data, document.filename, download=True)
        return await self.chat.post(
            "document", document.caption, (), [{"url": url, "caption": document.filename}]
        )

    async def progress(self, text: str, buttons: Keyboard) -> str | None:
        return await self.chat.post("progress", text, buttons)

    async def edit_progress(self, message_id: str, text: str, buttons: Keyboard) -> str | None:
        if await self.chat.edit(message_id, text, buttons):
            return message_id
        return await self.progress(text, buttons)

    async def notice(self, text: str) -> None:
        if text:
            await self.chat.post("notice", text)

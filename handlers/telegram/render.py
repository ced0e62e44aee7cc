"""Replies to Bot API calls: one method per kind of message, nothing decided here.

What Telegram would refuse is made to fit first (`handlers.fit`): texts over 4096 UTF-16 units
go as several messages, captions are trimmed to 1024, an image over sendPhoto's limits goes as
a document, a file over 50 MB goes in numbered parts.
"""

from __future__ import annotations

import io
import logging

from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
)
from telegram.error import BadRequest

from conversations.shared.replies import Document, Image, Keyboard, MediaGroup
from handlers.fit import split_file, split_text, trim

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
"""sendMessage `text`: "1-4096 characters after entities parsing" (UTF-16 code units)."""
CAPTION_LIMIT = 1024
"""Captions: "0-1024 characters after entities parsing"."""
CALLBACK_ANSWER_LIMIT = 200
"""answerCallbackQuery `text`: "0-200 characters"."""
PHOTO_BYTES = 10 * 1024 * 1024
"""sendPhoto: "The photo must be at most 10 MB in size."."""
PHOTO_SIDES_SUM = 10_000
"""sendPhoto: "The photo's width and height must not exceed 10000 in total."."""
PHOTO_RATIO = 20
"""sendPhoto: "Width and height ratio must be at most 20."."""
FILE_BYTES = 50 * 1024 * 1024
"""sendDocument: "Bots can currently send files of any type of up to 50 MB in size"."""


def telegram_length(text: str) -> int:
    """Telegram measures texts in UTF-16 code units (an emoji is 2)."""
    return len(text.encode("utf-16-le")) // 2


def caption(text: str) -> str | None:
    return trim(text, CAPTION_LIMIT, telegram_length) or None


def fits_photo(data: bytes) -> bool:
    """Whether sendPhoto takes `data` (size, width + height, aspect ratio); only the header is read."""
    if len(data) > PHOTO_BYTES:
        return False
    try:
        width, height = PILImage.open(io.BytesIO(data)).size
    except (UnidentifiedImageError, OSError):
        return False
    return width + height <= PHOTO_SIDES_SUM and max(width, height) <= PHOTO_RATIO * min(width, height)


def keyboard(buttons: Keyboard, start_link: str = "") -> InlineKeyboardMarkup | None:
    """Inline buttons; a button with a `deep_link` becomes a link to `start_link + deep_link`
    (the bot's private chat, opened with `/start <deep_link>`)."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=start_link + b.deep_link)
                if b.deep_link and start_link
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in buttons
        ]
    )


def start_link(bot: Bot) -> str:
    """`https://t.me/<bot>?start=`, for deep links ('' before the bot knows its name)."""
    try:
        return f"https://t.me/{bot.username}?start="
    except RuntimeError:
        return ""


class Renderer:
    """Draws replies in one chat (`handlers.platform.ChatOutput`). A button press's first
    `Notice` answers its callback query."""

    def __init__(self, bot: Bot, chat_id: int | str, query: CallbackQuery | None = None) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.query = query
        self.answered = query is None

    def _keyboard(self, buttons: Keyboard) -> InlineKeyboardMarkup | None:
        return keyboard(buttons, start_link(self.bot))

    async def text(self, text: str, buttons: Keyboard) -> str | None:
        """A text too long for one message goes as several, the buttons under the last."""
        *first, last = split_text(text, TEXT_LIMIT, telegram_length)
        for part in first:
            await self.bot.send_message(self.chat_id, part)
        return _id(await self.bot.send_message(self.chat_id, last, reply_markup=self._keyboard(buttons)))

    async def progress(self, text: str, buttons: Keyboard) -> str | None:
        return await self.text(text, buttons)

    async def image(self, image: Image) -> str | None:
        """A photo; one over sendPhoto's limits (a full-resolution upscale) as a document."""
        if not fits_photo(image.data):
            return await self._document(image.data, image.filename, image.caption, image.buttons)
        sent = await self.bot.send_photo(
            self.chat_id,
            image.data,
            caption=caption(image.caption),
            reply_markup=self._keyboard(image.buttons),
            filename=image.filename,
        )
        return _id(sent)

    async def media_group(self, group: MediaGroup) -> str | None:
        """2-10 images as one album; as an album of documents if any is over sendPhoto's
        limits (Telegram groups documents only with documents); a lone image alone."""
        captions = _captions(group)
        if len(group.images) == 1:
            return await self.image(Image(group.images[0], captions[0], filename="01.jpg"))
        as_photos = all(fits_photo(data) for data in group.images)
        media = [
            InputMediaPhoto(data, caption=caption(text), filename=f"{i + 1:02d}.jpg")
            if as_photos
            else InputMediaDocument(data, caption=caption(text), filename=f"{i + 1:02d}.jpg")
            for i, (data, text) in enumerate(zip(group.images, captions, strict=True))
        ]
        messages = await self.bot.send_media_group(self.chat_id, media)
        return _id(messages[0]) if messages else None

    async def document(self, document: Document) -> str | None:
        """A file as-is; over 50 MB in numbered parts (a zip as zips that open on their own)."""
        return await self._document(document.data, document.filename, document.caption, ())

    async def _document(self, data: bytes, filename: str, text: str, buttons: Keyboard) -> str | None:
        parts = split_file(data, filename, FILE_BYTES)
        first = None
        for number, (part, name) in enumerate(parts, start=1):
            label = f"{text} ({number}/{len(parts)})".strip() if len(parts) > 1 else text
            sent = await self.bot.send_document(
                self.chat_id,
                part,
                caption=caption(label),
                filename=name,
                reply_markup=self._keyboard(buttons) if number == len(parts) else None,
                disable_content_type_detection=True,
            )
            first = first or _id(sent)
        return first

    async def finish(self) -> None:
        """Answer the button press if no reply did (Telegram shows a spinner until then)."""
        if not self.answered and self.query is not None:
            self.answered = True
            await self.query.answer()

    async def notice(self, text: str) -> None:
        if not self.answered and self.query is not None:
            self.answered = True
            await self.query.answer(trim(text, CALLBACK_ANSWER_LIMIT) or None)
        elif text:
            await self.text(text, ())

    async def edit_progress(self, message_id: str, text: str, buttons: Keyboard) -> str | None:
        try:
            await self.bot.edit_message_text(
                trim(text, TEXT_LIMIT, telegram_length),
                chat_id=self.chat_id,
                message_id=int(message_id),
                reply_markup=self._keyboard(buttons),
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return message_id
            log.info("progress message %s of chat %s gone (%s); sending anew", message_id, self.chat_id, exc)
            return await self.text(text, buttons)
        return message_id


def _id(message: Message) -> str:
    return str(message.message_id)


def _captions(reply: MediaGroup) -> tuple[str, ...]:
    return tuple(reply.captions) + ("",) * (len(reply.images) - len(reply.captions))

"""Replies to Bot API calls: one method per kind of message, nothing decided here."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from telegram.error import BadRequest

from conversations.shared.replies import Document, Image, Keyboard, MediaGroup

log = logging.getLogger(__name__)


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
        return _id(await self.bot.send_message(self.chat_id, text, reply_markup=self._keyboard(buttons)))

    async def progress(self, text: str, buttons: Keyboard) -> str | None:
        return await self.text(text, buttons)

    async def image(self, image: Image) -> str | None:
        sent = await self.bot.send_photo(
            self.chat_id,
            image.data,
            caption=image.caption or None,
            reply_markup=self._keyboard(image.buttons),
            filename=image.filename,
        )
        return _id(sent)

    async def media_group(self, group: MediaGroup) -> str | None:
        media = [
            InputMediaPhoto(data, caption=caption or None, filename=f"{i + 1:02d}.jpg")
            for i, (data, caption) in enumerate(zip(group.images, _captions(group), strict=True))
        ]
        messages = await self.bot.send_media_group(self.chat_id, media)
        return _id(messages[0]) if messages else None

    async def document(self, document: Document) -> str | None:
        sent = await self.bot.send_document(
            self.chat_id,
            document.data,
            caption=document.caption or None,
            filename=document.filename,
            disable_content_type_detection=True,
        )
        return _id(sent)

    async def finish(self) -> None:
        """Answer the button press if no reply did (Telegram shows a spinner until then)."""
        if not self.answered and self.query is not None:
            self.answered = True
            await self.query.answer()

    async def notice(self, text: str) -> None:
        if not self.answered and self.query is not None:
            self.answered = True
            await self.query.answer(text or None)
        elif text:
            await self.bot.send_message(self.chat_id, text)

    async def edit_progress(self, message_id: str, text: str, buttons: Keyboard) -> str | None:
        try:
            await self.bot.edit_message_text(
                text,
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

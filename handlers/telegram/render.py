"""Replies to Bot API calls: one function per reply type, nothing decided here."""

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
    """Sends replies to one chat. A button press's first `Notice` answers its callback query."""

    def __init__(self, bot: Bot, chat_id: int | str, query: CallbackQuery | None = None) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.query = query
        self.answered = query is None

    async def send(self, reply: Reply) -> Message | None:
        """Post `reply`; returns the message it created (the progress message's id matters)."""
        if isinstance(reply, Notice):
            await self._notice(reply)
            return None
        if isinstance(reply, Text):
            return await self.bot.send_message(
                self.chat_id, reply.text, reply_markup=self._keyboard(reply.buttons)
            )
        if isinstance(reply, ProgressMessage):
            return await self.bot.send_message(
                self.chat_id, reply.text, reply_markup=self._keyboard(reply.buttons)
            )
        if isinstance(reply, Image):
            return await self.bot.send_photo(
                self.chat_id,
                reply.data,
                caption=reply.caption or None,
                reply_markup=self._keyboard(reply.buttons),
                filename=reply.filename,
            )
        if isinstance(reply, MediaGroup):
            media = [
                InputMediaPhoto(data, caption=caption or None, filename=f"{i + 1:02d}.jpg")
                for i, (data, caption) in enumerate(zip(reply.images, _captions(reply), strict=True))
            ]
            messages = await self.bot.send_media_group(self.chat_id, media)
            return messages[0] if messages else None
        if isinstance(reply, Document):
            return await self.bot.send_document(
                self.chat_id,
                reply.data,
                caption=reply.caption or None,
                filename=reply.filename,
                disable_content_type_detection=True,
            )
        return await self._edit(reply)

    def _keyboard(self, buttons: Keyboard) -> InlineKeyboardMarkup | None:
        return keyboard(buttons, start_link(self.bot))

    async def finish(self) -> None:
        """Answer the button press if no reply did (Telegram shows a spinner until then)."""
        if not self.answered and self.query is not None:
            self.answered = True
            await self.query.answer()

    async def _notice(self, reply: Notice) -> None:
        if not self.answered and self.query is not None:
            self.answered = True
            await self.query.answer(reply.text or None)
        elif reply.text:
            await self.bot.send_message(self.chat_id, reply.text)

    async def _edit(self, reply: EditProgress) -> Message | None:
        try:
            edited = await self.bot.edit_message_text(
                reply.text,
                chat_id=self.chat_id,
                message_id=int(reply.message_id),
                reply_markup=self._keyboard(reply.buttons),
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return None
            log.info(
                "progress message %s of chat %s gone (%s); sending anew", reply.message_id, self.chat_id, exc
            )
            return await self.bot.send_message(
                self.chat_id, reply.text, reply_markup=self._keyboard(reply.buttons)
            )
        return edited if isinstance(edited, Message) else None


def _captions(reply: MediaGroup) -> tuple[str, ...]:
    return tuple(reply.captions) + ("",) * (len(reply.images) - len(reply.captions))

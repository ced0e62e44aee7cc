"""Team orders on Telegram: `/team ...` in a group and the order card's buttons.

Thin like the rest of the adapter: it only adds what Telegram knows and the conversation
needs for managing an order, namely whether the user is an admin of the group (one
`getChatMember` call, made only for team commands and team buttons in groups). The
dialogue itself is `conversations.teams`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import AsyncIterator
from typing import Protocol

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from conversations.dialogue import Conversation
from conversations.shared.callbacks import TEAM_PREFIX, VERSION
from conversations.shared.events import ButtonPressed, ChatRef, Command
from conversations.shared.replies import Reply
from handlers.telegram.render import Renderer
from handlers.telegram.updates import AppType, chat_ref

log = logging.getLogger(__name__)

TEAM_BUTTON_PATTERN = "^" + re.escape(f"{TEAM_PREFIX}{VERSION}.")
ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


class TeamHost(Protocol):
    """What team handlers use of `handlers.telegram.bot.TelegramBot`."""

    application: AppType
    conversation: Conversation

    async def render_replies(
        self, chat: ChatRef, renderer: Renderer, replies: AsyncIterator[Reply]
    ) -> None: ...


class TeamHandlers:
    def __init__(self, bot: TeamHost) -> None:
        self.bot = bot

    def wire(self, app: AppType) -> None:
        """Register before the generic command and button handlers (first match wins)."""
        app.add_handler(CommandHandler("team", self.on_team))
        app.add_handler(CallbackQueryHandler(self.on_button, pattern=TEAM_BUTTON_PATTERN))

    async def _with_admin(self, chat: ChatRef) -> ChatRef:
        if not chat.shared:
            return chat
        try:
            member = await self.bot.application.bot.get_chat_member(int(chat.chat_id), int(chat.user_id))
        except TelegramError:
            log.warning("could not read %s's status in chat %s", chat.user_id, chat.chat_id, exc_info=True)
            return chat
        return dataclasses.replace(chat, admin=member.status in ADMIN_STATUSES)

    async def on_team(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = chat_ref(update)
        if chat is None:
            return
        chat = await self._with_admin(chat)
        renderer = Renderer(self.bot.application.bot, chat.chat_id)
        event = Command("team", tuple(context.args or ()))
        await self.bot.render_replies(chat, renderer, self.bot.conversation.handle(chat, event))

    async def on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query, chat = update.callback_query, chat_ref(update)
        if query is None or chat is None:
            return
        chat = await self._with_admin(chat)
        renderer = Renderer(self.bot.application.bot, chat.chat_id, query)
        replies = self.bot.conversation.handle(chat, ButtonPressed(query.data or ""))
        await self.bot.render_replies(chat, renderer, replies)
        await renderer.finish()

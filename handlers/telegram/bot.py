"""The Telegram bot: python-telegram-bot's `Application`, wired to the conversation.

All wiring sits in `TelegramBot._wire`: commands, photos and image documents (single or as
albums), everything else as "unsupported", buttons, text, one error handler. Each callback
translates an update into a conversation event and renders the replies; the dialogue lives
in `conversations`. An album's updates are assembled through the conversation's
`SharedState.albums` (in Redis when several bot processes share the token, so the parts
may arrive anywhere and the album is still answered once, by the process that got the
first part, which downloads every part). `handlers.platform.PlatformDriver` draws the replies and runs the
background loop that posts progress edits and finished albums from the `Courier`. State is
in our database, so PTB persistence is not used.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    Updater,
    filters,
)

from conversations.dialogue import Conversation
from conversations.i18n.translate import DEFAULT_LOCALE, LOCALES, N_, tr, use_locale
from conversations.shared import messages as msg
from conversations.shared.events import (
    ButtonPressed,
    ChatRef,
    Command,
    Event,
    PhotoReceived,
    TextReceived,
    UnsupportedInput,
)
from conversations.shared.platform import PlatformLimits
from conversations.shared.replies import Reply
from handlers.platform import PlatformDriver, send_reply
from handlers.telegram.config import TelegramConfig
from handlers.telegram.flood import ChatFloodLimiter
from handlers.telegram.render import Renderer
from handlers.telegram.teams import TeamHandlers
from handlers.telegram.updates import (
    BOT_API_DOWNLOAD_LIMIT,
    PLATFORM,
    AppType,
    IncomingImage,
    chat_ref,
    incoming_image,
    unsupported,
)

log = logging.getLogger(__name__)

COMMANDS = {
    "start": N_("Welcome and what makes a good selfie"),
    "help": N_("What I can do"),
    "new": N_("Start again with new photos"),
    "status": N_("Where your photos or order are"),
    "styles": N_("The styles you can choose"),
    "cancel": N_("Stop this session"),
    "delete": N_("Delete all your photos and results"),
    "language": N_("Choose the language I write in"),
    "team": N_("Team orders: matching headshots for a whole team"),
    "web": N_("A link to the web studio"),
}
"""The command menu; registered in English for everyone and translated per language code."""
READ_TIMEOUT_S = 20.0
WRITE_TIMEOUT_S = 60.0
"""Bot API timeouts: a busy API or a slow uplink (albums of 2048 px images) must not lose replies."""
DOWNLOAD_ATTEMPTS = 3
DOWNLOAD_TIMEOUT_S = 60.0
UNSUPPORTED = (
    filters.ANIMATION
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.Sticker.ALL
    | filters.VOICE
    | filters.AUDIO
)
IMAGES = filters.PHOTO | filters.Document.IMAGE


class TelegramBot:
    """Owns the PTB application and the courier loop; `start()` polls, `stop()` shuts down."""

    def __init__(self, settings: TelegramConfig, conversation: Conversation) -> None:
        self.settings = settings
        self.conversation = conversation
        self.limit = min(settings.max_upload_bytes, BOT_API_DOWNLOAD_LIMIT)
        self.limits = PlatformLimits(
            PLATFORM,
            max_upload_bytes=self.limit,
            max_text=4096,
            media_group=10,
            deep_links=True,
            private_chat_first=True,
        )
        self.application: AppType = (
            ApplicationBuilder()
            .token(settings.telegram_token)
            .base_url(settings.telegram_base_url)
            .base_file_url(settings.telegram_base_file_url)
            .rate_limiter(ChatFloodLimiter(overall_max_rate=settings.telegram_max_rate))
            .concurrent_updates(settings.telegram_concurrent_updates)
            .read_timeout(READ_TIMEOUT_S)
            .write_timeout(WRITE_TIMEOUT_S)
            .media_write_timeout(WRITE_TIMEOUT_S)
            .build()
        )
        self._courier_task: asyncio.Task[None] | None = None
        self.driver = PlatformDriver(conversation, self)
        """Draws replies, reports progress messages, runs the courier (`handlers.platform`)."""
        self._wire(self.application)

    def output(self, chat_id: str) -> Renderer:
        """`PlatformAdapter.output`: where the courier posts into `chat_id`."""
        return Renderer(self.application.bot, chat_id)

    def refused_for_good(self, error: BaseException) -> str | None:
        """`PlatformAdapter.refused_for_good`: see the module-level function."""
        return refused_for_good(error)

    def _wire(self, app: AppType) -> None:
        TeamHandlers(self).wire(app)
        app.add_handler(CommandHandler(list(COMMANDS), self.on_command))
        app.add_handler(MessageHandler(UNSUPPORTED, self.on_unsupported))
        app.add_handler(MessageHandler(IMAGES, self.on_image))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(MessageHandler(filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(filters.ALL, self.on_unsupported))
        app.add_error_handler(self.on_error)

    async def start(self, *, poll_timeout: int = 10) -> None:
        app = self.application
        await app.initialize()
        await self._register_commands()
        await app.start()
        assert app.updater is not None
        if self.settings.telegram_webhook_url:
            await self._start_webhook(app.updater)
        else:
            await app.updater.start_polling(
                poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
            )
            log.info("telegram bot @%s polling", app.bot.username)
        self._courier_task = asyncio.create_task(
            self.driver.run_courier(self.settings.telegram_courier_interval_s)
        )

    async def _register_commands(self) -> None:
        """The command menu in English (the default) and in each language for the users whose
        app speaks it (`setMyCommands` with a two-letter `language_code`)."""
        bot = self.application.bot
        await bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS.items()])
        for locale in LOCALES:
            if locale == DEFAULT_LOCALE:
                continue
            with use_locale(locale):
                commands = [BotCommand(name, tr(text)) for name, text in COMMANDS.items()]
            await bot.set_my_commands(commands, language_code=locale.split("_")[0])

    async def _start_webhook(self, updater: Updater) -> None:
        """Behind a reverse proxy: PTB's webhook server on `telegram_webhook_port`, registered
        with Telegram together with a secret that every incoming request must echo."""
        url = self.settings.telegram_webhook_url
        await updater.start_webhook(
            listen=self.settings.telegram_webhook_listen,
            port=self.settings.telegram_webhook_port,
            url_path=urlsplit(url).path.lstrip("/"),
            webhook_url=url,
            secret_token=webhook_secret(self.settings),
            allowed_updates=Update.ALL_TYPES,
        )
        log.info("telegram bot receiving updates by webhook on port %d", self.settings.telegram_webhook_port)

    async def stop(self) -> None:
        if self._courier_task is not None:
            self._courier_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._courier_task
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    # Update callbacks: translate, hand over, render.

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        name = message.text.split()[0].lstrip("/").split("@")[0]
        await self._dispatch(update, Command(name, tuple(context.args or ())))

    async def on_unknown_command(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text:
            words = message.text.split()
            await self._dispatch(update, Command(words[0].lstrip("/").split("@")[0], tuple(words[1:])))

    async def on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None:
            await self._dispatch(update, TextReceived(message.text or ""))

    async def on_unsupported(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None:
            await self._dispatch(update, unsupported(message))

    async def on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat = chat_ref(update)
        if query is None or chat is None:
            return
        renderer = Renderer(self.application.bot, chat.chat_id, query)
        await self._render(chat, renderer, self.conversation.handle(chat, ButtonPressed(query.data or "")))
        await renderer.finish()

    async def on_image(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat = update.effective_message, chat_ref(update)
        if message is None or chat is None:
            return
        image = incoming_image(message)
        if image is None:
            await self._dispatch(update, unsupported(message))
            return
        if image.size is not None and image.size > self.limit:
            await self._dispatch(update, UnsupportedInput("too_large", image.size, self.limit))
            return
        if image.album_id is None:
            uploads = [await self._download(image)]
        else:
            parts = await self.conversation.shared.albums.join(
                f"{PLATFORM}:{chat.chat_id}:{image.album_id}",
                image.to_json(),
                quiet_s=self.settings.telegram_album_wait_s,
            )
            if parts is None:
                return  # the update that came first answers for the whole album
            images = [IncomingImage.from_json(part) for part in parts]
            uploads = list(await asyncio.gather(*(self._download(i) for i in images)))
        photos = [p for p in uploads if p is not None]
        renderer = Renderer(self.application.bot, chat.chat_id)
        if not photos:
            await send_reply(renderer, self.conversation.unreadable_reply())
            return
        await self._render(chat, renderer, self.conversation.photos(chat, photos))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one error handler: log with the update's context, tell the user something useful."""
        chat = chat_ref(update) if isinstance(update, Update) else None
        log.error("error handling update from %s", chat, exc_info=context.error)
        if chat is not None:
            with contextlib.suppress(Exception):
                with use_locale(await self.conversation.locale_for(chat)):
                    text = tr(msg.SOMETHING_WENT_WRONG)
                await self.application.bot.send_message(chat.chat_id, text)

    # Helpers.

    async def _download(self, image: IncomingImage) -> PhotoReceived | None:
        """The file's bytes, with generous timeouts and retries (busy servers, big files)."""
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            try:
                file = await self.application.bot.get_file(image.file_id, read_timeout=DOWNLOAD_TIMEOUT_S)
                data = bytes(await file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT_S))
            except NetworkError:
                log.warning("download of %s failed (attempt %d)", image.file_id, attempt, exc_info=True)
                await asyncio.sleep(attempt)
                continue
            except TelegramError:
                log.warning("could not download %s", image.file_id, exc_info=True)
                return None
            return PhotoReceived(data, image.name, image.album_id)
        return None

    async def _dispatch(self, update: Update, event: Event) -> None:
        chat = chat_ref(update)
        if chat is None:
            return
        renderer = Renderer(self.application.bot, chat.chat_id)
        await self._render(chat, renderer, self.conversation.handle(chat, event))

    async def render_replies(self, chat: ChatRef, renderer: Renderer, replies: AsyncIterator[Reply]) -> None:
        """Draw the conversation's replies (for `handlers.telegram.teams`)."""
        await self._render(chat, renderer, replies)

    async def _render(self, chat: ChatRef, renderer: Renderer, replies: AsyncIterator[Reply]) -> None:
        await self.driver.answer(chat, replies, renderer)


def refused_for_good(error: BaseException) -> str | None:
    """Why the Bot API will never take this chat's messages (None: it may, later)."""
    if isinstance(error, Forbidden):
        return f"Telegram refused (403): {error.message}"
    if isinstance(error, BadRequest) and "chat not found" in error.message.lower():
        return f"Telegram refused (400): {error.message}"
    return None


def webhook_secret(settings: TelegramConfig) -> str:
    """The configured secret, or one derived from the token (stable across restarts, not the
    token itself): Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret
    digest = hmac.new(settings.telegram_token.encode(), b"headshots-webhook", hashlib.sha256)
    return digest.hexdigest()

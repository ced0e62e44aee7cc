"""What the Telegram Bot API refuses, so the emulator refuses it too.

Each check cites the sentence of the Bot API documentation (https://core.telegram.org/bots/api,
https://core.telegram.org/bots/faq) it enforces, and answers with the error Telegram sends:
`(error_code, description)`. A lenient emulator hides bugs that only production would show.
"""

from __future__ import annotations

import io
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError

Refusal = tuple[int, str]

TEXT_LIMIT = 4096
"""sendMessage `text`: "Text of the message to be sent, 1-4096 characters after entities parsing"."""
CAPTION_LIMIT = 1024
"""sendPhoto/sendDocument/InputMedia `caption`: "0-1024 characters after entities parsing"."""
CALLBACK_DATA_BYTES = 64
"""InlineKeyboardButton `callback_data`: "Data to be sent in a callback query ..., 1-64 bytes"."""
CALLBACK_ANSWER_LIMIT = 200
"""answerCallbackQuery `text`: "Text of the notification ..., 0-200 characters"."""
PHOTO_BYTES = 10 * 1024 * 1024
"""sendPhoto: "The photo must be at most 10 MB in size."."""
PHOTO_SIDES_SUM = 10_000
"""sendPhoto: "The photo's width and height must not exceed 10000 in total."."""
PHOTO_RATIO = 20
"""sendPhoto: "Width and height ratio must be at most 20."."""
UPLOAD_BYTES = 50 * 1024 * 1024
"""sendDocument: "Bots can currently send files of any type of up to 50 MB in size"."""
MEDIA_GROUP_SIZE = (2, 10)
"""sendMediaGroup `media`: "must include 2-10 items"."""
BUTTON_ROWS_TOTAL = 100
"""Not in the Bot API text; the server answers "reply markup is too long" past 100 buttons."""
COMMANDS_LIMIT = 100
"""setMyCommands `commands`: "At most 100 commands can be specified."."""
COMMAND_NAME = (1, 32)
"""BotCommand `command`: "Text of the command; 1-32 characters. Can contain only lowercase English
letters, digits and underscores."."""
COMMAND_DESCRIPTION = (1, 256)
"""BotCommand `description`: "Description of the command; 1-256 characters."."""

BLOCKED = (403, "Forbidden: bot was blocked by the user")
CHAT_NOT_FOUND = (400, "Bad Request: chat not found")
NOT_STARTED = (403, "Forbidden: bot can't initiate conversation with a user")
"""A private chat whose user never started the bot: bots can only answer people who wrote first."""
NOT_MODIFIED = (
    400,
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message",
)
SENDING_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendVideo", "sendAnimation"}
)


def telegram_length(text: str) -> int:
    """Telegram counts text in UTF-16 code units (MessageEntity: "offset in UTF-16 code units")."""
    return len(text.encode("utf-16-le")) // 2


def check_text(method: str, params: dict[str, Any]) -> Refusal | None:
    """Text and caption lengths; empty texts are refused too."""
    if method in {"sendMessage", "editMessageText"}:
        text = str(params.get("text") or "")
        if not text.strip():
            return 400, "Bad Request: message text is empty"
        if telegram_length(text) > TEXT_LIMIT:
            return 400, "Bad Request: message is too long"
    caption = params.get("caption")
    if caption is not None and telegram_length(str(caption)) > CAPTION_LIMIT:
        return 400, "Bad Request: message caption is too long"
    for item in params.get("media") or []:
        if telegram_length(str(item.get("caption") or "")) > CAPTION_LIMIT:
            return 400, "Bad Request: message caption is too long"
    if method == "answerCallbackQuery" and len(str(params.get("text") or "")) > CALLBACK_ANSWER_LIMIT:
        return 400, "Bad Request: MESSAGE_TOO_LONG"
    return None


def check_keyboard(params: dict[str, Any]) -> Refusal | None:
    """Inline keyboards: callback data of 1-64 bytes, a label on every button, at most 100 buttons."""
    markup = params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    buttons = [button for row in rows for button in row]
    if len(buttons) > BUTTON_ROWS_TOTAL:
        return 400, "Bad Request: reply markup is too long"
    for button in buttons:
        if not str(button.get("text") or "").strip():
            return 400, "Bad Request: text buttons are unallowed in the inline keyboard"
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_BYTES:
            return 400, "Bad Request: BUTTON_DATA_INVALID"
    return None


def check_commands(params: dict[str, Any]) -> Refusal | None:
    """setMyCommands: at most 100 commands, names 1-32 of [a-z0-9_], descriptions 1-256, and
    `language_code` "A two-letter ISO 639-1 language code" (or empty: every language)."""
    language = str(params.get("language_code") or "")
    if language and not (len(language) == 2 and language.isascii() and language.islower()):
        return 400, "Bad Request: invalid language code specified"
    commands = params.get("commands") or []
    if len(commands) > COMMANDS_LIMIT:
        return 400, "Bad Request: too many commands"
    for command in commands:
        name, description = str(command.get("command", "")), str(command.get("description", ""))
        valid_chars = all(c.islower() or c.isdigit() or c == "_" for c in name)
        if not (COMMAND_NAME[0] <= len(name) <= COMMAND_NAME[1]) or not valid_chars:
            return 400, "Bad Request: BOT_COMMAND_INVALID"
        if not COMMAND_DESCRIPTION[0] <= len(description) <= COMMAND_DESCRIPTION[1]:
            return 400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
    return None


def check_photo(data: bytes) -> Refusal | None:
    """sendPhoto's size, side-sum and aspect-ratio limits, read from the uploaded bytes."""
    if len(data) > PHOTO_BYTES:
        return 400, "Bad Request: file is too big"
    try:
        width, height = Image.open(io.BytesIO(data)).size
    except (UnidentifiedImageError, OSError):
        return 400, "Bad Request: IMAGE_PROCESS_FAILED"
    if width + height > PHOTO_SIDES_SUM or max(width, height) > PHOTO_RATIO * min(width, height):
        return 400, "Bad Request: PHOTO_INVALID_DIMENSIONS"
    return None


def check_files(method: str, params: dict[str, Any], files: dict[str, bytes]) -> Refusal | None:
    """Uploads: photos against sendPhoto's limits, anything else against the 50 MB cap."""
    if method == "sendPhoto":
        photo = files.get("photo")
        return check_photo(photo) if photo is not None else None
    if method == "sendMediaGroup":
        media = params.get("media") or []
        if not MEDIA_GROUP_SIZE[0] <= len(media) <= MEDIA_GROUP_SIZE[1]:
            return 400, "Bad Request: media group must include 2-10 items"
        kinds = {str(m.get("type")) for m in media}
        # "Documents and audio files can be only grouped in an album with messages of the same type."
        if len(kinds) > 1 and not kinds <= {"photo", "video"}:
            return 400, "Bad Request: wrong media types in the album"
        for item in media:
            ref = str(item.get("media") or "")
            data = files.get(ref.removeprefix("attach://")) if ref.startswith("attach://") else None
            if data is None:
                continue
            problem = check_photo(data) if item.get("type") == "photo" else None
            if problem is not None:
                return problem
            if len(data) > UPLOAD_BYTES:
                return 413, "Request Entity Too Large"
        return None
    if any(len(data) > UPLOAD_BYTES for data in files.values()):
        return 413, "Request Entity Too Large"
    return None


@dataclass
class FloodControl:
    """Telegram's flood limits as the bots FAQ states them: "avoid sending more than one message per
    second" in a chat, "not more than 20 messages per minute to the same group", and "not more than
    about 30 messages per second" in bulk. Past them Telegram answers 429 with `retry_after`.

    A private chat may burst (Telegram tolerates short bursts; the FAQ's 1/s is the sustained rate):
    `chat_burst` messages beyond the sustained rate are let through before 429. Tests of flood
    handling set `chat_burst=0`. Each message of a media group counts as one message.
    """

    overall_per_s: int = 30
    chat_per_s: float = 1.0
    chat_burst: int = 20
    group_per_min: int = 20
    enabled: bool = True
    _overall: deque[float] = field(default_factory=deque)
    _chats: dict[str, tuple[float, float]] = field(default_factory=dict)
    _groups: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    refused: int = 0
    held: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    """Chats answered 429 whatever the rate: (`retry_after`, refusals left or None for 'until
    released')."""

    def hold(self, chat_id: int | str, retry_after: int = 1, times: int | None = None) -> None:
        """Answer messages to `chat_id` with 429 (as for a flood-limited chat): the next `times`
        of them, or all until `release`."""
        self.held[str(chat_id)] = (retry_after, times)

    def release(self, chat_id: int | str) -> None:
        self.held.pop(str(chat_id), None)

    def _held(self, chat_id: str) -> int | None:
        if chat_id not in self.held:
            return None
        retry_after, times = self.held[chat_id]
        if times is not None:
            if times <= 1:
                del self.held[chat_id]
            else:
                self.held[chat_id] = (retry_after, times - 1)
        return retry_after

    def admit(self, chat_id: str, count: int, now: float | None = None) -> int | None:
        """None if `count` messages to `chat_id` may go now, else the `retry_after` seconds."""
        if not self.enabled:
            return None
        if (held := self._held(chat_id)) is not None:
            return self._refuse(held)
        now = time.monotonic() if now is None else now
        while self._overall and now - self._overall[0] >= 1.0:
            self._overall.popleft()
        if len(self._overall) + count > self.overall_per_s:
            return self._refuse(1)
        if chat_id.startswith("-"):
            sent = self._groups[chat_id]
            while sent and now - sent[0] >= 60.0:
                sent.popleft()
            if len(sent) + count > self.group_per_min:
                return self._refuse(max(1, int(60.0 - (now - sent[0])) + 1))
            sent.extend([now] * count)
        else:
            tokens, at = self._chats.get(chat_id, (1.0 + self.chat_burst, now))
            tokens = min(1.0 + self.chat_burst, tokens + (now - at) * self.chat_per_s)
            if tokens < count:
                return self._refuse(max(1, int((count - tokens) / self.chat_per_s) + 1))
            self._chats[chat_id] = (tokens - count, now)
        self._overall.extend([now] * count)
        return None

    def _refuse(self, retry_after: int) -> int:
        self.refused += 1
        return retry_after


def message_count(method: str, params: dict[str, Any]) -> int:
    """How many chat messages a call creates (each item of a media group is one)."""
    if method == "sendMediaGroup":
        return len(params.get("media") or [])
    return 1 if method in SENDING_METHODS else 0

"""The chat-platform adapter interface, and what every adapter gets for free.

An adapter (`handlers/telegram`, `handlers/discord`, a web chat...) provides three things:

1. **Events in.** It turns its platform's updates into `conversations.shared.events` (with a
   `ChatRef` whose `platform` is `PlatformLimits.platform`), downloading files itself, and hands
   them to `Conversation.handle` / `Conversation.photos`.
2. **Replies out.** A `ChatOutput` per chat: draw a text with buttons, an image, a media group,
   send a document, post the progress message and edit it, show a notice.
3. **Limits.** `PlatformLimits`: what the platform cannot do (no toasts, no deep links, ...).

What it gets for free from `PlatformDriver` (one copy for every platform): the replies drawn
in order (`answer`), the progress message's id told to the conversation (also when an edit
had to post it anew), the first-reply latency and delivery metrics, and the courier loop
(`run_courier`): progress edits and finished albums from the outbox, each reply marked sent
as it goes, so a restart or an outage resumes an album where it stopped instead of posting
it twice; a failed post is retried with backoff, or closed for good when the adapter's
`refused_for_good` says the platform will never take it. Rate limiting, bans and the dialogue
itself are the conversation's (`Conversation.handle`); outgoing API limits are the platform
client's (PTB's `AIORateLimiter`, discord.py's buckets).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, Iterable
from typing import Protocol

from conversations.dialogue import Conversation
from conversations.shared.delivery import Outgoing
from conversations.shared.events import ChatRef
from conversations.shared.platform import PlatformLimits
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


class ChatOutput(Protocol):
    """Draws replies in one chat (or as the answer to one button press / slash command).

    Every method returns the id of the message it posted ('' or None when it posted none).
    """

    async def text(self, text: str, buttons: Keyboard) -> str | None: ...

    async def image(self, image: Image) -> str | None: ...

    async def media_group(self, group: MediaGroup) -> str | None:
        """Several images; `PlatformLimits.media_group` is how many fit one message."""

    async def document(self, document: Document) -> str | None:
        """A file sent as-is (full-resolution originals, exports)."""

    async def progress(self, text: str, buttons: Keyboard) -> str | None:
        """Post the message later edits replace: it must stay editable as long as an order runs."""

    async def edit_progress(self, message_id: str, text: str, buttons: Keyboard) -> str | None:
        """Replace the progress message's text; post it anew if it is gone. Returns the id of the
        message that now shows `text` (a new id after a re-post)."""

    async def notice(self, text: str) -> None:
        """A short answer to a button press ('' only acknowledges it); a text where there are
        no toasts."""


class PlatformAdapter(Protocol):
    """One platform, as the courier loop sees it."""

    @property
    def limits(self) -> PlatformLimits: ...

    def output(self, chat_id: str) -> ChatOutput:
        """Where messages nobody asked for go (progress edits, albums, team cards)."""

    def refused_for_good(self, error: BaseException) -> str | None:
        """Why the platform will never take this chat's messages (the user blocked the bot, the
        chat is gone), read from a failed post's error; None when a later try may work."""


async def send_reply(output: ChatOutput, reply: Reply) -> str | None:
    """Draw one reply; the id of the message it posted, if any."""
    match reply:
        case Text(text=text, buttons=buttons):
            return await output.text(text, buttons)
        case Image():
            return await output.image(reply)
        case MediaGroup():
            return await output.media_group(reply)
        case Document():
            return await output.document(reply)
        case ProgressMessage(text=text, buttons=buttons):
            return await output.progress(text, buttons)
        case EditProgress(message_id=message_id, text=text, buttons=buttons):
            return await output.edit_progress(message_id, text, buttons)
        case Notice(text=text):
            await output.notice(text)
            return None
    log.warning("no rendering for reply %r", type(reply).__name__)
    return None


class PlatformDriver:
    """What sits between an adapter and the conversation, written once for every platform."""

    def __init__(self, conversation: Conversation, adapter: PlatformAdapter) -> None:
        self.conversation = conversation
        self.adapter = adapter
        self.platform = adapter.limits.platform
        conversation.add_platform(adapter.limits)

    async def answer(
        self, chat: ChatRef, replies: AsyncIterable[Reply] | Iterable[Reply], output: ChatOutput
    ) -> None:
        """Draw the replies to one update in order, as they come."""
        started = time.perf_counter()
        if isinstance(replies, AsyncIterable):
            async for reply in replies:
                await self._draw(chat, reply, output, started)
                started = 0.0
        else:
            for reply in replies:
                await self._draw(chat, reply, output, started)
                started = 0.0

    async def _draw(self, chat: ChatRef, reply: Reply, output: ChatOutput, started: float) -> None:
        sent = await send_reply(output, reply)
        metrics = self.conversation.services.metrics
        if metrics is not None and started:  # the first reply is the one a user waits for
            metrics.observe_reply(self.platform, time.perf_counter() - started)
        await self._progress_posted(chat.chat_id, reply, sent, chat)

    async def _progress_posted(
        self, chat_id: str, reply: Reply, sent: str | None, chat: ChatRef | None = None
    ) -> None:
        if not sent:
            return
        if isinstance(reply, ProgressMessage) and chat is not None:
            await self.conversation.progress_message_sent(chat, sent)
        elif isinstance(reply, EditProgress) and sent != reply.message_id:
            await self.conversation.progress_message_moved(self.platform, chat_id, reply.message_id, sent)

    # -- the courier: messages nobody asked for at that moment -------------------------------

    async def run_courier(self, interval_s: float) -> None:
        """Deliver every `interval_s` until cancelled; a failed round is logged and retried."""
        while True:
            try:
                await self.deliver_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s courier round failed; retrying", self.platform)
            await asyncio.sleep(interval_s)

    async def deliver_once(self) -> None:
        """One round: progress edits, team messages and albums waiting in the outbox."""
        courier = self.conversation.courier
        for item in await courier.collect(self.platform):
            await self._post(item)

    async def _post(self, item: Outgoing) -> None:
        courier = self.conversation.courier
        output = self.adapter.output(item.chat_id)
        try:
            for count, reply in enumerate(item.replies, start=1):
                sent = await send_reply(output, reply)
                await self._progress_posted(item.chat_id, reply, sent)
                await courier.reply_sent(item, count)
        except Exception as exc:
            log.exception("could not post to %s chat %s", self.platform, item.chat_id)
            self._count_delivery(item, "failed")
            await courier.unsent(item, permanent=self.adapter.refused_for_good(exc))
            return
        self._count_delivery(item, "sent")
        await courier.sent(item)

    def _count_delivery(self, item: Outgoing, outcome: str) -> None:
        metrics = self.conversation.services.metrics
        if metrics is not None and item.entry_id is not None:  # albums, not progress edits
            metrics.count_delivery(self.platform, outcome)

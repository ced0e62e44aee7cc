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
client's (`handlers.telegram.flood`, discord.py's buckets). The courier posts each chat's
messages in order from a queue of its own, so a chat the platform holds back (429) delays
no other chat.
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

COURIER_LEASE_S = 30.0
"""The courier's lease lapses this long after its process stopped (another then takes over)."""


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
        self._chat_queues: dict[str, list[Outgoing]] = {}
        self._chat_tasks: dict[str, asyncio.Task[None]] = {}

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
        """Deliver every `interval_s` until cancelled; a failed round is logged and retried.

        A round does not wait for its chats: a chat the platform asked to slow down (429) keeps
        its own messages waiting, in order, while the next rounds serve every other chat."""
        try:
            while True:
                try:
                    await self.deliver_once(wait=False)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("%s courier round failed; retrying", self.platform)
                await asyncio.sleep(interval_s)
        finally:
            for task in list(self._chat_tasks.values()):
                task.cancel()
            await asyncio.gather(*self._chat_tasks.values(), return_exceptions=True)

    async def deliver_once(self, *, wait: bool = True) -> None:
        """One round: progress edits, team messages and albums waiting in the outbox, queued
        per chat; `wait` returns only once those chats' queues are empty. With several bot
        processes on one token only the one holding the courier's lease runs rounds (progress
        edits and notices are read-then-send: two couriers would both send)."""
        if not await self.conversation.shared.leases.take(f"courier:{self.platform}", COURIER_LEASE_S):
            return
        courier = self.conversation.courier
        held = [q.entry_id for queue in self._chat_queues.values() for q in queue if q.entry_id is not None]
        chats = {item.chat_id for item in await courier.collect(self.platform, held) if self._queue(item)}
        if wait:
            await asyncio.gather(*(self._chat_tasks[c] for c in chats if c in self._chat_tasks))

    def _queue(self, item: Outgoing) -> bool:
        """Queue `item` behind its chat's earlier messages (an album already queued is not
        queued twice). Starts the chat's sender if it is idle."""
        queue = self._chat_queues.setdefault(item.chat_id, [])
        if item.entry_id is not None and any(q.entry_id == item.entry_id for q in queue):
            return False
        queue.append(item)
        if item.chat_id not in self._chat_tasks:
            self._chat_tasks[item.chat_id] = asyncio.create_task(self._drain(item.chat_id))
        return True

    async def _drain(self, chat_id: str) -> None:
        """Post one chat's queue in order; the item being posted stays first until it is done."""
        queue = self._chat_queues[chat_id]
        try:
            while queue:
                try:
                    await self._post(queue[0])
                except Exception:  # a database hiccup marking it: the lease brings it back
                    log.exception("%s courier could not finish an item for chat %s", self.platform, chat_id)
                queue.pop(0)
        finally:
            del self._chat_tasks[chat_id]
            if not queue:
                del self._chat_queues[chat_id]

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

"""Messages nobody asked for in that moment: progress edits and finished albums.

An adapter calls `Courier.collect(platform)` every second or so, sends what it gets, then
reports back with `sent` / `unsent`. Progress is read from the job rows (the truth in both
Redis and embedded mode), so a bot restart picks the progress message up where it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from conversations.personal.orders import progress_text
from conversations.shared import messages as msg
from conversations.shared import sessions
from conversations.shared.callbacks import CallbackSigner
from conversations.shared.delivery import Outgoing, album_replies, owner_of
from conversations.shared.keyboards import ButtonMaker, cancel_order_button, choose_style_button
from conversations.shared.ports import JobStatus
from conversations.shared.replies import EditProgress, Reply, Text
from conversations.shared.states import CHOOSING_STYLE, DELIVERED, GENERATING, ORDER_ACTIVE, QUEUED
from storage import outbox
from storage.jobs import JobNotFoundError
from storage.models import Job, JobState, OutboxEntry, SelfieSession, User

if TYPE_CHECKING:
    from conversations.shared.services import Services

log = logging.getLogger(__name__)


class Courier:
    def __init__(self, services: Services, signer: CallbackSigner) -> None:
        self.services = services
        self.db = services.db
        self.signer = signer
        self.sources: list[Callable[[str], Awaitable[list[Outgoing]]]] = []
        """More producers of unasked-for messages (team orders: card edits, reminders)."""
        self.album_hooks: list[Callable[[Job, User, int, list[Reply]], list[Reply]]] = []
        """Reshape an album's replies (team orders: "Pick #N" buttons); run in a thread."""

    async def collect(self, platform: str) -> list[Outgoing]:
        """Progress edits for running orders and the albums waiting in the outbox."""
        outgoing = await self._progress(platform)
        for source in self.sources:
            outgoing.extend(await source(platform))
        entries = await asyncio.to_thread(
            outbox.claim, self.db, platform, lease_s=self.services.settings.outbox_lease_s
        )
        for entry in entries:
            delivery = await asyncio.to_thread(self._album, entry)
            if delivery is not None:
                outgoing.append(delivery)
        return outgoing

    async def sent(self, item: Outgoing) -> None:
        """Every reply of `item` reached the chat: the album is delivered, for good."""
        if item.entry_id is None:
            return
        await asyncio.to_thread(outbox.mark_delivered, self.db, item.entry_id)
        if item.session_id is not None:
            row = await asyncio.to_thread(sessions.get_session, self.db, item.session_id)
            if row is not None and row.state in ORDER_ACTIVE:
                await asyncio.to_thread(sessions.save_session, self.db, row, state=DELIVERED)

    async def reply_sent(self, item: Outgoing, count: int) -> None:
        """The first `count` replies of `item` reached the chat (see `outbox.note_sent`)."""
        if item.entry_id is not None:
            await asyncio.to_thread(outbox.note_sent, self.db, item.entry_id, item.already_sent + count)

    async def unsent(self, item: Outgoing) -> None:
        """Posting failed half-way: the album stays claimed until its lease runs out
        (`Settings.outbox_lease_s`) and is then posted again, so a chat API outage is not
        answered with a burst of retries."""
        if item.entry_id is not None:
            log.warning("album of outbox entry %s not delivered; retried after the lease", item.entry_id)

    def _make(self, user: User, row: SelfieSession | None) -> ButtonMaker:
        session_id = row.id if row is not None and row.id is not None else 0
        return ButtonMaker(self.signer, user.platform, user.platform_user_id, session_id)

    async def _progress(self, platform: str) -> list[Outgoing]:
        rows = await asyncio.to_thread(sessions.sessions_in_states, self.db, platform, (QUEUED, GENERATING))
        outgoing = []
        for row, user in rows:
            job_id = row.data.get("job_id")
            if not job_id:
                continue
            try:
                status = await self.services.jobs.status(job_id)
            except JobNotFoundError:
                await asyncio.to_thread(sessions.save_session, self.db, row, state=CHOOSING_STYLE)
                continue
            replies = await self._progress_replies(row, user, status)
            if replies:
                outgoing.append(Outgoing(row.chat_id, tuple(replies)))
        return outgoing

    async def _progress_replies(self, row: SelfieSession, user: User, status: JobStatus) -> list[Reply]:
        make = self._make(user, row)
        if status.state in {JobState.QUEUED, JobState.RUNNING}:
            text = progress_text(status)
            state = GENERATING if status.state == JobState.RUNNING else QUEUED
            if text == row.data.get("progress_text") and state == row.state:
                return []
            await asyncio.to_thread(
                sessions.save_session, self.db, row, state=state, data={"progress_text": text}
            )
            if row.progress_message_id is None:
                return []
            return [EditProgress(row.progress_message_id, text, cancel_order_button(make))]
        if status.state == JobState.DONE:
            return []  # the outbox brings the album
        await asyncio.to_thread(sessions.save_session, self.db, row, state=CHOOSING_STYLE)
        if status.state == JobState.FAILED:
            text = msg.JOB_FAILED.format(error=status.error or msg.SOMETHING_WENT_WRONG)
        else:
            text = msg.JOB_CANCELLED
        replies: list[Reply] = []
        if row.progress_message_id is not None:
            replies.append(EditProgress(row.progress_message_id, text))
        replies.append(Text(text, choose_style_button(make)))
        return replies

    def _album(self, entry: OutboxEntry) -> Outgoing | None:
        assert entry.id is not None
        owner = owner_of(self.db, entry)
        if owner is None:
            outbox.mark_delivered(self.db, entry.id)
            return None
        job, user = owner
        row = sessions.get_session(self.db, job.session_id) if job.session_id is not None else None
        store = self.services.store
        images = [store.get_bytes(key) for key in entry.payload.get("images", [])]
        sheet_key = entry.payload.get("contact_sheet")
        sheet = store.get_bytes(sheet_key) if sheet_key and len(images) > 1 else None
        replies = album_replies(images, job.style, sheet, self._make(user, row), job.id)
        for hook in self.album_hooks:
            replies = hook(job, user, len(images), replies)
        if row is not None and row.progress_message_id is not None:
            done = msg.GENERATING.format(
                stage=msg.STAGES["album"], bar=msg.progress_bar(1.0), percent=100, eta=""
            )
            replies.insert(0, EditProgress(row.progress_message_id, done))
        # A re-post after a failure or a restart skips what already reached the chat.
        skip = int(entry.payload.get(outbox.SENT_REPLIES, 0))
        return Outgoing(
            entry.chat_id,
            tuple(replies[skip:]),
            entry_id=entry.id,
            session_id=job.session_id,
            already_sent=skip,
        )

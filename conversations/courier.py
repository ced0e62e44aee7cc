"""Messages nobody asked for in that moment: progress edits and finished albums.

An adapter calls `Courier.collect(platform)` every second or so, sends what it gets, then
reports back with `sent` / `unsent`. Progress is read from the job rows (the truth in both
Redis and embedded mode), so a bot restart picks the progress message up where it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING

from conversations.i18n.translate import tr, use_locale
from conversations.personal.orders import progress_text
from conversations.shared import messages as msg
from conversations.shared import sessions
from conversations.shared.advice import engine_text
from conversations.shared.callbacks import CallbackSigner
from conversations.shared.delivery import Outgoing, album_replies, owner_of
from conversations.shared.keyboards import ButtonMaker, cancel_order_button, choose_style_button
from conversations.shared.language import shown_style, user_locale
from conversations.shared.ports import JobStatus
from conversations.shared.replies import EditProgress, Reply, Text
from conversations.shared.states import CHOOSING_STYLE, DELIVERED, GENERATING, ORDER_ACTIVE, QUEUED
from storage import jobs, outbox
from storage.jobs import JobNotFoundError
from storage.models import Job, JobState, OutboxEntry, SelfieSession, User
from storage.photos import InvalidKeyError
from storage.studio import is_studio

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

    async def collect(self, platform: str, held: Collection[int] = ()) -> list[Outgoing]:
        """Progress edits for running orders and the albums waiting in the outbox.

        `held` are the outbox entries the adapter is still posting (waiting out a chat's flood
        pause): their claims are renewed and they are not handed out again.

        Each album is built on its own: one whose files are gone or whose build fails is
        recorded (`_failed`) and the others still go out this round. If the round is stopped
        half-way, the entries it claimed but did not hand out are released at once.
        """
        outgoing = await self._progress(platform)
        for source in self.sources:
            outgoing.extend(await source(platform))
        entries = await asyncio.to_thread(
            outbox.claim, self.db, platform, lease_s=self.services.settings.outbox_lease_s, held=held
        )
        for index, entry in enumerate(entries):
            try:
                delivery = await asyncio.to_thread(self._album, entry)
            except asyncio.CancelledError:
                await asyncio.to_thread(self._release, entries[index:])
                raise
            except Exception as exc:  # noqa: BLE001 -- one bad album must not stall the others
                await asyncio.to_thread(self._failed, entry, exc)
                continue
            if delivery is not None:
                outgoing.append(delivery)
        return outgoing

    def _release(self, entries: list[OutboxEntry]) -> None:
        for entry in entries:
            if entry.id is not None:
                outbox.release(self.db, entry.id)

    def _failed(self, entry: OutboxEntry, exc: Exception) -> None:
        """An album that could not be built: a missing file never comes back, so it is given
        up at once (and why recorded); anything else is tried again with backoff, a few times."""
        assert entry.id is not None
        if isinstance(exc, FileNotFoundError | InvalidKeyError):
            log.error("album of outbox entry %s has a missing file; giving up: %s", entry.id, exc)
            outbox.give_up(self.db, entry.id, f"album file missing: {exc}")
            return
        log.error("album of outbox entry %s could not be built", entry.id, exc_info=exc)
        max_attempts = self.services.settings.outbox_max_attempts
        outbox.retry_later(self.db, entry.id, f"{type(exc).__name__}: {exc}", max_attempts=max_attempts)

    async def sent(self, item: Outgoing) -> None:
        """Every reply of `item` reached the chat: the album is delivered, for good.

        The session is moved on before the entry is closed; should the process die between the
        two, `_progress` finds the job done with its entry closed and moves the session on."""
        if item.entry_id is None:
            return
        if item.session_id is not None:
            await asyncio.to_thread(self._delivered_session, item.session_id)
        await asyncio.to_thread(outbox.mark_delivered, self.db, item.entry_id)

    def _delivered_session(self, session_id: int) -> None:
        row = sessions.get_session(self.db, session_id)
        if row is not None and row.state in ORDER_ACTIVE:
            sessions.save_session(self.db, row, state=DELIVERED)

    async def reply_sent(self, item: Outgoing, count: int) -> None:
        """The first `count` replies of `item` reached the chat (see `outbox.note_sent`)."""
        if item.entry_id is not None:
            await asyncio.to_thread(outbox.note_sent, self.db, item.entry_id, item.already_sent + count)

    async def unsent(self, item: Outgoing, *, permanent: str | None = None) -> None:
        """Posting failed half-way.

        `permanent` (the adapter's reading of the platform's answer: the user blocked the bot,
        the chat is gone) closes the entry with that reason. Otherwise the album is posted
        again after a backoff that doubles with each attempt (a chat API outage is not
        answered with a burst of retries), and given up after `Settings.outbox_max_attempts`.
        """
        if item.entry_id is None:
            return
        if permanent is not None:
            log.warning("album of outbox entry %s refused for good: %s", item.entry_id, permanent)
            await asyncio.to_thread(outbox.give_up, self.db, item.entry_id, permanent)
            return
        again = await asyncio.to_thread(
            outbox.retry_later,
            self.db,
            item.entry_id,
            "posting failed",
            max_attempts=self.services.settings.outbox_max_attempts,
        )
        log.warning(
            "album of outbox entry %s not delivered; %s", item.entry_id, "retried" if again else "gave up"
        )

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
            with use_locale(user_locale(user)):
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
            if await asyncio.to_thread(outbox.is_closed, self.db, status.job_id):
                # Delivered (or given up) but the session was not moved on: a crash between.
                await asyncio.to_thread(sessions.save_session, self.db, row, state=DELIVERED)
            return []  # the outbox brings the album
        await asyncio.to_thread(sessions.save_session, self.db, row, state=CHOOSING_STYLE)
        if status.state == JobState.FAILED:
            text = tr(msg.JOB_FAILED).format(
                error=engine_text(status.error) if status.error else tr(msg.SOMETHING_WENT_WRONG)
            )
        else:
            text = tr(msg.JOB_CANCELLED)
        replies: list[Reply] = []
        if row.progress_message_id is not None:
            replies.append(EditProgress(row.progress_message_id, text))
        replies.append(Text(text, choose_style_button(make)))
        return replies

    def _studio_minutes(self, job: Job) -> int | None:
        """After an instant album from a worker that can train: the studio offer, in minutes
        measured on earlier studio albums (the configured guess before there is one)."""
        settings = self.services.settings
        if is_studio(job) or job.team_id is not None or settings.generation_backend != "diffusers":
            return None
        estimates = jobs.stage_estimates(self.db)
        if "train" not in estimates:
            return settings.studio_minutes
        return max(1, round(sum(estimates.values()) / 60))

    def _album(self, entry: OutboxEntry) -> Outgoing | None:
        assert entry.id is not None
        owner = owner_of(self.db, entry)
        if owner is None:
            outbox.mark_delivered(self.db, entry.id)
            return None
        with use_locale(user_locale(owner[1])):
            return self._album_of(entry, *owner)

    def _album_of(self, entry: OutboxEntry, job: Job, user: User) -> Outgoing:
        """The album's replies, in the owner's language (`_album` sets it)."""
        assert entry.id is not None
        row = sessions.get_session(self.db, job.session_id) if job.session_id is not None else None
        store = self.services.store
        images = [store.get_bytes(key) for key in entry.payload.get("images", [])]
        sheet_key = entry.payload.get("contact_sheet")
        sheet = store.get_bytes(sheet_key) if sheet_key and len(images) > 1 else None
        replies = album_replies(
            images,
            shown_style(getattr(self.services.engine, "styles", None), job.style),
            sheet,
            self._make(user, row),
            job.id,
            retouch=job.backend == "preview",
            studio_minutes=self._studio_minutes(job),
        )
        for hook in self.album_hooks:
            replies = hook(job, user, len(images), replies)
        if row is not None and row.progress_message_id is not None:
            done = tr(msg.GENERATING).format(
                stage=tr(msg.STAGES["album"]), bar=msg.progress_bar(1.0), percent=100, eta=""
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

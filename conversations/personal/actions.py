"""What each button does, one small method per action, each saving the next state.

Called by `Conversation` with a verified callback and the session it names (ownership is
already checked). An action that does not fit the session's state answers "not now".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from sqlmodel import col, select

from conversations.i18n.formats import number
from conversations.i18n.translate import tr, tr_n
from conversations.personal.orders import make_preview, new_seed, progress_text
from conversations.personal.selfies import signatures, usable_keys
from conversations.shared import messages as msg
from conversations.shared import sessions
from conversations.shared.advice import engine_text
from conversations.shared.callbacks import Action, Callback, CallbackSigner
from conversations.shared.delivery import job_results, originals
from conversations.shared.events import ChatRef
from conversations.shared.keyboards import (
    STYLES_PER_PAGE,
    ButtonMaker,
    cancel_order_button,
    choose_style_button,
    confirm_buttons,
    parse_album_arg,
    preview_buttons,
    style_from_arg,
    style_picker,
)
from conversations.shared.language import shown_style
from conversations.shared.platform import PlatformLimits
from conversations.shared.replies import Image, Notice, ProgressMessage, Reply, Text
from conversations.shared.states import (
    CHOOSING_STYLE,
    COLLECTING,
    CONFIRMING,
    DELIVERED,
    ORDER_ACTIVE,
    PREVIEWING,
    QUEUED,
)
from engine.errors import EngineError
from engine.styles import StyleTemplate
from storage.database import Database
from storage.erasure import delete_user_data
from storage.jobs import ACTIVE_STATES
from storage.models import Job, SelfieSession, User
from storage.orders import OrderRefusedError, OrderSpec
from storage.studio import STUDIO_KIND

if TYPE_CHECKING:
    from conversations.shared.services import Services

log = logging.getLogger(__name__)

PICKING = frozenset({COLLECTING, CHOOSING_STYLE, PREVIEWING, CONFIRMING, DELIVERED})
"""States from which the style picker may be opened (collecting only once the set is ready)."""


class ChatRules(Protocol):
    """What the chat's community decides (`conversations.servers.policy.ServerPolicy`)."""

    async def offered_styles(self, chat: ChatRef, styles: Sequence[StyleTemplate]) -> list[StyleTemplate]: ...

    async def order_refusal(self, chat: ChatRef) -> str | None: ...


class ActionHandler:
    def __init__(
        self,
        services: Services,
        signer: CallbackSigner,
        rules: ChatRules,
        platforms: Mapping[str, PlatformLimits],
    ) -> None:
        self.services = services
        self.db = services.db
        self.signer = signer
        self.rules = rules
        self.platforms = platforms
        """What each platform can do (the picker's page size), filled by the adapters."""

    def _make(self, chat: ChatRef, row: SelfieSession) -> ButtonMaker:
        assert row.id is not None
        return ButtonMaker(self.signer, chat.platform, chat.user_id, row.id)

    async def run(self, chat: ChatRef, user: User, row: SelfieSession, cb: Callback) -> AsyncIterator[Reply]:
        assert user.id is not None
        current = await asyncio.to_thread(sessions.current_session, self.db, user.id)
        if cb.action == Action.FULL_RESOLUTION:
            async for reply in self._originals(user, row, cb.arg):
                yield reply
            return
        if current is None or current.id != row.id:
            yield Notice(tr(msg.STALE_BUTTON))
            yield Text(tr(msg.STALE_BUTTON))
            return
        ready = row.state != COLLECTING or bool(row.data.get("ready"))
        make = self._make(chat, row)
        if cb.action in {
            Action.CHOOSE_STYLES,
            Action.STYLE_PAGE,
            Action.BACK_TO_STYLES,
            Action.ANOTHER_STYLE,
        }:
            if row.state not in PICKING or not ready:
                yield Notice(tr(msg.NOT_NOW))
                return
            await asyncio.to_thread(sessions.save_session, self.db, row, state=CHOOSING_STYLE)
            page = int(cb.arg) if cb.action == Action.STYLE_PAGE and cb.arg.isdigit() else 0
            styles = await self.rules.offered_styles(chat, self.services.engine.styles.list())
            limits = self.platforms.get(chat.platform)
            per_page = limits.styles_per_picker if limits is not None else STYLES_PER_PAGE
            text, buttons = style_picker(make, styles, page, per_page)
            yield Notice("")
            yield Text(text, buttons)
        elif cb.action == Action.PICK_STYLE and row.state in PICKING and ready:
            style = style_from_arg(cb.arg, self.services.engine.styles.names()) or cb.arg
            async for reply in self._preview(make, row, style):
                yield reply
        elif cb.action == Action.PREVIEW_OK and row.state == PREVIEWING:
            await asyncio.to_thread(sessions.save_session, self.db, row, state=CONFIRMING)
            assert row.id is not None
            keys = await self._usable_keys(row)
            settings = self.services.settings
            yield Notice("")
            yield Text(
                tr_n(msg.CONFIRM_SUMMARY, settings.candidates_per_order).format(
                    style=shown_style(self.services.engine.styles, row.style or ""),
                    photos=len(keys),
                    count=settings.candidates_per_order,
                    keep=settings.album_size,
                ),
                confirm_buttons(make),
            )
        elif cb.action == Action.CONFIRM and row.state == CONFIRMING:
            refusal = await self.rules.order_refusal(chat)
            if refusal is not None:
                yield Notice(refusal)
                return
            async for reply in self._order(chat, user, row, make, seed=new_seed(), extra=self._kind(row)):
                yield reply
        elif cb.action == Action.STUDIO and row.state == DELIVERED and row.style:
            # From now on this session's orders are studio ones: "More like" and "Another
            # style" reuse the LoRA this order trains.
            refusal = await self.rules.order_refusal(chat)
            if refusal is not None:
                yield Notice(refusal)
                return
            await asyncio.to_thread(sessions.save_session, self.db, row, data={"studio": True})
            yield Text(tr(msg.STUDIO_PLACED))
            async for reply in self._order(chat, user, row, make, seed=new_seed(), extra=self._kind(row)):
                yield reply
        elif cb.action == Action.MORE_LIKE and row.state == DELIVERED and parse_album_arg(cb.arg):
            async for reply in self._more_like(chat, user, row, make, cb.arg):
                yield reply
        elif cb.action == Action.CANCEL_ORDER and row.state in ORDER_ACTIVE:
            await self._cancel_job(row)
            await asyncio.to_thread(sessions.save_session, self.db, row, state=CHOOSING_STYLE)
            yield Notice(tr(msg.JOB_CANCELLED))
            yield Text(tr(msg.JOB_CANCELLED), choose_style_button(make))
        else:
            yield Notice(tr(msg.NOT_NOW))

    async def _usable_keys(self, row: SelfieSession) -> tuple[str, ...]:
        assert row.id is not None
        photos = await asyncio.to_thread(sessions.session_photos, self.db, row.id)
        verdict = self.services.engine.assessor.assess_set(signatures(photos))
        return usable_keys(photos, verdict)

    async def _preview(self, make: ButtonMaker, row: SelfieSession, style: str) -> AsyncIterator[Reply]:
        styles = self.services.engine.styles
        if style not in styles:
            yield Notice(tr(msg.NOT_NOW))
            return
        template = styles.get(style)
        await asyncio.to_thread(sessions.save_session, self.db, row, state=PREVIEWING, style=template.name)
        yield Notice("")
        yield Text(tr(msg.MAKING_PREVIEW).format(style=tr(template.label)))
        assert row.id is not None
        photos = await asyncio.to_thread(sessions.session_photos, self.db, row.id)
        usable = [p for p in photos if p.ok]
        try:
            async with self.services.engine_gate.exclusive():
                image = await asyncio.to_thread(
                    make_preview, self.services.engine, self.services.store, usable, template.name
                )
        except EngineError as exc:
            await asyncio.to_thread(sessions.save_session, self.db, row, state=CHOOSING_STYLE)
            yield Text(
                tr(msg.PREVIEW_FAILED).format(reason=engine_text(exc.user_message)), choose_style_button(make)
            )
            return
        retouch = self.services.settings.generation_backend == "preview"
        caption = tr(msg.PREVIEW_CAPTION_RETOUCH) if retouch else tr(msg.PREVIEW_CAPTION)
        yield Image(image, caption.format(label=tr(template.label)), preview_buttons(make))

    async def _order(
        self,
        chat: ChatRef,
        user: User,
        row: SelfieSession,
        make: ButtonMaker,
        *,
        seed: int,
        extra: dict[str, object],
    ) -> AsyncIterator[Reply]:
        assert user.id is not None
        assert row.id is not None
        assert row.style is not None
        settings = self.services.settings
        spec = OrderSpec(
            user_id=user.id,
            platform=chat.platform,
            chat_id=chat.chat_id,
            style=row.style,
            photo_keys=await self._usable_keys(row),
            backend=settings.generation_backend,
            count=settings.candidates_per_order,
            keep=min(settings.album_size, settings.candidates_per_order),
            seed=seed,
            session_id=row.id,
            team_id=row.team_id,
            extra=extra,
        )
        try:
            job = await self.services.jobs.submit(spec)
        except OrderRefusedError as exc:
            yield Notice("")
            yield Text(tr(msg.ORDER_REFUSED).format(reason=engine_text(exc.user_message)))
            return
        status = await self.services.jobs.status(job.id)
        text = progress_text(status)
        await asyncio.to_thread(
            sessions.save_session, self.db, row, state=QUEUED, data={"job_id": job.id, "progress_text": text}
        )
        yield Notice("")
        yield ProgressMessage(text, cancel_order_button(make))

    def _album_job(self, user: User, row: SelfieSession, arg: str) -> tuple[int, str | None]:
        """The (rank, job) an album button means: the job it names if that job is this user's,
        else the session's latest (buttons made before jobs were named)."""
        rank, named = parse_album_arg(arg) or (0, None)
        if named is not None:
            with self.db.session() as session:
                job = session.get(Job, named)
            return rank, named if job is not None and job.user_id == user.id else None
        return rank, row.data.get("job_id")

    async def _more_like(
        self, chat: ChatRef, user: User, row: SelfieSession, make: ButtonMaker, arg: str
    ) -> AsyncIterator[Reply]:
        rank, job_id = await asyncio.to_thread(self._album_job, user, row, arg)
        results = await asyncio.to_thread(job_results, self.db, job_id) if job_id else []
        chosen = next((r for r in results if r.rank == rank), None)
        if chosen is None:
            yield Notice(tr(msg.NOT_NOW))
            return
        seed = int(chosen.params.get("seed", new_seed()))
        yield Text(tr(msg.MORE_LIKE_PLACED).format(rank=rank))
        extra: dict[str, object] = {
            "more_like": {"job_id": job_id, "rank": rank, "params": chosen.params},
            **self._kind(row),
        }
        async for reply in self._order(chat, user, row, make, seed=seed, extra=extra):
            yield reply

    @staticmethod
    def _kind(row: SelfieSession) -> dict[str, object]:
        """Order extras for the session's kind: studio once the user asked for a studio album."""
        return {"kind": STUDIO_KIND} if row.data.get("studio") else {}

    async def _originals(self, user: User, row: SelfieSession, arg: str) -> AsyncIterator[Reply]:
        _rank, job_id = await asyncio.to_thread(self._album_job, user, row, arg)
        if row.state != DELIVERED or not job_id:
            yield Notice(tr(msg.NOT_NOW))
            return
        yield Notice("")
        for reply in await asyncio.to_thread(originals, self.db, self.services.store, job_id):
            yield reply

    async def _cancel_job(self, row: SelfieSession) -> bool:
        job_id = row.data.get("job_id")
        if row.state not in ORDER_ACTIVE or not job_id:
            return False
        await self.services.jobs.cancel(job_id)
        return True

    async def end_session(self, row: SelfieSession | None) -> bool:
        """Stop the session's order if it has one and delete the session with its photos."""
        if row is None:
            return False
        had_order = await self._cancel_job(row)
        await asyncio.to_thread(sessions.delete_session, self.db, self.services.store, row)
        return had_order

    async def delete(self, user: User, *, confirmed: bool) -> AsyncIterator[Reply]:
        """Erase everything of `user` (after stopping their orders), or keep it."""
        assert user.id is not None
        yield Notice("")
        if not confirmed:
            yield Text(tr(msg.DELETE_KEPT))
            return
        files = await self._erase(user)
        links = self.services.links
        if links is not None:  # the web account their /web link made is theirs too
            linked = links.linked_account(user.platform, user.platform_user_id)
            web = await asyncio.to_thread(sessions.find_user, self.db, *linked) if linked else None
            if web is not None and web.id is not None and web.id != user.id:
                files += await self._erase(web)
            await links.forget(user.platform, user.platform_user_id)  # and their web sessions
        yield Text(tr_n(msg.DELETED, files).format(files=number(files)))

    async def _erase(self, user: User) -> int:
        """Stop `user`'s orders and delete all their data; the number of files deleted."""
        assert user.id is not None
        active, every = await asyncio.to_thread(_job_ids, self.db, user.id)
        for job_id in active:
            await self.services.jobs.cancel(job_id)
        files = await asyncio.to_thread(delete_user_data, self.db, self.services.store, user.id)
        await self.services.jobs.forget(every)  # and their records in Redis
        log.info("deleted the data of user %s (%d files)", user.id, files)
        return files


def _job_ids(db: Database, user_id: int) -> tuple[list[str], list[str]]:
    """The user's active jobs and all their jobs (blocking: run in a thread)."""
    with db.session() as session:
        active = list(
            session.exec(select(Job.id).where(Job.user_id == user_id, col(Job.state).in_(ACTIVE_STATES)))
        )
        every = list(session.exec(select(Job.id).where(Job.user_id == user_id)))
    return active, every

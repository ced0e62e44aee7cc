"""Team orders, the members' side: joining from the card, ordering in the team's look,
picking a favourite (which goes to the organiser), cancelling, leaving with their data.

Owned by `conversations.teams.orders.TeamOrders`; messages for the organiser go through its
`send_later` (see there).
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from PIL import Image as PILImage

from conversations.i18n.formats import number
from conversations.i18n.translate import tr, tr_n, use_locale
from conversations.personal.orders import CHAT_IMAGE_SIDE, jpeg, progress_text
from conversations.personal.selfies import signatures, usable_keys
from conversations.shared import messages as msg
from conversations.shared import sessions
from conversations.shared.advice import engine_text
from conversations.shared.callbacks import Action, Callback, CallbackSigner
from conversations.shared.delivery import job_results
from conversations.shared.events import ChatRef, Command
from conversations.shared.keyboards import ButtonMaker, cancel_order_button
from conversations.shared.language import user_locale
from conversations.shared.replies import Image, Keyboard, Notice, ProgressMessage, Reply, Text
from conversations.shared.states import ACCEPTS_PHOTOS, COLLECTING, DELIVERED, ORDER_ACTIVE, QUEUED
from conversations.teams import messages as tmsg
from conversations.teams.buttons import TeamButtonMaker
from storage import teams as store_teams
from storage.erasure import delete_team_member_data
from storage.models import SelfieSession, Team, User
from storage.orders import OrderRefusedError, OrderSpec

if TYPE_CHECKING:
    from conversations.shared.services import Services

log = logging.getLogger(__name__)

START_PREFIX = "team_"

SendLater = Callable[..., None]
"""`send_later(platform, chat_id, *replies)`: post to another chat at the next courier round."""


class TeamMembers:
    def __init__(self, services: Services, signer: CallbackSigner, send_later: SendLater) -> None:
        self.services = services
        self.db = services.db
        self.signer = signer
        self.send_later = send_later

    @staticmethod
    def start_code(command: Command) -> str | None:
        """The team code of `/start team_<code>`, else None."""
        if command.name.lower() == "start" and command.args and command.args[0].startswith(START_PREFIX):
            return command.args[0].removeprefix(START_PREFIX)
        return None

    async def join(self, chat: ChatRef, user: User, code: str) -> AsyncIterator[Reply]:
        assert user.id is not None
        team = await asyncio.to_thread(store_teams.team_by_code, self.db, code)
        if team is None or team.id is None:
            yield Text(tr(tmsg.TEAM_UNKNOWN))
            return
        name = chat.display_name or user.display_name
        _member, joined = await asyncio.to_thread(store_teams.join_team, self.db, team.id, user.id, name)
        row = await asyncio.to_thread(sessions.current_session, self.db, user.id)
        if row is None or row.team_id != team.id:
            await asyncio.to_thread(sessions.start_session, self.db, user.id, chat.chat_id, team_id=team.id)
        settings = self.services.settings
        label = tr(str(team.params.get("style_label") or team.style))
        if joined:
            yield Text(
                tr(tmsg.WELCOME_MEMBER).format(
                    team=team.name, style=label, min=settings.min_selfies, max=settings.max_selfies
                )
            )
        else:
            yield Text(tr(tmsg.ALREADY_MEMBER).format(team=team.name))

    def ready_prompt(self, chat: ChatRef, team_id: int) -> tuple[str, Keyboard]:
        """What a team member's ready set offers: one tap to order in the team's look."""
        go = TeamButtonMaker(self.signer, chat.platform, chat.user_id, team_id)(
            tr(tmsg.MAKE_TEAM_HEADSHOTS), Action.TEAM_GO
        )
        return tr(tmsg.TEAM_READY), ((go,),)

    async def go(self, chat: ChatRef, user: User, team: Team) -> AsyncIterator[Reply]:
        """Order the member's headshots with the team's template, seed policy and album size."""
        assert user.id is not None
        assert team.id is not None
        row = await asyncio.to_thread(store_teams.team_session, self.db, team.id, user.id)
        member = await asyncio.to_thread(store_teams.membership, self.db, team.id, user.id)
        if row is None or member is None or row.state not in ACCEPTS_PHOTOS | {DELIVERED}:
            yield Notice(tr(msg.NOT_NOW))
            return
        assert row.id is not None
        assert member.id is not None
        photos = await asyncio.to_thread(sessions.session_photos, self.db, row.id)
        verdict = self.services.engine.assessor.assess_set(signatures(photos))
        if not verdict.readiness.ready:
            yield Notice(tr(msg.NOT_NOW))
            yield Text(verdict.readiness.message)
            return
        settings = self.services.settings
        keep = team.photos_per_member
        extra: dict[str, object] = {"team": {"code": team.code, "name": team.name}}
        if team.params.get("custom_style"):
            extra["custom_style"] = team.params["custom_style"]
        spec = OrderSpec(
            user_id=user.id,
            platform=chat.platform,
            chat_id=chat.chat_id,
            style=team.style,
            photo_keys=usable_keys(photos, verdict),
            backend=settings.generation_backend,
            count=max(settings.candidates_per_order, keep),
            keep=keep,
            # One seed for the whole team (the same shot plan for everyone); a redo moves it on.
            seed=int(team.params.get("seed", 0)) + int(row.data.get("redo", 0)),
            session_id=row.id,
            team_id=team.id,
            extra=extra,
        )
        try:
            job = await self.services.jobs.submit(spec)
        except OrderRefusedError as exc:
            yield Notice("")
            yield Text(tr(msg.ORDER_REFUSED).format(reason=engine_text(exc.user_message)))
            return
        await asyncio.to_thread(store_teams.set_pick, self.db, member.id, None, state="active")
        text = progress_text(await self.services.jobs.status(job.id))
        await asyncio.to_thread(
            sessions.save_session,
            self.db,
            row,
            state=QUEUED,
            style=team.style,
            data={"job_id": job.id, "progress_text": text},
        )
        make = ButtonMaker(self.signer, chat.platform, chat.user_id, row.id)
        label = tr(str(team.params.get("style_label") or team.style))
        yield Notice("")
        yield Text(tr_n(tmsg.TEAM_ORDER_SUMMARY, keep).format(keep=keep, style=label))
        yield ProgressMessage(text, cancel_order_button(make))

    async def session_button(
        self, chat: ChatRef, row: SelfieSession, callback: Callback
    ) -> AsyncIterator[Reply]:
        """A single-user button on a team member's session: only "cancel order" applies (the
        style is the team's); afterwards the member can order again in the team's look."""
        assert row.team_id is not None
        job_id = row.data.get("job_id")
        if callback.action != Action.CANCEL_ORDER or row.state not in ORDER_ACTIVE or not job_id:
            yield Notice(tr(msg.NOT_NOW))
            return
        await self.services.jobs.cancel(job_id)
        await asyncio.to_thread(sessions.save_session, self.db, row, state=COLLECTING, data={"ready": True})
        _text, buttons = self.ready_prompt(chat, row.team_id)
        yield Notice(tr(msg.JOB_CANCELLED))
        yield Text(tr(msg.JOB_CANCELLED), buttons)

    async def pick(self, user: User, team: Team, rank: int) -> AsyncIterator[Reply]:
        """The member's favourite goes to the organiser, privately, with a redo button."""
        assert user.id is not None
        assert team.id is not None
        row = await asyncio.to_thread(store_teams.team_session, self.db, team.id, user.id)
        member = await asyncio.to_thread(store_teams.membership, self.db, team.id, user.id)
        job_id = row.data.get("job_id") if row is not None else None
        results = await asyncio.to_thread(job_results, self.db, job_id) if job_id else []
        chosen = next((r for r in results if r.rank == rank), None)
        if member is None or member.id is None or chosen is None:
            yield Notice(tr(msg.NOT_NOW))
            return
        await asyncio.to_thread(store_teams.set_pick, self.db, member.id, chosen.id, state="picked")
        organiser = await asyncio.to_thread(sessions.get_user, self.db, team.organiser_id)
        if organiser is not None:
            data = await asyncio.to_thread(self.services.store.get_bytes, chosen.store_key)
            image = await asyncio.to_thread(_chat_jpeg, data)
            make = TeamButtonMaker(self.signer, team.platform, organiser.platform_user_id, team.id)
            with use_locale(user_locale(organiser)):  # it goes to the organiser
                ask = tr(tmsg.ASK_REDO).format(member=member.display_name)
                identity = number(chosen.identity, "0.00")
                caption = tr(tmsg.ORGANISER_PICK).format(
                    member=member.display_name, rank=rank, identity=identity
                )
            redo = make(ask, Action.TEAM_REDO, str(member.id))
            self.send_later(
                team.platform,
                str(team.params.get("organiser_chat", "")),
                Image(image, caption, ((redo,),), filename=f"pick_{member.id}.jpg"),
            )
        yield Notice("")
        yield Text(tr(tmsg.PICKED).format(rank=rank))

    async def leave(self, user: User) -> AsyncIterator[Reply]:
        """The member leaves the (newest) team they are in; their team data is deleted."""
        assert user.id is not None
        row = await asyncio.to_thread(sessions.current_session, self.db, user.id)
        team = (
            await asyncio.to_thread(store_teams.get_team, self.db, row.team_id)
            if row and row.team_id
            else None
        )
        if team is None:
            teams = await asyncio.to_thread(store_teams.teams_of_user, self.db, user.id)
            team = teams[0] if teams else None
        if team is None or team.id is None:
            yield Text(tr(tmsg.NOT_A_MEMBER))
            return
        for job_id in await asyncio.to_thread(store_teams.active_team_jobs, self.db, team.id, user.id):
            await self.services.jobs.cancel(job_id)
        files = await asyncio.to_thread(
            delete_team_member_data, self.db, self.services.store, team.id, user.id
        )
        yield Notice("")
        yield Text(tr_n(tmsg.LEFT, files).format(team=team.name, files=number(files)))


def _chat_jpeg(data: bytes) -> bytes:
    return jpeg(PILImage.open(io.BytesIO(data)), max_side=CHAT_IMAGE_SIDE)

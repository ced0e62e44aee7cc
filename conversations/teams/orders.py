"""Team orders: the organiser's commands and the buttons in the shared chat.

`TeamOrders` is owned by `Conversation`, which hands it `/team ...` and every team button
(data "t1.…", see `conversations.teams.buttons`); the members' side (join with
`/start team_<code>`, order, pick, leave) is `conversations.teams.members.TeamMembers`, at
`TeamOrders.members`. Messages for another chat than the one being answered (an export asked
for in the group, a member's pick for the organiser, a redo request) wait in `pending` for
the courier round (`conversations.teams.courier`), which also keeps the order card up to date.
Selfies never go to the shared chat: the card shows names and states only.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

from conversations.i18n.translate import tr, tr_n, use_locale
from conversations.personal.orders import new_seed
from conversations.shared import messages as msg
from conversations.shared import sessions
from conversations.shared.callbacks import Action, CallbackError, CallbackSigner
from conversations.shared.delivery import Outgoing
from conversations.shared.events import ChatRef, Command
from conversations.shared.language import locale_of, user_locale
from conversations.shared.replies import (
    Document,
    EditProgress,
    Keyboard,
    Notice,
    ProgressMessage,
    Reply,
    Text,
)
from conversations.teams import messages as tmsg
from conversations.teams.buttons import TeamButtonMaker, verify_team_data
from conversations.teams.card import card_buttons, card_text
from conversations.teams.export import build_export
from conversations.teams.members import TeamMembers
from conversations.teams.template import TeamRequestError, parse_team_request, team_style
from storage import teams as store_teams
from storage.erasure import delete_team
from storage.models import Team, User, utcnow

if TYPE_CHECKING:
    from conversations.shared.platform import PlatformLimits
    from conversations.shared.services import Services

log = logging.getLogger(__name__)


class TeamOrders:
    def __init__(
        self,
        services: Services,
        signer: CallbackSigner,
        platforms: Mapping[str, PlatformLimits] | None = None,
    ) -> None:
        self.services = services
        self.db = services.db
        self.signer = signer
        self.platforms = platforms if platforms is not None else {}
        """What each platform can do (the conversation's, filled as adapters connect)."""
        self.pending: list[tuple[str, Outgoing]] = []
        """(platform, message) for chats other than the one being answered."""
        self.members = TeamMembers(services, signer, self._send_later)
        """The members' side: join, order, pick, leave."""

    # -- helpers -----------------------------------------------------------------------

    def _send_later(self, platform: str, chat_id: str, *replies: Reply) -> None:
        if chat_id:
            self.pending.append((platform, Outgoing(chat_id, tuple(replies))))

    def card(self, team: Team) -> tuple[str, Keyboard]:
        """The card's text and buttons as of now, in the organiser's language (blocking: run in
        a thread)."""
        assert team.id is not None
        with self.db.session() as session:
            organiser = session.get(User, team.organiser_id)
        progress = store_teams.member_progress(self.db, team.id)
        limits = self.platforms.get(team.platform)
        with use_locale(user_locale(organiser)):
            label = tr(str(team.params.get("style_label") or team.style))
            text = card_text(
                team,
                organiser.display_name if organiser else "",
                progress,
                label,
                organiser_must_start=limits is not None and limits.private_chat_first,
            )
            return text, card_buttons(self.signer, team)

    def may_manage(self, chat: ChatRef, user: User, team: Team) -> bool:
        """The organiser, or an admin of the team's chat."""
        return user.id == team.organiser_id or (chat.admin and chat.chat_id == team.chat_id)

    async def _managed_team(self, chat: ChatRef, user: User) -> Team | None:
        assert user.id is not None
        if chat.shared:
            return await asyncio.to_thread(
                store_teams.open_team_in_chat, self.db, chat.platform, chat.chat_id
            )
        organised = await asyncio.to_thread(store_teams.teams_organised_by, self.db, user.id)
        return organised[0] if organised else None

    # -- commands ----------------------------------------------------------------------

    async def command(self, chat: ChatRef, user: User, command: Command) -> AsyncIterator[Reply]:
        """`/team new|status|export|cancel|leave|help`."""
        sub = command.args[0].lower() if command.args else "help"
        if sub == "new":
            async for reply in self.create(chat, user, command.args[1:]):
                yield reply
        elif sub == "leave":
            async for reply in self.members.leave(user):
                yield reply
        elif sub in {"status", "export", "cancel"}:
            team = await self._managed_team(chat, user)
            if team is None:
                yield Text(tr(tmsg.NO_TEAM_HERE))
            elif sub == "status":
                text, _ = await asyncio.to_thread(self.card, team)
                yield Text(text)
            elif not self.may_manage(chat, user, team):
                yield Text(tr(tmsg.ONLY_ORGANISER))
            elif sub == "export":
                async for reply in self.export(chat, team):
                    yield reply
            else:
                async for reply in self.cancel(team):
                    yield reply
        elif sub == "help":
            yield Text(
                tr(tmsg.TEAM_HELP).format(styles=", ".join(self.services.engine.styles.names("headshot")))
            )
        else:
            yield Text(tr(tmsg.UNKNOWN_TEAM_COMMAND))

    async def create(self, chat: ChatRef, user: User, args: tuple[str, ...]) -> AsyncIterator[Reply]:
        assert user.id is not None
        if not chat.shared:
            yield Text(tr(tmsg.TEAM_IN_GROUP_ONLY))
            return
        existing = await asyncio.to_thread(
            store_teams.open_team_in_chat, self.db, chat.platform, chat.chat_id
        )
        if existing is not None:
            yield Text(tr(tmsg.TEAM_ALREADY_OPEN).format(name=existing.name))
            return
        library = self.services.engine.styles
        code = store_teams.new_code()
        try:
            request = parse_team_request(args, utcnow())
            template, spec = team_style(library, request, code)
        except TeamRequestError as exc:
            yield Text(tr(tmsg.TEAM_BAD_REQUEST).format(reason=exc))
            return
        params: dict[str, object] = {
            "seed": new_seed(),
            "organiser_chat": chat.private_chat_id,
            "style_label": template.label,
            "reminded": [],
        }
        if spec is not None:
            params["custom_style"] = spec
        team = await asyncio.to_thread(
            store_teams.create_team,
            self.db,
            name=request.name,
            platform=chat.platform,
            chat_id=chat.chat_id,
            organiser_id=user.id,
            style=template.name,
            photos_per_member=request.photos,
            deadline=request.deadline,
            params=params,
            code=code,
        )
        log.info("team order %s (%s) created in %s:%s", team.id, template.name, chat.platform, chat.chat_id)
        text, buttons = await asyncio.to_thread(self.card, team)
        await asyncio.to_thread(store_teams.save_team, self.db, team, params={"card_text": text})
        links = self.services.links
        dashboard = links.team(team.id, user.id) if links is not None and team.id is not None else None
        if dashboard is not None:  # the organiser's, so never in the group
            self._send_later(
                chat.platform,
                chat.private_chat_id,
                Text(tr(msg.WEB_TEAM_LINK).format(team=team.name, url=dashboard)),
            )
        yield ProgressMessage(text, buttons)

    async def card_sent(self, chat: ChatRef, message_id: str) -> bool:
        """The adapter posted the card (a `ProgressMessage` in the team's chat): remember it."""
        team = await asyncio.to_thread(store_teams.open_team_in_chat, self.db, chat.platform, chat.chat_id)
        if team is None or team.card_message_id is not None:
            return False
        await asyncio.to_thread(store_teams.save_team, self.db, team, card_message_id=message_id)
        return True

    # -- the organiser ---------------------------------------------------------------------

    async def export(self, chat: ChatRef, team: Team) -> AsyncIterator[Reply]:
        bundle = await asyncio.to_thread(build_export, self.db, self.services.store, team)
        if not bundle.files:
            yield Notice("")
            yield Text(tr(tmsg.EXPORT_EMPTY).format(team=team.name))
            return
        replies: tuple[Reply, ...] = (
            Document(
                bundle.zip_bytes,
                bundle.zip_name,
                tr_n(tmsg.EXPORT_CAPTION, bundle.files).format(team=team.name, files=bundle.files),
            ),
            Document(bundle.csv_bytes, bundle.csv_name, tr(tmsg.EXPORT_CSV_CAPTION).format(team=team.name)),
        )
        if chat.shared:
            self._send_later(chat.platform, chat.private_chat_id, *replies)
            yield Notice(tr(tmsg.EXPORT_SENT_PRIVATELY))
            return
        yield Notice("")
        for reply in replies:
            yield reply

    async def redo(self, team: Team, member_id: int) -> AsyncIterator[Reply]:
        """Ask a member for a new try: their pick is cleared and they get a button to reorder."""
        member = await asyncio.to_thread(store_teams.get_member, self.db, member_id)
        if member is None or member.id is None or member.team_id != team.id or team.id is None:
            yield Notice(tr(msg.NOT_NOW))
            return
        await asyncio.to_thread(store_teams.set_pick, self.db, member.id, None, state="redo")
        row = await asyncio.to_thread(store_teams.team_session, self.db, team.id, member.user_id)
        person = await asyncio.to_thread(sessions.get_user, self.db, member.user_id)
        if row is not None and person is not None:
            await asyncio.to_thread(
                sessions.save_session, self.db, row, data={"redo": int(row.data.get("redo", 0)) + 1}
            )
            make = TeamButtonMaker(self.signer, team.platform, person.platform_user_id, team.id)
            with use_locale(user_locale(person)):
                go = make(tr(tmsg.MAKE_TEAM_HEADSHOTS), Action.TEAM_GO)
                asked = Text(tr(tmsg.REDO_REQUEST).format(team=team.name), ((go,),))
            self._send_later(team.platform, row.chat_id, asked)
        yield Notice("")
        yield Text(tr(tmsg.REDO_ASKED).format(member=member.display_name))

    async def cancel(self, team: Team) -> AsyncIterator[Reply]:
        """Stop every member's order and delete everyone's team data, then the team."""
        assert team.id is not None
        for job_id in await asyncio.to_thread(store_teams.active_team_jobs, self.db, team.id):
            await self.services.jobs.cancel(job_id)
        progress = await asyncio.to_thread(store_teams.member_progress, self.db, team.id)
        for item in progress:
            if item.session is not None:
                with use_locale(await asyncio.to_thread(locale_of, self.db, item.member.user_id)):
                    told = Text(tr(tmsg.TEAM_CANCELLED_MEMBER).format(team=team.name))
                self._send_later(team.platform, item.session.chat_id, told)
        if team.card_message_id is not None:
            with use_locale(await asyncio.to_thread(locale_of, self.db, team.organiser_id)):
                done = tr(tmsg.CARD_CANCELLED).format(name=team.name)
            self._send_later(team.platform, team.chat_id, EditProgress(team.card_message_id, done))
        files = await asyncio.to_thread(delete_team, self.db, self.services.store, team.id)
        log.info("team order %s cancelled; %d files deleted", team.id, files)
        yield Notice("")
        yield Text(tr(tmsg.CANCELLED_TEAM).format(team=team.name))

    async def end_organised(self, user: User) -> int:
        """/delete of an organiser: every open team order they run ends as `/team cancel` would
        end it (members and the card told, everyone's team data deleted). Returns how many."""
        assert user.id is not None
        teams = await asyncio.to_thread(store_teams.teams_organised_by, self.db, user.id)
        for team in teams:
            async for _reply in self.cancel(team):
                pass  # the replies are for the organiser, who is deleting everything anyway
        return len(teams)

    # -- buttons -----------------------------------------------------------------------

    async def button(self, chat: ChatRef, user: User, data: str) -> AsyncIterator[Reply]:
        """A team button (`t1.…`): verified, then routed; managing needs organiser or admin."""
        try:
            callback, _card = verify_team_data(self.signer, chat.platform, chat.user_id, data)
        except CallbackError:
            log.warning("refused team callback from %s:%s", chat.platform, chat.user_id)
            yield Notice(tr(msg.NOT_YOUR_BUTTON))
            return
        team = await asyncio.to_thread(store_teams.get_team, self.db, callback.session_id)
        if team is None or team.state != store_teams.OPEN:
            yield Notice(tr(tmsg.TEAM_UNKNOWN))
            return
        action = callback.action
        if action in {Action.TEAM_EXPORT, Action.TEAM_CANCEL, Action.TEAM_REDO} and not self.may_manage(
            chat, user, team
        ):
            yield Notice(tr(tmsg.ONLY_ORGANISER))
            return
        if action == Action.TEAM_JOIN and hmac.compare_digest(callback.arg.encode(), team.code.encode()):
            replies = self.members.join(chat, user, team.code)
        elif action == Action.TEAM_GO:
            replies = self.members.go(chat, user, team)
        elif action == Action.TEAM_PICK and callback.arg.isdigit():
            replies = self.members.pick(user, team, int(callback.arg))
        elif action == Action.TEAM_LEAVE:
            replies = self.members.leave(user)
        elif action == Action.TEAM_EXPORT:
            replies = self.export(chat, team)
        elif action == Action.TEAM_CANCEL:
            replies = self.cancel(team)
        elif action == Action.TEAM_REDO and callback.arg.isdigit():
            replies = self.redo(team, int(callback.arg))
        else:
            yield Notice(tr(msg.NOT_NOW))
            return
        async for reply in replies:
            yield reply

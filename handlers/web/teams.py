"""The team dashboard: the organiser's view of a team order, at `/t/<token>`.

Every member's state (the same words as the order card in the chat), their chosen headshot,
who was reminded, a button that reminds everyone who still has to act, one that asks a member
with an album for a redo (as the card's button does), and the whole team's
ZIP (the `/team export` bundle, served over HTTP: no chat size limit). The link is signed for
the team and its organiser and checked against the database on each request: it dies with
the team.
"""

from __future__ import annotations

import asyncio
import time
from html import escape
from typing import Final

from aiohttp import web

from conversations.dialogue import Conversation
from conversations.i18n.translate import tr, tr_n, use_locale
from conversations.shared.delivery import Outgoing
from conversations.shared.language import locale_of
from conversations.shared.replies import Text
from conversations.teams import messages as tmsg
from conversations.teams.card import TO_ACT, deadline_text, member_status
from conversations.teams.export import build_export, chosen_result
from handlers.web.links import WebLinks
from handlers.web.pages import TITLE, page
from handlers.web.security import CSRF_FIELD
from storage import teams as store_teams
from storage.models import Team, User
from storage.teams import MemberProgress

OPEN: Final = "open"
HAS_ALBUM: Final = frozenset({"done", "picked"})
"""Statuses whose member the organiser may ask for a redo."""
REMIND: Final = "⏰"
REMIND_GAP_S: Final = 4 * 3600
"""The dashboard reminds one member at most this often (pressing again spams nobody)."""


class TeamDashboard:
    def __init__(self, conversation: Conversation, links: WebLinks) -> None:
        self.conversation = conversation
        self.db = conversation.db
        self.links = links

    def wire(self, app: web.Application) -> None:
        app.router.add_get("/t/{token}", self.page)
        app.router.add_get("/t/{token}/team.zip", self.zip)
        app.router.add_get("/t/{token}/m/{member_id:[0-9]+}.jpg", self.image)
        app.router.add_post("/t/{token}/remind", self.remind)
        app.router.add_post("/t/{token}/redo/{member_id:[0-9]+}", self.redo)

    def _team(self, request: web.Request) -> Team:
        grant = self.links.team_grant(request.match_info["token"])
        team = store_teams.get_team(self.db, grant.team_id) if grant is not None else None
        if grant is None or team is None or team.organiser_id != grant.organiser_id or team.state != OPEN:
            raise web.HTTPNotFound
        return team

    def _csrf(self, request: web.Request) -> str:
        return self.links.signer.csrf("team|" + request.match_info["token"])

    async def page(self, request: web.Request) -> web.StreamResponse:
        team = await asyncio.to_thread(self._team, request)
        body = await asyncio.to_thread(self._body, team, request.match_info["token"], self._csrf(request))
        return web.Response(text=page(TITLE, body), content_type="text/html")

    def _body(self, team: Team, token: str, csrf: str) -> str:
        assert team.id is not None
        base = f"/t/{token}"
        members = store_teams.member_progress(self.db, team.id)
        with self.db.session() as session:
            organiser = session.get(User, team.organiser_id)
        reminded = set(team.params.get("reminded", []))
        label = tr(str(team.params.get("style_label") or team.style))
        deadline = tr(tmsg.CARD_DEADLINE).format(when=deadline_text(team.deadline)) if team.deadline else ""
        statuses = [member_status(p) for p in members]
        count = {s: statuses.count(s) for s in tmsg.STATUS}
        rows = "".join(
            self._row(base, csrf, p, status, reminded) for p, status in zip(members, statuses, strict=True)
        )
        photos = team.photos_per_member
        details = tr_n(tmsg.CARD_DETAILS, photos).format(style=label, photos=photos, deadline=deadline)
        organiser_name = organiser.display_name if organiser else ""
        head = [
            f"<h1>{escape(tr(tmsg.CARD_TITLE).format(name=team.name))}</h1>",
            f"<p>{escape(details)}</p>",
            f"<p>{escape(tr(tmsg.CARD_ORGANISER).format(name=organiser_name))}</p>",
        ]
        if members:
            totals = tr(tmsg.CARD_TOTALS).format(
                done=count["picked"], count=len(members), generating=count["generating"], ready=count["ready"]
            )
            head.append(f"<p class='totals'>{escape(totals)}</p>")
        else:
            head.append(f"<p>{escape(tr(tmsg.CARD_NO_MEMBERS))}</p>")
        actions = (
            f"<p class='actions'><a class='zip' href='{base}/team.zip' download>{escape(tr(tmsg.EXPORT))}</a>"
            f"<form method='post' action='{base}/remind'>"
            f"<input type='hidden' name='{CSRF_FIELD}' value='{escape(csrf)}'>"
            f"<button type='submit'>{REMIND}</button></form></p>"
        )
        table = f"<table class='members'><tbody>{rows}</tbody></table>"
        return f"<main class='page team'>{''.join(head)}{actions}{table}</main>"

    def _row(self, base: str, csrf: str, progress: MemberProgress, status: str, reminded: set[int]) -> str:
        icon, words = tmsg.STATUS[status]
        member = progress.member
        result, _ = chosen_result(self.db, progress)
        picture = (
            f"<a href='{base}/m/{member.id}.jpg'><img src='{base}/m/{member.id}.jpg' alt=''></a>"
            if result is not None
            else ""
        )
        bell = REMIND if member.id in reminded else ""
        redo = ""
        if status in HAS_ALBUM:
            label = tr(tmsg.ASK_REDO).format(member=member.display_name)
            redo = (
                f"<form method='post' action='{base}/redo/{member.id}'>"
                f"<input type='hidden' name='{CSRF_FIELD}' value='{escape(csrf)}'>"
                f"<button type='submit'>{escape(label)}</button></form>"
            )
        return (
            f"<tr data-status='{status}'><td class='name'>{escape(member.display_name)}</td>"
            f"<td class='status'>{icon} {escape(tr(words))}</td><td class='pick'>{picture}</td>"
            f"<td class='reminded'>{bell}</td><td class='redo'>{redo}</td></tr>"
        )

    async def image(self, request: web.Request) -> web.StreamResponse:
        team = await asyncio.to_thread(self._team, request)
        member_id = int(request.match_info["member_id"])
        data = await asyncio.to_thread(self._member_image, team, member_id)
        if data is None:
            raise web.HTTPNotFound
        return web.Response(body=data, content_type="image/jpeg")

    def _member_image(self, team: Team, member_id: int) -> bytes | None:
        assert team.id is not None
        for progress in store_teams.member_progress(self.db, team.id):
            if progress.member.id == member_id:
                result, _ = chosen_result(self.db, progress)
                return self.conversation.services.store.get_bytes(result.store_key) if result else None
        return None

    async def zip(self, request: web.Request) -> web.StreamResponse:
        team = await asyncio.to_thread(self._team, request)
        bundle = await asyncio.to_thread(build_export, self.db, self.conversation.services.store, team)
        return web.Response(
            body=bundle.zip_bytes,
            content_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{bundle.zip_name}"'},
        )

    async def _checked_post(self, request: web.Request) -> Team:
        """The team of a POST that carries the page's CSRF token, or 404 / 403."""
        team = await asyncio.to_thread(self._team, request)
        form = await request.post()
        if not self.links.signer.check_csrf(
            "team|" + request.match_info["token"], str(form.get(CSRF_FIELD, ""))
        ):
            raise web.HTTPForbidden(text="missing or wrong CSRF token")
        return team

    async def redo(self, request: web.Request) -> web.StreamResponse:
        """Ask one member with an album for a new try, as the card's redo button does (their
        answer is the conversation's; what it says to the organiser is this page, redrawn)."""
        team = await self._checked_post(request)
        member_id = int(request.match_info["member_id"])
        if not await asyncio.to_thread(self._has_album, team, member_id):
            raise web.HTTPNotFound
        async for _reply in self.conversation.teams.redo(team, member_id):
            pass
        raise web.HTTPSeeOther(f"/t/{request.match_info['token']}")

    async def remind(self, request: web.Request) -> web.StreamResponse:
        team = await self._checked_post(request)
        reminders = await asyncio.to_thread(self._reminders, team)
        self.conversation.teams.pending.extend((team.platform, item) for item in reminders)
        raise web.HTTPSeeOther(f"/t/{request.match_info['token']}")

    def _has_album(self, team: Team, member_id: int) -> bool:
        assert team.id is not None
        return any(
            p.member.id == member_id and member_status(p) in HAS_ALBUM
            for p in store_teams.member_progress(self.db, team.id)
        )

    def _reminders(self, team: Team) -> list[Outgoing]:
        """Reminders for every member who still has to act and was not reminded from here in
        the last `REMIND_GAP_S`, now (the courier posts them in their chats); they are marked
        reminded (blocking: run in a thread)."""
        assert team.id is not None
        reminded = list(team.params.get("reminded", []))
        now = time.time()
        last = {str(k): float(v) for k, v in dict(team.params.get("reminded_at", {})).items()}
        outgoing = []
        for progress in store_teams.member_progress(self.db, team.id):
            status = member_status(progress)
            if status not in TO_ACT or progress.session is None:
                continue
            if now - last.get(str(progress.member.id), 0.0) < REMIND_GAP_S:
                continue
            last[str(progress.member.id)] = now
            with use_locale(locale_of(self.db, progress.member.user_id)):
                when, todo = deadline_text(team.deadline), tr(tmsg.REMINDER_TODO[status])
                text = tr(tmsg.REMINDER).format(team=team.name, when=when, todo=todo)
            outgoing.append(Outgoing(progress.session.chat_id, (Text(text),)))
            if progress.member.id not in reminded:
                reminded.append(progress.member.id)
        store_teams.save_team(self.db, team, params={"reminded": reminded, "reminded_at": last})
        return outgoing

"""What team orders post without being asked: card edits, reminders, and the messages
`TeamOrders` left for other chats. Called by the `Courier` every round.

The card is recomputed from the database each round and edited only when its text changed.
Reminders are the periodic task: once the deadline is nearer than
`Settings.team_reminder_before_s`, each member who still has to act gets one reminder
(remembered in `Team.params["reminded"]`, so a restart does not repeat it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from conversations.i18n.translate import tr, tr_n, use_locale
from conversations.shared.callbacks import Action
from conversations.shared.delivery import Outgoing
from conversations.shared.language import locale_of
from conversations.shared.replies import EditProgress, Reply, Text
from conversations.teams import messages as tmsg
from conversations.teams.buttons import TeamButtonMaker
from conversations.teams.card import TO_ACT, deadline_text, member_status
from conversations.teams.orders import TeamOrders
from storage import teams as store_teams
from storage.models import Job, Team, User, utcnow
from storage.teams import MemberProgress

PICKS_PER_ROW = 4


def due_reminders(
    team: Team, members: Sequence[MemberProgress], now: datetime, before: timedelta
) -> list[tuple[MemberProgress, str]]:
    """Members to remind now, with their status: those who still have to act, once each,
    from `before` ahead of the deadline until it passes."""
    if team.deadline is None or not team.deadline - before <= now < team.deadline:
        return []
    reminded = set(team.params.get("reminded", []))
    due = []
    for progress in members:
        status = member_status(progress)
        if status in TO_ACT and progress.member.id not in reminded and progress.session is not None:
            due.append((progress, status))
    return due


class TeamCourier:
    def __init__(self, teams: TeamOrders) -> None:
        self.teams = teams
        self.db = teams.db

    async def collect(self, platform: str) -> list[Outgoing]:
        """Pending messages, card edits and due reminders for `platform`."""
        mine = [item for p, item in self.teams.pending if p == platform]
        self.teams.pending[:] = [(p, item) for p, item in self.teams.pending if p != platform]
        for team in await asyncio.to_thread(store_teams.open_teams, self.db, platform):
            mine.extend(await asyncio.to_thread(self._team_round, team))
        return mine

    def _team_round(self, team: Team) -> list[Outgoing]:
        assert team.id is not None
        outgoing: list[Outgoing] = []
        if team.card_message_id is not None:
            text, buttons = self.teams.card(team)
            if text != team.params.get("card_text"):
                store_teams.save_team(self.db, team, params={"card_text": text})
                outgoing.append(Outgoing(team.chat_id, (EditProgress(team.card_message_id, text, buttons),)))
        before = timedelta(seconds=self.teams.services.settings.team_reminder_before_s)
        members = store_teams.member_progress(self.db, team.id)
        due = due_reminders(team, members, utcnow(), before)
        if due:
            reminded = [*team.params.get("reminded", []), *(p.member.id for p, _ in due)]
            store_teams.save_team(self.db, team, params={"reminded": reminded})
            for progress, status in due:
                assert progress.session is not None
                with use_locale(locale_of(self.db, progress.member.user_id)):
                    when = deadline_text(team.deadline)
                    todo = tr(tmsg.REMINDER_TODO[status])
                    text = tr(tmsg.REMINDER).format(team=team.name, when=when, todo=todo)
                outgoing.append(Outgoing(progress.session.chat_id, (Text(text),)))
        return outgoing

    def album(self, job: Job, user: User, count: int, replies: list[Reply]) -> list[Reply]:
        """A team member's album: the team headline and "Pick #N" buttons instead of the
        single-user ones (blocking: the courier runs it in a thread)."""
        if job.team_id is None:
            return replies
        team = store_teams.get_team(self.db, job.team_id)
        if team is None or team.id is None or not replies:
            return replies
        make = TeamButtonMaker(self.teams.signer, user.platform, user.platform_user_id, team.id)
        ranks = list(range(1, count + 1))
        picks = [make(tr(tmsg.PICK).format(rank=r), Action.TEAM_PICK, str(r)) for r in ranks]
        rows = tuple(tuple(picks[i : i + PICKS_PER_ROW]) for i in range(0, len(picks), PICKS_PER_ROW))
        leave = make(tr(tmsg.LEAVE), Action.TEAM_LEAVE)
        words = tmsg.TEAM_RETOUCH_READY if job.backend == "preview" else tmsg.TEAM_ALBUM_READY
        headline = Text(tr_n(words, count).format(team=team.name, count=count))
        body = [r for r in replies if not (isinstance(r, Text) and r.buttons)]
        if body and isinstance(body[0], Text):
            body[0] = headline
        return [*body, Text(tr(tmsg.PICK_PROMPT), (*rows, (leave,)))]

"""The order card in the shared chat: who joined, who is ready, generating, done, who still
has to act. Names and states only, never a photo.

Each member's status is derived from their team session and latest team job
(`storage.teams.member_progress`), so the card is recomputed, not bookkept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from conversations.i18n.formats import moment
from conversations.i18n.translate import tr, tr_n
from conversations.shared.callbacks import Action, CallbackSigner
from conversations.shared.replies import Keyboard
from conversations.teams import messages as tmsg
from conversations.teams.buttons import ANYONE, TeamButtonMaker
from storage.models import JobState, Team
from storage.teams import MemberProgress

TO_ACT = frozenset({"joined", "collecting", "ready", "done", "redo", "failed"})
"""Statuses that wait for the member (generating waits for us, picked is finished)."""


def member_status(progress: MemberProgress) -> str:
    """One of `team_messages.STATUS`'s keys."""
    member, job, row = progress.member, progress.job, progress.session
    if member.pick_result_id is not None:
        return "picked"
    if job is not None and job.state in {JobState.QUEUED, JobState.RUNNING}:
        return "generating"
    if member.state == "redo":
        return "redo"
    if job is not None and job.state == JobState.DONE:
        return "done" if row is not None and row.state == "delivered" else "generating"
    if job is not None and job.state == JobState.FAILED:
        return "failed"
    if row is not None and row.data.get("ready"):
        return "ready"
    if row is not None and progress.good_photos > 0:
        return "collecting"
    return "joined"


def deadline_text(deadline: datetime | None) -> str:
    """The deadline as the current locale writes a date and time ('' without one)."""
    return moment(deadline) if deadline is not None else ""


def card_text(
    team: Team,
    organiser: str,
    members: Sequence[MemberProgress],
    style_label: str,
    *,
    organiser_must_start: bool = False,
) -> str:
    """The card's text; `organiser_must_start` where the platform lets the bot write to the
    organiser only after she wrote to it (`PlatformLimits.private_chat_first`)."""
    deadline = tr(tmsg.CARD_DEADLINE).format(when=deadline_text(team.deadline)) if team.deadline else ""
    lines = [
        tr(tmsg.CARD_TITLE).format(name=team.name),
        tr_n(tmsg.CARD_DETAILS, team.photos_per_member).format(
            style=style_label, photos=team.photos_per_member, deadline=deadline
        ),
        tr(tmsg.CARD_ORGANISER).format(name=organiser),
        "",
    ]
    if not members:
        lines.append(tr(tmsg.CARD_NO_MEMBERS))
    else:
        statuses = [(p.member.display_name, member_status(p)) for p in members]
        lines.append(tr_n(tmsg.CARD_MEMBERS, len(members)).format(count=len(members)))
        for name, status in statuses:
            icon, words = tmsg.STATUS[status]
            lines.append(tr(tmsg.CARD_MEMBER).format(icon=icon, name=name, status=tr(words)))
        count = {s: sum(1 for _, st in statuses if st == s) for s in tmsg.STATUS}
        lines += [
            "",
            tr(tmsg.CARD_TOTALS).format(
                done=count["picked"], count=len(members), generating=count["generating"], ready=count["ready"]
            ),
        ]
        waiting = [name for name, status in statuses if status in TO_ACT]
        lines.append(
            tr(tmsg.CARD_TO_ACT).format(names=", ".join(waiting)) if waiting else tr(tmsg.CARD_ALL_DONE)
        )
    lines += ["", tr(tmsg.CARD_JOIN)]
    if organiser_must_start:
        lines.append(tr(tmsg.CARD_ORGANISER_START))
    return "\n".join(lines)


def card_buttons(signer: CallbackSigner, team: Team) -> Keyboard:
    """Join (a deep link where the platform has them), export and cancel (checked on press).

    Join carries the team's join code: the card is signed for anyone, and a team id is no
    secret, so with a leaked key only the code (seen by those who see the card) lets one in."""
    assert team.id is not None
    make = TeamButtonMaker(signer, team.platform, ANYONE, team.id)
    join = make(tr(tmsg.JOIN), Action.TEAM_JOIN, team.code, deep_link=f"team_{team.code}")
    return (
        (join,),
        (make(tr(tmsg.EXPORT), Action.TEAM_EXPORT), make(tr(tmsg.CANCEL_TEAM), Action.TEAM_CANCEL)),
    )

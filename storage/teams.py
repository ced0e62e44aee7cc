"""Team orders' rows: the team, its members, and what the order card needs about each.

Synchronous on purpose (short transactions); the conversation calls these through
`asyncio.to_thread`. A member's progress is read from their team session and team jobs, not
kept in a second place, so the card can never disagree with what actually happened.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from storage.database import Database
from storage.jobs import ACTIVE_STATES
from storage.models import Job, Photo, Result, SelfieSession, Team, TeamMember

OPEN = "open"
CANCELLED = "cancelled"
CODE_CHARS = string.ascii_lowercase + string.digits
CODE_LENGTH = 8


def new_code() -> str:
    """A join code for deep links (`/start team_<code>`): short, unguessable, URL-safe."""
    return "".join(secrets.choice(CODE_CHARS) for _ in range(CODE_LENGTH))


def create_team(
    db: Database,
    *,
    name: str,
    platform: str,
    chat_id: str,
    organiser_id: int,
    style: str,
    photos_per_member: int,
    deadline: datetime | None,
    params: dict[str, Any],
    code: str | None = None,
) -> Team:
    with db.session() as session:
        team = Team(
            code=code or new_code(),
            name=name[:64],
            platform=platform,
            chat_id=chat_id,
            organiser_id=organiser_id,
            style=style,
            photos_per_member=photos_per_member,
            deadline=deadline,
            state=OPEN,
            params=params,
        )
        session.add(team)
        session.flush()
        return team


def get_team(db: Database, team_id: int) -> Team | None:
    with db.session() as session:
        return session.get(Team, team_id)


def team_by_code(db: Database, code: str) -> Team | None:
    with db.session() as session:
        return session.exec(select(Team).where(Team.code == code.lower(), Team.state == OPEN)).first()


def open_team_in_chat(db: Database, platform: str, chat_id: str) -> Team | None:
    """The newest open order of a shared chat (the one `/team status` and friends mean)."""
    with db.session() as session:
        return session.exec(
            select(Team)
            .where(Team.platform == platform, Team.chat_id == chat_id, Team.state == OPEN)
            .order_by(col(Team.id).desc())
            .limit(1)
        ).first()


def open_teams(db: Database, platform: str) -> list[Team]:
    with db.session() as session:
        return list(session.exec(select(Team).where(Team.platform == platform, Team.state == OPEN)))


def save_team(
    db: Database, team: Team, *, card_message_id: str | None = None, params: dict[str, Any] | None = None
) -> Team:
    """Write the card id and merge `params` into the team's (returns `team` updated)."""
    if card_message_id is not None:
        team.card_message_id = card_message_id
    if params is not None:
        team.params = {**team.params, **params}
    with db.session() as session:
        session.execute(
            update(Team)
            .where(col(Team.id) == team.id)
            .values(card_message_id=team.card_message_id, params=team.params)
        )
    return team


def join_team(db: Database, team_id: int, user_id: int, display_name: str) -> tuple[TeamMember, bool]:
    """The user's membership, created if new; the flag says whether they just joined."""
    existing = membership(db, team_id, user_id)
    if existing is not None:
        return existing, False
    try:
        with db.session() as session:
            member = TeamMember(team_id=team_id, user_id=user_id, display_name=display_name[:128] or "Member")
            session.add(member)
            session.flush()
            return member, True
    except IntegrityError:  # joined twice at once: the other request won
        found = membership(db, team_id, user_id)
        assert found is not None
        return found, False


def membership(db: Database, team_id: int, user_id: int) -> TeamMember | None:
    with db.session() as session:
        return session.exec(
            select(TeamMember).where(TeamMember.team_id == team_id, TeamMember.user_id == user_id)
        ).first()


def team_members(db: Database, team_id: int) -> list[TeamMember]:
    with db.session() as session:
        return list(
            session.exec(select(TeamMember).where(TeamMember.team_id == team_id).order_by(col(TeamMember.id)))
        )


def set_pick(db: Database, member_id: int, result_id: int | None, *, state: str) -> None:
    with db.session() as session:
        session.execute(
            update(TeamMember)
            .where(col(TeamMember.id) == member_id)
            .values(pick_result_id=result_id, state=state)
        )


def get_result(db: Database, result_id: int) -> Result | None:
    with db.session() as session:
        return session.get(Result, result_id)


@dataclass(frozen=True)
class MemberProgress:
    """One member as the card and the export see them: their team session (if any), their
    latest team job (if any) and how many of their selfies are usable."""

    member: TeamMember
    session: SelfieSession | None
    job: Job | None
    good_photos: int


def member_progress(db: Database, team_id: int) -> list[MemberProgress]:
    """Every member of the team in join order, with their latest team session and job."""
    progress = []
    with db.session() as session:
        members = session.exec(
            select(TeamMember).where(TeamMember.team_id == team_id).order_by(col(TeamMember.id))
        ).all()
        for member in members:
            row = session.exec(
                select(SelfieSession)
                .where(SelfieSession.team_id == team_id, SelfieSession.user_id == member.user_id)
                .order_by(col(SelfieSession.id).desc())
                .limit(1)
            ).first()
            job = session.exec(
                select(Job)
                .where(Job.team_id == team_id, Job.user_id == member.user_id)
                .order_by(col(Job.created_at).desc())
                .limit(1)
            ).first()
            good = 0
            if row is not None:
                good = session.exec(
                    select(func.count()).select_from(Photo).where(Photo.session_id == row.id, col(Photo.ok))
                ).one()
            progress.append(MemberProgress(member, row, job, int(good)))
    return progress


def team_session(db: Database, team_id: int, user_id: int) -> SelfieSession | None:
    """The member's latest session for this team (where their selfies and album live)."""
    with db.session() as session:
        return session.exec(
            select(SelfieSession)
            .where(SelfieSession.team_id == team_id, SelfieSession.user_id == user_id)
            .order_by(col(SelfieSession.id).desc())
            .limit(1)
        ).first()


def teams_of_user(db: Database, user_id: int) -> list[Team]:
    """Open teams the user is a member of, newest first."""
    with db.session() as session:
        return list(
            session.exec(
                select(Team)
                .join(TeamMember, col(TeamMember.team_id) == col(Team.id))
                .where(TeamMember.user_id == user_id, Team.state == OPEN)
                .order_by(col(Team.id).desc())
            )
        )


def teams_organised_by(db: Database, user_id: int) -> list[Team]:
    """Open teams the user organises, newest first (what `/team export` means in private)."""
    with db.session() as session:
        return list(
            session.exec(
                select(Team)
                .where(Team.organiser_id == user_id, Team.state == OPEN)
                .order_by(col(Team.id).desc())
            )
        )


def get_member(db: Database, member_id: int) -> TeamMember | None:
    with db.session() as session:
        return session.get(TeamMember, member_id)


def active_team_jobs(db: Database, team_id: int, user_id: int | None = None) -> list[str]:
    """Ids of the team's queued or running jobs (of one member when `user_id` is given)."""
    query = select(Job.id).where(Job.team_id == team_id, col(Job.state).in_(ACTIVE_STATES))
    if user_id is not None:
        query = query.where(Job.user_id == user_id)
    with db.session() as session:
        return list(session.exec(query))

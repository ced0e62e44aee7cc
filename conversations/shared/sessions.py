"""The conversation's rows: users, their current selfie session, the session's photos.

Synchronous on purpose (short transactions); the conversation calls them through
`asyncio.to_thread`. The session row is the dialogue's memory: state, chosen style, job id and
the progress message live there, so a restart loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select

from conversations.shared.events import ChatRef
from conversations.shared.states import COLLECTING
from storage.database import Database
from storage.models import Job, Photo, SelfieSession, Team, User, utcnow
from storage.photos import PhotoStore, user_prefix


def ensure_user(db: Database, chat: ChatRef) -> User:
    """The user row for this platform account, created on first contact."""
    with db.session() as session:
        user = session.exec(
            select(User).where(User.platform == chat.platform, User.platform_user_id == chat.user_id)
        ).first()
        if user is None:
            user = User(
                platform=chat.platform,
                platform_user_id=chat.user_id,
                display_name=chat.display_name[:128],
                language=(chat.locale or "en")[:8],
            )
            session.add(user)
            session.flush()
        elif chat.locale and chat.locale[:8] != user.language:
            user.language = chat.locale[:8]  # the user changed their app's language
            session.add(user)
            session.flush()
        return user


def set_locale(db: Database, user_id: int, locale: str | None) -> None:
    """Store the user's /language choice (None: follow the platform's hint again)."""
    with db.session() as session:
        session.exec(update(User).where(col(User.id) == user_id).values(locale=locale))


def find_user(db: Database, platform: str, platform_user_id: str) -> User | None:
    with db.session() as session:
        return session.exec(
            select(User).where(User.platform == platform, User.platform_user_id == platform_user_id)
        ).first()


def get_user(db: Database, user_id: int) -> User | None:
    with db.session() as session:
        return session.get(User, user_id)


def current_session(db: Database, user_id: int) -> SelfieSession | None:
    """The user's latest session (older ones only answer their own album's buttons)."""
    with db.session() as session:
        return session.exec(
            select(SelfieSession)
            .where(SelfieSession.user_id == user_id)
            .order_by(col(SelfieSession.id).desc())
            .limit(1)
        ).first()


def get_session(db: Database, session_id: int) -> SelfieSession | None:
    with db.session() as session:
        return session.get(SelfieSession, session_id)


def start_session(db: Database, user_id: int, chat_id: str, *, team_id: int | None = None) -> SelfieSession:
    with db.session() as session:
        row = SelfieSession(user_id=user_id, chat_id=chat_id, state=COLLECTING, team_id=team_id, data={})
        session.add(row)
        session.flush()
        return row


def save_session(
    db: Database,
    row: SelfieSession,
    *,
    state: str | None = None,
    style: str | None = None,
    data: dict[str, Any] | None = None,
    progress_message_id: str | None = None,
) -> SelfieSession:
    """Write the changed fields of `row` (and return it updated).

    Only the fields given are written: the bot and its courier loop save the same session
    concurrently from their own copies, and a stale copy must not undo the other's change
    (e.g. reset the progress message id the bot just stored).
    """
    values: dict[str, Any] = {}
    if state is not None:
        row.state = values["state"] = state
    if style is not None:
        row.style = values["style"] = style
    if data is not None:
        row.data = values["data"] = {**row.data, **data}
    if progress_message_id is not None:
        row.progress_message_id = values["progress_message_id"] = progress_message_id
    row.updated_at = values["updated_at"] = utcnow()
    with db.session() as session:
        session.execute(update(SelfieSession).where(col(SelfieSession.id) == row.id).values(**values))
    return row


def session_photos(db: Database, session_id: int) -> list[Photo]:
    """The session's photos in upload order."""
    with db.session() as session:
        return list(session.exec(select(Photo).where(Photo.session_id == session_id).order_by(col(Photo.id))))


def add_photos(db: Database, photos: Sequence[Photo]) -> list[Photo]:
    with db.session() as session:
        for photo in photos:
            session.add(photo)
        session.flush()
        return list(photos)


def save_photos(db: Database, photos: Sequence[Photo]) -> None:
    with db.session() as session:
        for photo in photos:
            session.merge(photo)


def session_prefix(user_id: int, session_id: int) -> str:
    return f"{user_prefix(user_id)}/sessions/{session_id}"


def delete_session(db: Database, store: PhotoStore, row: SelfieSession) -> int:
    """Remove a session, its photo rows and its files; its jobs stay (unlinked) for quotas."""
    assert row.id is not None
    with db.session() as session:
        session.execute(update(Job).where(col(Job.session_id) == row.id).values(session_id=None))
        session.execute(delete(Photo).where(col(Photo.session_id) == row.id))
        session.execute(delete(SelfieSession).where(col(SelfieSession.id) == row.id))
    return store.delete_prefix(session_prefix(row.user_id, row.id))


def sessions_in_states(
    db: Database, platform: str, states: Sequence[str]
) -> list[tuple[SelfieSession, User]]:
    """Sessions of `platform` users in one of `states` (for progress updates)."""
    with db.session() as session:
        rows = session.exec(
            select(SelfieSession, User)
            .join(User, col(User.id) == col(SelfieSession.user_id))
            .where(col(SelfieSession.state).in_(states), User.platform == platform)
        )
        return [(s, u) for s, u in rows]


def move_progress_message(db: Database, platform: str, chat_id: str, old_id: str, new_id: str) -> int:
    """The progress message `old_id` was gone and posted anew as `new_id`: later edits go to the
    new one (an order's progress message, or a team's card). Returns the rows changed."""
    with db.session() as session:
        owners = select(User.id).where(User.platform == platform)
        moved = session.execute(
            update(SelfieSession)
            .where(
                col(SelfieSession.chat_id) == chat_id,
                col(SelfieSession.progress_message_id) == old_id,
                col(SelfieSession.user_id).in_(owners),
            )
            .values(progress_message_id=new_id)
        ).rowcount  # type: ignore[attr-defined]
        moved += session.execute(
            update(Team)
            .where(
                col(Team.platform) == platform,
                col(Team.chat_id) == chat_id,
                col(Team.card_message_id) == old_id,
            )
            .values(card_message_id=new_id)
        ).rowcount  # type: ignore[attr-defined]
        return int(moved)

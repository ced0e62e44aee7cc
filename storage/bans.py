"""Banning and unbanning a platform account: the `User.banned` flag, set from the CLI or chat."""

from __future__ import annotations

from sqlmodel import select

from storage.database import Database
from storage.models import User


def set_banned(db: Database, platform: str, platform_user_id: str, *, banned: bool = True) -> User:
    """Mark the account banned (or not); creates the row if the user never wrote to us, so a
    ban can come before the first message."""
    with db.session() as session:
        user = session.exec(
            select(User).where(User.platform == platform, User.platform_user_id == platform_user_id)
        ).first()
        if user is None:
            user = User(platform=platform, platform_user_id=platform_user_id)
        user.banned = banned
        session.add(user)
        session.flush()
        return user

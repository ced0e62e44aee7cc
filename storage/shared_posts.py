"""Public posts of a user's results, kept so that /delete can take them down too.

The bot posts a result in a server's share channel only when its owner asks (the "share"
button). Such a post is the user's data as much as the file behind it: erasing the user
without it would leave their face on a server after "everything is deleted".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from storage.database import Database
from storage.models import SharedPost


@dataclass(frozen=True)
class PostRef:
    """Where one public post is: the platform's channel and message ids."""

    platform: str
    channel_id: str
    message_id: str


def record_post(db: Database, user_id: int, post: PostRef) -> None:
    with db.session() as session:
        session.add(
            SharedPost(
                user_id=user_id,
                platform=post.platform,
                channel_id=post.channel_id,
                message_id=post.message_id,
            )
        )


def posts_of(db: Database, user_id: int) -> list[PostRef]:
    with db.session() as session:
        rows = session.exec(
            select(SharedPost).where(SharedPost.user_id == user_id).order_by(col(SharedPost.id))
        )
        return [PostRef(row.platform, row.channel_id, row.message_id) for row in rows]

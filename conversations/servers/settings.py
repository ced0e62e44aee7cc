"""What a community's admins decide for their server (or group), and the checks that follow.

Stored in `storage.models.ChatSettings` (one JSON row per platform and server), read on every
command so a change applies at once. Platform-agnostic: a Discord guild and a Telegram group
are both a "server" here, identified by the platform's id as a string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from conversations.i18n.translate import tr, tr_n
from conversations.servers import messages as server_msg
from engine.styles import StyleTemplate
from storage.database import Database
from storage.models import ChatSettings, Job, JobState, User

SERVER_KEY = "server"
"""In a private chat's settings row: the server it was opened from."""


@dataclass(frozen=True)
class ServerSettings:
    """An admin's choices. Empty `channels` means every channel; empty `styles` every style;
    `daily_quota` None means the bot's default (`Settings.daily_quota`), 0 unlimited."""

    channels: tuple[str, ...] = ()
    daily_quota: int | None = None
    styles: tuple[str, ...] = ()
    avatar_first: bool = False
    public_results: bool = False
    share_channel: str | None = None

    def allows_channel(self, channel_id: str) -> bool:
        return not self.channels or channel_id in self.channels

    def quota(self, default: int) -> int:
        return default if self.daily_quota is None else self.daily_quota

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["channels"] = list(self.channels)
        data["styles"] = list(self.styles)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerSettings:
        return cls(
            channels=tuple(str(c) for c in data.get("channels", ())),
            daily_quota=data.get("daily_quota"),
            styles=tuple(str(s) for s in data.get("styles", ())),
            avatar_first=bool(data.get("avatar_first", False)),
            public_results=bool(data.get("public_results", False)),
            share_channel=data.get("share_channel"),
        )


def load_server_settings(db: Database, platform: str, server_id: str) -> ServerSettings:
    with db.session() as session:
        row = session.exec(
            select(ChatSettings).where(ChatSettings.platform == platform, ChatSettings.chat_id == server_id)
        ).first()
        return ServerSettings.from_json(row.settings) if row is not None else ServerSettings()


def update_server_settings(db: Database, platform: str, server_id: str, **changes: Any) -> ServerSettings:
    """Apply `changes` (field=value) to the stored settings and return the result."""
    with db.session() as session:
        row = session.exec(
            select(ChatSettings).where(ChatSettings.platform == platform, ChatSettings.chat_id == server_id)
        ).first()
        current = ServerSettings.from_json(row.settings) if row is not None else ServerSettings()
        updated = replace(current, **changes)
        if row is None:
            row = ChatSettings(platform=platform, chat_id=server_id, settings=updated.to_json())
        else:
            row.settings = updated.to_json()
        session.add(row)
        return updated


def orders_today(db: Database, platform: str, platform_user_id: str, now: datetime | None = None) -> int:
    """Orders this person placed since midnight UTC (cancelled ones excluded)."""
    start = datetime.combine((now or datetime.now(UTC)).date(), time(), tzinfo=UTC)
    with db.session() as session:
        count = session.exec(
            select(func.count())
            .select_from(Job)
            .join(User, col(User.id) == col(Job.user_id))
            .where(
                User.platform == platform,
                User.platform_user_id == platform_user_id,
                col(Job.created_at) >= start,
                col(Job.state) != JobState.CANCELLED,
            )
        ).one()
        return int(count)


def quota_reached(server: ServerSettings, default_quota: int, used_today: int) -> bool:
    limit = server.quota(default_quota)
    return limit > 0 and used_today >= limit


def offered_styles(server: ServerSettings, styles: Sequence[StyleTemplate]) -> list[StyleTemplate]:
    """The styles this server offers, avatar styles first when the server asks for it."""
    chosen = [t for t in styles if not server.styles or t.name in server.styles]
    if server.avatar_first:
        chosen.sort(key=lambda t: t.kind != "avatar")  # stable: keeps the library's order within kinds
    return chosen


def link_chat(db: Database, platform: str, chat_id: str, server_id: str) -> None:
    """Remember that the private chat `chat_id` was opened from `server_id` (its settings apply)."""
    with db.session() as session:
        row = session.exec(
            select(ChatSettings).where(ChatSettings.platform == platform, ChatSettings.chat_id == chat_id)
        ).first()
        if row is None:
            row = ChatSettings(platform=platform, chat_id=chat_id, settings={})
        row.settings = {**row.settings, SERVER_KEY: server_id}
        session.add(row)


def server_of_chat(db: Database, platform: str, chat_id: str) -> str | None:
    """The server a private chat was last opened from, if any."""
    with db.session() as session:
        row = session.exec(
            select(ChatSettings).where(ChatSettings.platform == platform, ChatSettings.chat_id == chat_id)
        ).first()
        return None if row is None else row.settings.get(SERVER_KEY)


def quota_refusal(
    db: Database, platform: str, platform_user_id: str, server: ServerSettings, default_quota: int
) -> str | None:
    """The sentence refusing a new order on this server today, or None if one is allowed."""
    used = orders_today(db, platform, platform_user_id)
    if quota_reached(server, default_quota, used):
        quota = server.quota(default_quota)
        return tr_n(server_msg.QUOTA_REACHED, quota).format(quota=quota)
    return None


def describe(server: ServerSettings, default_quota: int, channel_name: Callable[[str], str]) -> str:
    quota = server.quota(default_quota)
    return tr(server_msg.SETTINGS).format(
        channels=", ".join(channel_name(c) for c in server.channels) or tr(server_msg.EVERY_CHANNEL),
        quota=quota or tr(server_msg.UNLIMITED),
        styles=", ".join(server.styles) or tr(server_msg.EVERY_STYLE),
        avatar_first=tr(server_msg.AVATAR_FIRST) if server.avatar_first else "",
        public=(
            tr(server_msg.PUBLIC_IN).format(channel=channel_name(server.share_channel))
            if server.public_results and server.share_channel
            else tr(server_msg.NOT_PUBLIC)
        ),
    )

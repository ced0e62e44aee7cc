"""The tables. One row type per thing a user or operator can name.

Embeddings and quality verdicts are stored as JSON so that the same schema runs on SQLite
(embedded default) and PostgreSQL (production) without extensions.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware UTC; sqlmodel's datetime columns refuse naive values."""
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Platform(StrEnum):
    TELEGRAM = "telegram"
    DISCORD = "discord"
    CLI = "cli"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in {JobState.DONE, JobState.FAILED, JobState.CANCELLED}


class User(SQLModel, table=True):
    """A person on one platform; the same human on Telegram and Discord is two users."""

    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(index=True, max_length=16)
    platform_user_id: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=128)
    language: str = Field(default="en", max_length=8)
    """The platform's latest hint of the user's language (kept as the platform spells it)."""
    locale: str | None = Field(default=None, max_length=16)
    """The locale the user chose with /language (None: follow the platform's hint)."""
    banned: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class SelfieSession(SQLModel, table=True):
    """One conversation's state: which step it is on and what it collected so far.

    Persisted on every transition, so a restart of the bot mid-conversation loses nothing.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    chat_id: str = Field(max_length=64)
    state: str = Field(default="collecting", max_length=32, index=True)
    style: str | None = Field(default=None, max_length=64)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    progress_message_id: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Photo(SQLModel, table=True):
    """A selfie as stored (EXIF stripped) with the assessor's verdict and identity embedding."""

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="selfiesession.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    store_key: str = Field(max_length=255)
    sha256: str = Field(max_length=64, index=True)
    width: int = 0
    height: int = 0
    ok: bool = False
    issues: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    quality: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    embedding: list[float] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    similarity: float | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Job(SQLModel, table=True):
    """A generation order from queued to done, with everything an operator asks about."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: int = Field(foreign_key="user.id", index=True)
    session_id: int | None = Field(default=None, foreign_key="selfiesession.id")
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    style: str = Field(max_length=64)
    backend: str = Field(default="preview", max_length=16)
    count: int = 40
    keep: int = 12
    seed: int = 0
    state: str = Field(default=JobState.QUEUED, max_length=16, index=True)
    attempts: int = 0
    worker: str | None = Field(default=None, max_length=128)
    stage: str | None = Field(default=None, max_length=32)
    progress: float = 0.0
    error: str | None = Field(default=None, max_length=1000)
    stage_seconds: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    album_key: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class Result(SQLModel, table=True):
    """One delivered candidate with every score, so "more like #3" can find its parameters."""

    __table_args__ = (UniqueConstraint("job_id", "rank"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="job.id", index=True, max_length=32)
    rank: int
    store_key: str = Field(max_length=255)
    width: int = 0
    height: int = 0
    identity: float = 0.0
    quality: float = 0.0
    style_fit: float = 0.0
    score: float = 0.0
    cluster: int = 0
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class OutboxEntry(SQLModel, table=True):
    """An album waiting to be posted; the unique job id makes double delivery impossible."""

    __table_args__ = (UniqueConstraint("job_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="job.id", max_length=32)
    kind: str = Field(default="album", max_length=16)
    platform: str = Field(max_length=16, index=True)
    chat_id: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    claimed_until: datetime | None = Field(default=None)
    delivered_at: datetime | None = Field(default=None, index=True)


class Team(SQLModel, table=True):
    """A team order placed in a shared channel."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    name: str = Field(max_length=64)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    organiser_id: int = Field(foreign_key="user.id")
    style: str = Field(max_length=64)
    photos_per_member: int = 4
    deadline: datetime | None = None
    state: str = Field(default="open", max_length=16)
    card_message_id: str | None = Field(default=None, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """Team-level order settings (seed, template, organiser's private chat, reminders sent)."""
    created_at: datetime = Field(default_factory=utcnow)


class TeamMember(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    display_name: str = Field(default="", max_length=128)
    state: str = Field(default="joined", max_length=16)
    pick_result_id: int | None = Field(default=None, foreign_key="result.id")
    joined_at: datetime = Field(default_factory=utcnow)


class SharedPost(SQLModel, table=True):
    """A result the bot posted publicly at its owner's request (a Discord server's share
    channel): recorded so /delete can take the post down with everything else."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    platform: str = Field(max_length=16)
    channel_id: str = Field(max_length=64)
    message_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class ChatSettings(SQLModel, table=True):
    """Per-server / per-group settings an admin controls (channels, quota, styles, public posts)."""

    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

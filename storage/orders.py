"""Placing an order: the per-user limits (one active order, a daily quota) and the queued row.

The checks and the insert share one transaction that first locks the user's row, so two quick
taps on "Generate" cannot both slip under a limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, update
from sqlmodel import Session, col, select

from storage.database import Database
from storage.jobs import ACTIVE_STATES
from storage.models import Job, JobState, User, utcnow
from storage.photos import user_prefix
from storage.studio import STUDIO_KIND


class OrderRefusedError(Exception):
    """A new order breaks a per-user limit; `user_message` says when the user can order again.

    Storage's own error (storage knows nothing of the engine); `code` is stable like the
    engine's error codes."""

    code = "order_refused"

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class ActiveOrderLimitError(OrderRefusedError):
    code = "active_order_limit"


class DailyQuotaError(OrderRefusedError):
    code = "daily_quota"


@dataclass(frozen=True)
class OrderSpec:
    """What a user ordered. `photo_keys` are the selfies, as photo-store keys of that user."""

    user_id: int
    platform: str
    chat_id: str
    style: str
    photo_keys: tuple[str, ...]
    backend: str = "preview"
    count: int = 40
    keep: int = 12
    seed: int = 0
    session_id: int | None = None
    team_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderLimits:
    """Per-user limits; a quota of 0 means unlimited. Studio orders (a LoRA trained on the
    selfies) count against `studio_daily_quota` only, instant orders against `daily_quota`."""

    active_orders: int = 1
    daily_quota: int = 0
    studio_daily_quota: int = 0


def _start_of_day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def create_job(db: Database, spec: OrderSpec, limits: OrderLimits, *, now: datetime | None = None) -> Job:
    """Insert a queued job after checking the user's limits, atomically per user.

    Raises `ActiveOrderLimitError` / `DailyQuotaError` (messages for the user) and
    `ValueError` for a photo key outside the user's prefix (a programming error).
    """
    if not spec.photo_keys:
        msg = "an order needs at least one selfie"
        raise ValueError(msg)
    prefix = user_prefix(spec.user_id) + "/"
    outside = [key for key in spec.photo_keys if not key.startswith(prefix)]
    if outside:
        msg = f"photo keys outside {prefix}: {outside[:3]}"
        raise ValueError(msg)
    now = now or utcnow()
    with db.session() as session:
        # A no-op write on the user's row serialises concurrent orders of one user (row lock on
        # PostgreSQL, the write lock on SQLite), so two quick taps cannot both pass the checks.
        locked = session.execute(
            update(User).where(col(User.id) == spec.user_id).values(banned=User.banned)
        ).rowcount  # type: ignore[attr-defined]
        if not locked:
            msg = f"user {spec.user_id} does not exist"
            raise ValueError(msg)
        _check_limits(session, spec.user_id, limits, now, studio=spec.extra.get("kind") == STUDIO_KIND)
        job = Job(
            user_id=spec.user_id,
            session_id=spec.session_id,
            team_id=spec.team_id,
            platform=spec.platform,
            chat_id=spec.chat_id,
            style=spec.style,
            backend=spec.backend,
            count=spec.count,
            keep=spec.keep,
            seed=spec.seed,
            state=JobState.QUEUED,
            params={**spec.extra, "photo_keys": list(spec.photo_keys)},
            created_at=now,
        )
        session.add(job)
    return job


def _check_limits(
    session: Session, user_id: int, limits: OrderLimits, now: datetime, *, studio: bool = False
) -> None:
    is_active = col(Job.state).in_(ACTIVE_STATES)
    kind = func.coalesce(col(Job.params)["kind"].as_string(), "")
    same_kind = kind == STUDIO_KIND if studio else kind != STUDIO_KIND
    # Today's orders of this kind that used (or will use) the GPU: not failed, not cancelled
    # before starting.
    used_today = and_(
        same_kind,
        col(Job.created_at) >= _start_of_day(now),
        or_(
            col(Job.state).in_((*ACTIVE_STATES, JobState.DONE.value)),
            and_(col(Job.state) == JobState.CANCELLED.value, col(Job.started_at).is_not(None)),
        ),
    )
    active, today = session.exec(
        select(
            func.coalesce(func.sum(case((is_active, 1), else_=0)), 0),
            func.coalesce(func.sum(case((used_today, 1), else_=0)), 0),
        ).where(Job.user_id == user_id)
    ).one()
    if active >= limits.active_orders:
        msg = (
            "You already have an order in progress. Wait for its album or cancel it first."
            if limits.active_orders == 1
            else f"You already have {active} orders in progress; wait for one to finish."
        )
        raise ActiveOrderLimitError(msg)
    quota = limits.studio_daily_quota if studio else limits.daily_quota
    if quota > 0 and today >= quota:
        plural = ("studio album" if studio else "order") + ("" if quota == 1 else "s")
        msg = f"You have used today's {quota} {plural}. You can order again after midnight UTC."
        raise DailyQuotaError(msg)

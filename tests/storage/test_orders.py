"""Placing orders: per-user limits (one active order, daily quota) checked atomically."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from storage import jobs
from storage.database import Database
from storage.models import Job, JobState, User
from storage.orders import ActiveOrderLimitError, DailyQuotaError, OrderLimits, OrderSpec, create_job


def make_user(db: Database, name: str = "u1") -> int:
    with db.session() as session:
        user = User(platform="telegram", platform_user_id=name)
        session.add(user)
        session.flush()
        assert user.id is not None
        return user.id


def spec_for(user_id: int) -> OrderSpec:
    return OrderSpec(
        user_id=user_id,
        platform="telegram",
        chat_id="42",
        style="corporate",
        photo_keys=(f"users/{user_id}/selfies/a.jpg",),
    )


def test_order_is_queued_with_its_selfies(any_db: Database) -> None:
    user_id = make_user(any_db)
    job = create_job(any_db, spec_for(user_id), OrderLimits())
    stored = jobs.get_job(any_db, job.id)
    assert stored.state == JobState.QUEUED
    assert stored.params["photo_keys"] == [f"users/{user_id}/selfies/a.jpg"]


def test_second_active_order_is_refused_until_the_first_finishes(any_db: Database) -> None:
    user_id = make_user(any_db)
    first = create_job(any_db, spec_for(user_id), OrderLimits(active_orders=1))
    with pytest.raises(ActiveOrderLimitError) as refused:
        create_job(any_db, spec_for(user_id), OrderLimits(active_orders=1))
    assert "in progress" in refused.value.user_message
    other_user = make_user(any_db, "u2")
    create_job(any_db, spec_for(other_user), OrderLimits(active_orders=1))
    jobs.request_cancel(any_db, first.id)
    create_job(any_db, spec_for(user_id), OrderLimits(active_orders=1))


def test_daily_quota_counts_today_and_ignores_orders_that_never_ran(any_db: Database) -> None:
    user_id = make_user(any_db)
    limits = OrderLimits(active_orders=5, daily_quota=2)
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    create_job(any_db, spec_for(user_id), limits, now=now - timedelta(days=1))  # yesterday
    cancelled = create_job(any_db, spec_for(user_id), limits, now=now)
    jobs.request_cancel(any_db, cancelled.id)  # cancelled while queued: not counted
    create_job(any_db, spec_for(user_id), limits, now=now)
    create_job(any_db, spec_for(user_id), limits, now=now)
    with pytest.raises(DailyQuotaError) as refused:
        create_job(any_db, spec_for(user_id), limits, now=now)
    assert "today's 2 orders" in refused.value.user_message
    create_job(any_db, spec_for(user_id), limits, now=now + timedelta(days=1))


def test_studio_orders_have_their_own_daily_quota(any_db: Database) -> None:
    user_id = make_user(any_db)
    limits = OrderLimits(active_orders=5, daily_quota=1, studio_daily_quota=1)
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    studio = dataclasses.replace(spec_for(user_id), extra={"kind": "studio"})
    create_job(any_db, spec_for(user_id), limits, now=now)  # the instant album
    create_job(any_db, studio, limits, now=now)  # the studio album does not use up the instant quota
    with pytest.raises(DailyQuotaError) as refused:
        create_job(any_db, studio, limits, now=now)
    assert "today's 1 studio album." in refused.value.user_message
    with pytest.raises(DailyQuotaError):
        create_job(any_db, spec_for(user_id), limits, now=now)


def test_selfies_of_another_user_are_refused(sqlite_db: Database) -> None:
    user_id = make_user(sqlite_db)
    spec = OrderSpec(
        user_id=user_id, platform="telegram", chat_id="1", style="s", photo_keys=("users/999/selfies/x.jpg",)
    )
    with pytest.raises(ValueError, match="outside"):
        create_job(sqlite_db, spec, OrderLimits())


@pytest.mark.postgres
def test_concurrent_orders_of_one_user_cannot_both_pass(any_db: Database) -> None:
    user_id = make_user(any_db)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def order() -> None:
        barrier.wait()
        try:
            create_job(any_db, spec_for(user_id), OrderLimits(active_orders=1))
            outcomes.append("ok")
        except ActiveOrderLimitError:
            outcomes.append("refused")

    threads = [threading.Thread(target=order) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    with any_db.session() as session:
        assert len(list(session.exec(select(Job)))) == 1

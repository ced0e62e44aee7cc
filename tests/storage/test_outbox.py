"""The outbox: one entry per album, claimed with a lease, delivered once."""

from __future__ import annotations

import time

from storage import jobs, outbox
from storage.database import Database
from storage.orders import OrderLimits, create_job
from tests.storage.test_jobs import album_for
from tests.storage.test_orders import make_user, spec_for


def finished_job(db: Database) -> str:
    user_id = make_user(db)
    job = create_job(db, spec_for(user_id), OrderLimits())
    jobs.start_attempt(db, job.id, worker="w", attempt=1)
    album = album_for(job.id, user_id)
    jobs.complete(db, job.id, album, payload={"images": ["k"]}, stage_seconds={"generate": 1.0})
    return job.id


def test_a_claimed_entry_is_not_claimed_again_until_its_lease_runs_out(any_db: Database) -> None:
    job_id = finished_job(any_db)
    first = outbox.claim(any_db, "telegram", lease_s=0.5)
    assert [entry.job_id for entry in first] == [job_id]
    assert first[0].payload == {"images": ["k"]}
    assert outbox.claim(any_db, "telegram") == []
    assert outbox.claim(any_db, "discord") == []
    time.sleep(0.6)  # the bot that claimed it died: the lease runs out
    again = outbox.claim(any_db, "telegram")
    assert [entry.id for entry in again] == [first[0].id]
    assert again[0].attempts == 2


def test_a_delivered_entry_is_never_claimed_again(any_db: Database) -> None:
    finished_job(any_db)
    (entry,) = outbox.claim(any_db, "telegram", lease_s=0.1)
    assert entry.id is not None
    outbox.mark_delivered(any_db, entry.id)
    time.sleep(0.2)
    assert outbox.claim(any_db, "telegram") == []


def test_a_released_entry_is_claimable_at_once(sqlite_db: Database) -> None:
    finished_job(sqlite_db)
    (entry,) = outbox.claim(sqlite_db, "telegram", lease_s=600)
    assert entry.id is not None
    outbox.release(sqlite_db, entry.id)
    assert [e.id for e in outbox.claim(sqlite_db, "telegram")] == [entry.id]


def test_an_entry_still_being_posted_is_renewed_not_claimed_again(sqlite_db: Database) -> None:
    finished_job(sqlite_db)
    # A lease that ran out while its chat was paused by flood control.
    (entry,) = outbox.claim(sqlite_db, "telegram", lease_s=-1)
    assert entry.id is not None
    assert outbox.claim(sqlite_db, "telegram", lease_s=600, held=[entry.id]) == []
    assert outbox.claim(sqlite_db, "telegram") == [], "renewed: nobody else takes it"
    (row,) = outbox.entries_for_job(sqlite_db, entry.job_id)
    assert row.attempts == 1

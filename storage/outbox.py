"""Albums waiting to be posted to a chat: written by workers, consumed by the bots.

The worker adds an entry in the same transaction that marks the job done, and the unique
`(job_id, kind)` makes a second entry for one album impossible. A bot claims entries with a
lease, posts them, then marks them delivered; if it dies in between, the lease runs out and
the entry is claimed again, so a bot restart never loses an album.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from storage.database import Database
from storage.models import Job, OutboxEntry, utcnow


def add_entry(session: Session, job: Job, *, kind: str, payload: dict[str, Any]) -> bool:
    """Queue `job`'s `kind` for delivery inside the caller's transaction; False if already queued."""
    existing = session.exec(
        select(OutboxEntry.id).where(OutboxEntry.job_id == job.id, OutboxEntry.kind == kind)
    ).first()
    if existing is not None:
        return False
    session.add(
        OutboxEntry(job_id=job.id, kind=kind, platform=job.platform, chat_id=job.chat_id, payload=payload)
    )
    return True


SENT_REPLIES = "sent_replies"
"""Payload key: how many of the album's messages already reached the chat."""
GAVE_UP = "gave_up"
"""Payload key: why delivery was given up (the chat refused for good, attempts ran out).
Such an entry is closed like a delivered one (`delivered_at` is when it was closed)."""
LAST_ERROR = "last_error"
MAX_BACKOFF_S = 3600.0


def backoff_s(attempts: int, *, base_s: float = 30.0) -> float:
    """How long a failed entry waits before its next try: 30 s, 1 min, 2 min, ... up to 1 h."""
    return min(MAX_BACKOFF_S, base_s * 2.0 ** max(0, attempts - 1))


def claim(
    db: Database, platform: str, *, limit: int = 10, lease_s: float = 120.0, held: Collection[int] = ()
) -> list[OutboxEntry]:
    """Take up to `limit` undelivered entries for `platform`, oldest first, for `lease_s` seconds.

    Each entry is taken with a compare-and-set on its lease, so two bot processes polling the
    same table never post the same album. `held` are entries this process is still posting (a
    chat paused by flood control): their leases are renewed instead, so nobody else takes them
    and their attempts are not counted again.
    """
    now = utcnow()
    if held:
        with db.session() as session:
            session.execute(
                update(OutboxEntry)
                .where(col(OutboxEntry.id).in_(held), col(OutboxEntry.delivered_at).is_(None))
                .values(claimed_until=now + timedelta(seconds=lease_s))
            )
    free = or_(col(OutboxEntry.claimed_until).is_(None), col(OutboxEntry.claimed_until) < now)
    query = select(OutboxEntry.id).where(
        OutboxEntry.platform == platform, col(OutboxEntry.delivered_at).is_(None), free
    )
    if held:
        query = query.where(col(OutboxEntry.id).not_in(held))
    with db.session() as session:
        candidates = list(session.exec(query.order_by(col(OutboxEntry.id)).limit(limit)))
    claimed: list[OutboxEntry] = []
    for entry_id in candidates:
        with db.session() as session:
            taken = session.execute(
                update(OutboxEntry)
                .where(col(OutboxEntry.id) == entry_id, col(OutboxEntry.delivered_at).is_(None), free)
                .values(claimed_until=now + timedelta(seconds=lease_s), attempts=OutboxEntry.attempts + 1)
            ).rowcount  # type: ignore[attr-defined]
            if taken:
                entry = session.get(OutboxEntry, entry_id)
                if entry is not None:
                    claimed.append(entry)
    return claimed


def mark_delivered(db: Database, entry_id: int) -> None:
    """The chat has the album; the entry will never be claimed again."""
    with db.session() as session:
        session.execute(
            update(OutboxEntry)
            .where(col(OutboxEntry.id) == entry_id, col(OutboxEntry.delivered_at).is_(None))
            .values(delivered_at=utcnow(), claimed_until=None)
        )


def note_sent(db: Database, entry_id: int, count: int) -> None:
    """The first `count` messages of the album are in the chat: a re-post after a failure or a
    restart starts after them, so nobody gets the same photos twice."""
    with db.session() as session:
        entry = session.get(OutboxEntry, entry_id)
        if entry is None or entry.delivered_at is not None:
            return
        entry.payload = {**entry.payload, SENT_REPLIES: count}
        session.add(entry)


def retry_later(db: Database, entry_id: int, reason: str, *, max_attempts: int) -> bool:
    """Posting or building the album failed: try again after a backoff that doubles with each
    attempt, or give up once `max_attempts` were made. True if it will be tried again."""
    with db.session() as session:
        entry = session.get(OutboxEntry, entry_id)
        if entry is None or entry.delivered_at is not None:
            return False
        if entry.attempts >= max_attempts:
            _close(entry, f"{entry.attempts} attempts failed; last: {reason}")
        else:
            entry.claimed_until = utcnow() + timedelta(seconds=backoff_s(entry.attempts))
            entry.payload = {**entry.payload, LAST_ERROR: reason[:500]}
        session.add(entry)
        return entry.delivered_at is None


def give_up(db: Database, entry_id: int, reason: str) -> None:
    """The chat will never take it (the user blocked the bot, the chat is gone): close the entry
    and keep why, so an operator can tell a refused album from a delivered one."""
    with db.session() as session:
        entry = session.get(OutboxEntry, entry_id)
        if entry is None or entry.delivered_at is not None:
            return
        _close(entry, reason)
        session.add(entry)


def _close(entry: OutboxEntry, reason: str) -> None:
    entry.payload = {**entry.payload, GAVE_UP: reason[:500]}
    entry.delivered_at = utcnow()
    entry.claimed_until = None


def is_closed(db: Database, job_id: str, kind: str = "album") -> bool:
    """The job's entry was delivered (or given up): nothing more will reach the chat."""
    with db.session() as session:
        closed = session.exec(
            select(OutboxEntry.id).where(
                OutboxEntry.job_id == job_id,
                OutboxEntry.kind == kind,
                col(OutboxEntry.delivered_at).is_not(None),
            )
        ).first()
    return closed is not None


def release(db: Database, entry_id: int) -> None:
    """Posting failed (chat API down): make the entry claimable again at once."""
    with db.session() as session:
        session.execute(
            update(OutboxEntry)
            .where(col(OutboxEntry.id) == entry_id, col(OutboxEntry.delivered_at).is_(None))
            .values(claimed_until=None)
        )


def entries_for_job(db: Database, job_id: str) -> list[OutboxEntry]:
    with db.session() as session:
        return list(session.exec(select(OutboxEntry).where(OutboxEntry.job_id == job_id)))

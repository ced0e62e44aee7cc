"""A member's own result, picked to show their server ("set as my server avatar idea").

The button's signature says who it was made for, but ids are not secrets: whoever holds the
signing key can sign another member's session id. So the session is looked up and must belong
to the member pressing; whether the server allows public posts, and where, is
`ServerSettings.public_results` / `share_channel`.
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations.shared import sessions
from conversations.shared.delivery import job_results
from storage.database import Database
from storage.photos import PhotoStore


@dataclass(frozen=True)
class SharedResult:
    image: bytes
    style: str
    rank: int


def shared_result(
    db: Database, store: PhotoStore, *, platform: str, user_id: str, session_id: int, rank: int
) -> SharedResult | None:
    """Result #`rank` of the session's latest order, or None if it is gone (deleted, cancelled)
    or the session is not the pressing member's (`platform`, `user_id`)."""
    row = sessions.get_session(db, session_id)
    owner = sessions.find_user(db, platform, user_id)
    job_id = row.data.get("job_id") if row is not None else None
    if row is None or owner is None or row.user_id != owner.id or not job_id:
        return None
    for result in job_results(db, str(job_id)):
        if result.rank == rank:
            return SharedResult(store.get_bytes(result.store_key), row.style or "", rank)
    return None

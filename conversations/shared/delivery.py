"""Albums from the outbox to the chat, exactly once.

The worker leaves an `OutboxEntry` when an album is done (issue 7). The bot claims entries
for its platform with a lease, renders them as replies, and marks them delivered only after
the chat accepted every message; a crash in between lets the lease run out and the album is
posted again later, never lost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import col, select

from conversations.i18n.translate import tr, tr_n
from conversations.shared import messages as msg
from conversations.shared.keyboards import ButtonMaker, album_buttons
from conversations.shared.ports import WebLinks
from conversations.shared.replies import Document, Image, MediaGroup, Reply, Text
from storage.database import Database
from storage.models import Job, OutboxEntry, Result, User
from storage.photos import PhotoStore

MAX_GROUP = 10
MIN_GROUP = 2


@dataclass(frozen=True)
class Outgoing:
    """Replies for one chat that no user event asked for (progress, a finished album).

    `entry_id` is the outbox entry to mark delivered once every reply is sent."""

    chat_id: str
    replies: tuple[Reply, ...]
    entry_id: int | None = None
    session_id: int | None = None
    already_sent: int = 0
    """Replies of this album that reached the chat on an earlier try (not in `replies`)."""


def group_sizes(count: int) -> list[int]:
    """Split `count` images into media groups of 2-10, as even as possible (a lone 1 stays 1)."""
    if count <= 0:
        return []
    groups = math.ceil(count / MAX_GROUP)
    base, extra = divmod(count, groups)
    return [base + 1 if i < extra else base for i in range(groups)]


def album_replies(
    images: Sequence[bytes],
    style: str,
    sheet: bytes | None,
    make: ButtonMaker,
    job_id: str = "",
    *,
    retouch: bool = False,
    studio_minutes: int | None = None,
) -> list[Reply]:
    """The album as messages: the headline, media groups of the results, the contact sheet, buttons.

    `retouch`: the album came from the preview backend, and the headline says so."""
    if not images:
        return [Text(tr(msg.ALBUM_EMPTY), album_buttons(make, (), job_id))]
    headline = tr_n(msg.RETOUCH_ALBUM_READY if retouch else msg.ALBUM_READY, len(images))
    replies: list[Reply] = [Text(headline.format(style=style, count=len(images)))]
    start = 0
    for size in group_sizes(len(images)):
        chunk = images[start : start + size]
        captions = tuple(f"#{start + i + 1}" for i in range(size))
        if size >= MIN_GROUP:
            replies.append(MediaGroup(tuple(chunk), captions))
        else:
            replies.append(Image(chunk[0], captions[0]))
        start += size
    if sheet is not None:
        replies.append(
            Image(
                sheet,
                tr_n(msg.CONTACT_SHEET, len(images)).format(count=len(images)),
                filename="contact_sheet.jpg",
            )
        )
    ranks = list(range(1, len(images) + 1))
    replies.append(Text(tr(msg.AFTER_ALBUM), album_buttons(make, ranks, job_id, studio_minutes)))
    return replies


def album_link_hook(links: WebLinks) -> Callable[[Job, User, int, list[Reply]], list[Reply]]:
    """A `Courier.album_hooks` entry: the album's web page (full resolution, a ZIP) as a line
    before the album's last message, where the web studio has an address for its owner."""

    def hook(job: Job, user: User, count: int, replies: list[Reply]) -> list[Reply]:
        url = links.album(user.platform, user.platform_user_id, job.id) if count else None
        if url is None or not replies:
            return replies
        return [*replies[:-1], Text(tr(msg.ALBUM_PAGE).format(url=url)), replies[-1]]

    return hook


def job_results(db: Database, job_id: str) -> list[Result]:
    with db.session() as session:
        return list(session.exec(select(Result).where(Result.job_id == job_id).order_by(col(Result.rank))))


def originals(db: Database, store: PhotoStore, job_id: str) -> list[Reply]:
    """Every result of the job as a document (full resolution, not recompressed by the chat)."""
    return [
        Document(
            store.get_bytes(r.store_key), f"headshot_{r.rank:02d}.jpg", tr(msg.ORIGINAL).format(rank=r.rank)
        )
        for r in job_results(db, job_id)
    ]


def owner_of(db: Database, entry: OutboxEntry) -> tuple[Job, User] | None:
    with db.session() as session:
        job = session.get(Job, entry.job_id)
        if job is None:
            return None
        user = session.get(User, job.user_id)
        return (job, user) if user is not None else None

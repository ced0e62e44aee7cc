"""What the conversation needs from the rest of the service, declared here, plugged in by `bot/`.

The dialogue is an inner layer: it may not import the composition root. So it names the
ports it uses (the job queue, the metrics it records, the limits and knobs it reads) as
protocols, and `bot/serve.py` hands in real ones (`bot.jobs.queue.JobQueue`,
`bot.observability.Metrics`, the one `bot.settings.Settings`). Tests hand in the same real
objects, or small fakes.

`SharedState` is what bot processes must agree on when several serve one token behind a
load balancer: rate-limit buckets, per-user locks, album assembly, selfie numbers, and who
runs the courier. In
embedded mode it lives in this process (`conversations.shared.coordination.local_state`);
with Redis configured `bot.coordination.redis_state` keeps it in Redis.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from conversations.shared.events import ChatRef
from storage.models import Job, JobState
from storage.orders import OrderSpec


class ConversationConfig(Protocol):
    """The settings the dialogue reads. `bot.settings.Settings` provides them as they are
    (structural typing: one source of defaults and validation, no copy to keep in sync)."""

    @property
    def callback_secret(self) -> str: ...
    @property
    def min_selfies(self) -> int: ...
    @property
    def max_selfies(self) -> int: ...
    @property
    def max_upload_bytes(self) -> int: ...
    @property
    def daily_quota(self) -> int:
        """Orders per user per day where a community server sets none; 0 = unlimited."""

    @property
    def candidates_per_order(self) -> int: ...
    @property
    def album_size(self) -> int: ...
    @property
    def generation_backend(self) -> str: ...
    @property
    def studio_minutes(self) -> int:
        """What the studio offer says before any studio album was timed."""

    @property
    def outbox_lease_s(self) -> int: ...
    @property
    def outbox_max_attempts(self) -> int: ...
    @property
    def team_reminder_before_s(self) -> float: ...
    @property
    def rate_user_per_minute(self) -> float: ...
    @property
    def rate_user_burst(self) -> int: ...
    @property
    def rate_chat_per_minute(self) -> float: ...
    @property
    def rate_chat_burst(self) -> int: ...
    @property
    def admin_ids(self) -> Sequence[str]:
        """Who may /ban, as "platform:user_id"."""


@dataclass(frozen=True)
class JobStatus:
    """Everything a progress message shows. `position` is 1 for the next job to start;
    `eta_s` is seconds until the album is expected (None until there is timing history)."""

    job_id: str
    state: JobState
    position: int | None
    eta_s: float | None
    stage: str | None
    progress: float
    attempts: int
    worker: str | None
    error: str | None
    album_key: str | None


class JobQueue(Protocol):
    """Orders go in, their status comes out (`bot.jobs.queue.JobQueue`: Redis or embedded)."""

    async def submit(self, spec: OrderSpec) -> Job:
        """Queue an order; raises `storage.orders.OrderRefusedError` over a user's limit."""

    async def cancel(self, job_id: str) -> JobState: ...

    async def forget(self, job_ids: list[str]) -> None:
        """Drop these jobs' traces outside the database too (after /delete)."""

    async def status(self, job_id: str) -> JobStatus:
        """Raises `storage.jobs.JobNotFoundError` for a job that is gone."""


class WebLinks(Protocol):
    """Links into the web studio (`handlers.web.links.WebLinks`); each method answers None
    where there is no address to link to (no `Settings.public_url` for a chat platform)."""

    @property
    def sign_in_minutes(self) -> int:
        """How long a `sign_in` link works."""

    def sign_in(self, platform: str, user_id: str) -> str | None:
        """A short-lived link that signs this chat user in to the web studio (/web)."""

    def album(self, platform: str, user_id: str, job_id: str) -> str | None:
        """The album page of `job_id`, for its owner; dies with the job (/delete)."""

    def team(self, team_id: int, organiser_id: int) -> str | None:
        """The organiser's team dashboard."""

    def linked_account(self, platform: str, user_id: str) -> tuple[str, str] | None:
        """The (platform, user id) of the web account this chat user's /web link signs in to;
        None for a web user (their account is their own)."""

    async def forget(self, platform: str, user_id: str) -> None:
        """After /delete: sign this user's browsers out and drop what the studio kept for them."""


class Metrics(Protocol):
    """What the chat side records (`bot.observability.Metrics`, on Prometheus)."""

    def count_verdict(self, code: str) -> None:
        """One selfie verdict issue ("ok" for a good photo)."""

    def observe_reply(self, platform: str, seconds: float) -> None:
        """Time from a chat update to the first reply the user sees."""

    def count_delivery(self, platform: str, outcome: str) -> None:
        """An album posted ("sent") or not ("failed")."""


class RateVerdict(StrEnum):
    ALLOW = "allow"
    THROTTLED = "throttled"
    """Over the limit; the user has just been told to slow down."""
    SILENT = "silent"
    """Still over the limit and already told: drop without a reply (no reply floods)."""


class RateLimits(Protocol):
    """A token bucket per user and one per chat (a group chat shares its bucket)."""

    async def take(self, chat: ChatRef, cost: float = 1.0) -> RateVerdict:
        """Take `cost` tokens from both buckets; over the limit, "throttled" once a minute
        per user and "silent" in between."""


class UserLocks(Protocol):
    """One user's updates one at a time, whichever process receives them."""

    def hold(self, platform: str, user_id: str) -> AbstractAsyncContextManager[None]: ...


class Counters(Protocol):
    """Numbers handed out once (a session's "photo N": its store key is `NN.jpg`)."""

    async def reserve(self, name: str, count: int, *, floor: int = 0) -> int:
        """The first of `count` consecutive numbers nobody got before, all above `floor`
        (the highest number already in use, for counters that expired or never existed)."""


class MediaGroups(Protocol):
    """Telegram's albums arrive as separate updates, possibly at different processes."""

    async def join(self, group_id: str, part: str, *, quiet_s: float) -> list[str] | None:
        """Add `part`. The first part's caller waits until no part arrived for `quiet_s` and
        gets every part in arrival order; the others get None at once."""


class Leases(Protocol):
    """One process at a time does a job that must not run twice at once (the courier's rounds:
    progress edits, failure notices, team reminders are read-then-send)."""

    async def take(self, name: str, ttl_s: float) -> bool:
        """Take or renew this process's lease on `name` for `ttl_s`; False while another
        process holds it (it lapses `ttl_s` after its holder stopped renewing)."""


@dataclass(frozen=True)
class SharedState:
    limits: RateLimits
    locks: UserLocks
    counters: Counters
    albums: MediaGroups
    leases: Leases

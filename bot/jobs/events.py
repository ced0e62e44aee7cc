"""Job updates leaving the worker: what a bot needs to edit its progress message.

Redis mode publishes each update as JSON on `keys.PROGRESS_CHANNEL`, so every bot process
hears every job without polling; embedded mode hands updates to in-process subscribers.
The database row carries the same figures for anyone who reads later.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import redis

from bot.jobs.keys import PROGRESS_CHANNEL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobUpdate:
    """One step of a job as a chat shows it. `progress` is 0..1 over the whole job."""

    job_id: str
    state: str
    platform: str
    chat_id: str
    stage: str | None = None
    progress: float = 0.0
    eta_s: float | None = None
    attempt: int = 0
    error: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str | bytes) -> JobUpdate:
        fields: dict[str, Any] = json.loads(data)
        return cls(**fields)


class UpdatePublisher(Protocol):
    def publish(self, update: JobUpdate) -> None: ...

    def close(self) -> None: ...


class RedisUpdatePublisher:
    """Publishes on the Redis channel; a lost update is logged, never fails the job."""

    def __init__(self, redis_url: str) -> None:
        self._client = redis.Redis.from_url(redis_url)

    def publish(self, update: JobUpdate) -> None:
        try:
            self._client.publish(PROGRESS_CHANNEL, update.to_json())
        except redis.RedisError:
            log.warning("could not publish progress of job %s", update.job_id, exc_info=True)

    def close(self) -> None:
        self._client.close()


class LocalUpdatePublisher:
    """Embedded mode: calls in-process subscribers (from the worker's thread; keep them quick)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[JobUpdate], None]] = []

    def subscribe(self, callback: Callable[[JobUpdate], None]) -> Callable[[], None]:
        """Register `callback`; returns the function that unregisters it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, update: JobUpdate) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(update)
            except Exception:
                log.exception("progress subscriber failed for job %s", update.job_id)

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()

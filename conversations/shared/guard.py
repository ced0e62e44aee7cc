"""Who may talk to the bot, and how fast: per-user and per-chat token buckets, bans, admins.

Checked by `Conversation` before any event does work (a flood of photos must not queue face
detection for minutes, and a banned user must not reach the engine). Buckets live in memory:
each bot process limits what it receives, which is what protects that process; the Bot
API's own limits protect Telegram.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from conversations.shared.events import ChatRef
from conversations.shared.ports import ConversationConfig


class Verdict(StrEnum):
    ALLOW = "allow"
    THROTTLED = "throttled"
    """Over the limit; the user has just been told to slow down."""
    SILENT = "silent"
    """Still over the limit and already told: drop without a reply (no reply floods)."""


@dataclass
class TokenBucket:
    """`rate` tokens a second, up to `burst`; each event takes `cost`."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0
    warned_at: float = field(default=-1e9)

    def take(self, now: float, cost: float = 1.0) -> bool:
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False


class RateLimiter:
    """One bucket per user and one per chat (a group chat shares its bucket)."""

    MAX_KEYS = 100_000
    """Buckets of quiet users are dropped past this many, so memory stays bounded."""

    def __init__(self, settings: ConversationConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.user_rate = settings.rate_user_per_minute / 60.0
        self.user_burst = float(settings.rate_user_burst)
        self.chat_rate = settings.rate_chat_per_minute / 60.0
        self.chat_burst = float(settings.rate_chat_burst)
        self.clock = clock
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}

    def _bucket(self, key: tuple[str, str, str], rate: float, burst: float) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.MAX_KEYS:
                self._buckets.clear()
            bucket = self._buckets[key] = TokenBucket(rate, burst)
        return bucket

    def check(self, chat: ChatRef, cost: float = 1.0) -> Verdict:
        now = self.clock()
        user = self._bucket(("user", chat.platform, chat.user_id), self.user_rate, self.user_burst)
        room = self._bucket(("chat", chat.platform, chat.chat_id), self.chat_rate, self.chat_burst)
        if user.take(now, cost) and room.take(now, cost):
            return Verdict.ALLOW
        if now - user.warned_at < 60.0:
            return Verdict.SILENT
        user.warned_at = now
        return Verdict.THROTTLED


def is_admin(settings: ConversationConfig, chat: ChatRef) -> bool:
    """`admin_ids` (`Settings.admin_ids`) lists admins as "platform:user_id" (e.g. "telegram:12345")."""
    return f"{chat.platform}:{chat.user_id}" in settings.admin_ids

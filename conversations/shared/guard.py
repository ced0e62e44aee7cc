"""Who may talk to the bot, and how fast: per-user and per-chat token buckets, bans, admins.

Checked by `Conversation` before any event does work (a flood of photos must not queue face
detection for minutes, and a banned user must not reach the engine). `RateLimiter` keeps the
buckets in this process's memory (embedded mode, one process); with Redis configured the
buckets live there (`bot.coordination.RedisRateLimits`, the same arithmetic in one script),
so a user is counted once however many bot processes share the token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from conversations.shared.events import ChatRef
from conversations.shared.ports import ConversationConfig, RateVerdict

WARN_EVERY_S = 60.0
"""A throttled user is told to slow down at most this often."""


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
    """`RateLimits` in memory: one bucket per user and one per chat (a group chat shares its bucket)."""

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

    def check(self, chat: ChatRef, cost: float = 1.0) -> RateVerdict:
        now = self.clock()
        user = self._bucket(("user", chat.platform, chat.user_id), self.user_rate, self.user_burst)
        room = self._bucket(("chat", chat.platform, chat.chat_id), self.chat_rate, self.chat_burst)
        if user.take(now, cost) and room.take(now, cost):
            return RateVerdict.ALLOW
        if now - user.warned_at < WARN_EVERY_S:
            return RateVerdict.SILENT
        user.warned_at = now
        return RateVerdict.THROTTLED

    async def take(self, chat: ChatRef, cost: float = 1.0) -> RateVerdict:
        return self.check(chat, cost)


def is_admin(settings: ConversationConfig, chat: ChatRef) -> bool:
    """`admin_ids` (`Settings.admin_ids`) lists admins as "platform:user_id" (e.g. "telegram:12345")."""
    return f"{chat.platform}:{chat.user_id}" in settings.admin_ids

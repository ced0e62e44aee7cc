"""`SharedState` in this process's memory: right for one bot process (embedded mode).

Several bot processes on one token need the Redis version (`bot.coordination`), which keeps
the same promises across processes. Both are tested against one contract
(`tests/conversations/shared/test_coordination.py`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from conversations.shared.guard import RateLimiter
from conversations.shared.ports import ConversationConfig, SharedState


class LocalUserLocks:
    """An `asyncio.Lock` per user, dropped once nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    @asynccontextmanager
    async def hold(self, platform: str, user_id: str) -> AsyncIterator[None]:
        key = (platform, user_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            yield


class LocalCounters:
    MAX_KEYS = 100_000
    """Past this many counters all are dropped; `floor` keeps the numbers unique anyway."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    async def reserve(self, name: str, count: int, *, floor: int = 0) -> int:
        if len(self._last) >= self.MAX_KEYS:
            self._last.clear()
        first = max(self._last.get(name, 0), floor) + 1
        self._last[name] = first + count - 1
        return first


@dataclass
class _Group:
    parts: list[str]
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class LocalMediaGroups:
    """The first part's caller leads: it waits for a quiet spell, then takes every part."""

    def __init__(self) -> None:
        self._groups: dict[str, _Group] = {}

    async def join(self, group_id: str, part: str, *, quiet_s: float) -> list[str] | None:
        group = self._groups.get(group_id)
        if group is not None:
            group.parts.append(part)
            group.arrived.set()
            return None
        group = self._groups[group_id] = _Group([part])
        try:
            while True:
                group.arrived.clear()
                try:
                    await asyncio.wait_for(group.arrived.wait(), quiet_s)
                except TimeoutError:
                    return group.parts
        finally:
            del self._groups[group_id]


class LocalLeases:
    """One process: it always holds every lease."""

    async def take(self, name: str, ttl_s: float) -> bool:  # noqa: ARG002 - the protocol's
        return True


def local_state(settings: ConversationConfig) -> SharedState:
    return SharedState(
        limits=RateLimiter(settings),
        locks=LocalUserLocks(),
        counters=LocalCounters(),
        albums=LocalMediaGroups(),
        leases=LocalLeases(),
    )

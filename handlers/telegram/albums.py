"""Telegram sends an album as separate updates sharing a `media_group_id`; we answer once.

The first update of a group becomes its leader: it waits until no further photo of the group
arrived for `wait_s`, then takes every member's download and hands the lot to the
conversation. The other updates only join the group and return. Members register before
their download finishes, so a slow download is never split into a second answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Group(Generic[T]):
    members: list[Awaitable[T]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class MediaGroupCollector(Generic[T]):
    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        self._groups: dict[str, _Group[T]] = {}

    async def join(self, group_id: str, member: Awaitable[T]) -> list[T] | None:
        """Add a member; the leader (first member) gets every result, the others None."""
        group = self._groups.get(group_id)
        if group is not None:
            group.members.append(member)
            group.arrived.set()
            return None
        group = _Group([member])
        self._groups[group_id] = group
        while True:
            group.arrived.clear()
            try:
                await asyncio.wait_for(group.arrived.wait(), self.wait_s)
            except TimeoutError:
                break
        del self._groups[group_id]
        return list(await asyncio.gather(*group.members))

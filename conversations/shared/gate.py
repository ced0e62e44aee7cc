"""Sharing one set of face models between photo verdicts and previews.

The `Assessor` serialises its own model calls, so many verdicts may run at once (their
decoding in parallel). A preview runs the whole pipeline, which also calls the face models
outside the assessor (attributes, ranking), so it needs the models to itself: verdicts
are "shared" users, previews "exclusive" ones.

Verdicts run on the gate's own small thread pool (one thread per core), first come first
served: a burst of photos then finishes one after another instead of all at the end, and the
default executor stays free for the database calls.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class EngineGate:
    def __init__(self, threads: int | None = None) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=threads or os.cpu_count() or 2, thread_name_prefix="verdict"
        )
        self._changed = asyncio.Condition()
        self._shared = 0
        self._exclusive = False

    @asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._exclusive)
            self._shared += 1
        try:
            yield
        finally:
            async with self._changed:
                self._shared -= 1
                self._changed.notify_all()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._exclusive and self._shared == 0)
            self._exclusive = True
        try:
            yield
        finally:
            async with self._changed:
                self._exclusive = False
                self._changed.notify_all()

    async def run_shared(self, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a verdict-type call in the gate's pool while no preview holds the models."""
        async with self.shared():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, lambda: func(*args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

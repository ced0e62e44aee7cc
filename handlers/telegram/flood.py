"""Outgoing Bot API throttling in which a 429 pauses only the chat it was answered for.

Telegram's flood control is per chat as well as per bot ("avoid sending more than one message
per second" in a chat, "not more than 20 messages per minute to the same group", "about 30
messages per second" overall) and answers 429 with `retry_after`. PTB's `AIORateLimiter`
throttles to those rates but halts *every* request on a `RetryAfter`, so one busy group would
stall every private chat; with `max_retries=0` it does not retry at all.

`ChatFloodLimiter` keeps PTB's two throttles (overall rate, group rate) and adds, per chat:

- a pause: a `RetryAfter` for chat A makes A's requests wait `retry_after` and then retries;
  chat B's requests go on meanwhile;
- the order: messages to one chat are sent one at a time in the order they were asked for
  (FIFO lock), so a retried message is not overtaken by the next one.

A request that would have to wait more than `max_wait_s` in all raises its last `RetryAfter`:
the courier then keeps the outbox entry and tries later with its own backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import logging
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

Result = bool | dict[str, Any] | list[dict[str, Any]]
ORDERED_PREFIXES = ("send", "edit", "copy", "forward")
"""Endpoints that post or change a message: these keep their order within a chat."""
RETRY_MARGIN_S = 0.1
"""Added to `retry_after` (whole seconds on the wire): a retry right at the boundary is refused."""


def retry_after_s(error: RetryAfter) -> float:
    """`RetryAfter.retry_after` in seconds, whichever type PTB hands out (int now, timedelta
    with `PTB_TIMEDELTA`), without the deprecation warning reading the int raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


class _Chat:
    """One chat's pause and send lock; dropped when nobody is using it."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.paused_until = 0.0
        self.users = 0


class ChatFloodLimiter(BaseRateLimiter[int]):
    """A `telegram.ext.BaseRateLimiter`; pass to `ApplicationBuilder.rate_limiter`."""

    def __init__(
        self,
        overall_max_rate: float = 30,
        group_max_rate: float = 20,
        group_time_period: float = 60,
        max_wait_s: float = 120.0,
    ) -> None:
        self._overall = AsyncLimiter(overall_max_rate, 1) if overall_max_rate else None
        self._group_rate = (group_max_rate, group_time_period)
        self._groups: dict[str, AsyncLimiter] = {}
        self._chats: dict[str, _Chat] = {}
        self.max_wait_s = max_wait_s
        self.pauses = 0
        """How many 429s were answered with a pause (for tests and logs)."""

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(  # noqa: PLR0917 -- PTB's BaseRateLimiter signature
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,  # noqa: ARG002 -- part of PTB's interface, unused here
    ) -> Result:
        chat_id = data.get("chat_id")
        if chat_id is None:  # getMe, answerCallbackQuery, getFile: no chat, no flood limit
            return await callback(*args, **kwargs)
        key = str(chat_id)
        chat = self._chats.setdefault(key, _Chat())
        chat.users += 1
        try:
            ordered = endpoint.startswith(ORDERED_PREFIXES)
            async with chat.lock if ordered else contextlib.nullcontext():
                return await self._send(key, chat, callback, args, kwargs)
        finally:
            chat.users -= 1
            if not chat.users and chat.paused_until <= time.monotonic():
                del self._chats[key]

    async def _send(
        self,
        key: str,
        chat: _Chat,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> Result:
        waited = 0.0
        while True:
            if (pause := chat.paused_until - time.monotonic()) > 0:
                await asyncio.sleep(pause)
            async with self._group(key), self._overall or contextlib.nullcontext():
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as exc:
                    delay = retry_after_s(exc) + RETRY_MARGIN_S
                    if waited + delay > self.max_wait_s:
                        log.warning("chat %s still flood-limited after %.0f s; giving up", key, waited)
                        raise
            waited += delay
            self.pauses += 1
            self._forget_idle(key)
            chat.paused_until = max(chat.paused_until, time.monotonic() + delay)
            log.info("flood control for chat %s: pausing it %.1f s", key, delay)

    def _forget_idle(self, key: str) -> None:
        """Drop chats nobody is sending to whose pause is over (a chat stays while paused)."""
        if len(self._chats) > 1024:
            now = time.monotonic()
            for name, chat in list(self._chats.items()):
                if name != key and not chat.users and chat.paused_until <= now:
                    del self._chats[name]

    def _group(self, key: str) -> contextlib.AbstractAsyncContextManager[Any]:
        """The group's 20-a-minute throttle (negative ids and @usernames are groups/channels)."""
        rate, period = self._group_rate
        if not (rate and period) or not key.startswith(("-", "@")):
            return contextlib.nullcontext()
        if len(self._groups) > 512:  # forget idle groups, as PTB's limiter does
            for name, limiter in list(self._groups.items()):
                if name != key and limiter.has_capacity(limiter.max_rate):
                    del self._groups[name]
        return self._groups.setdefault(key, AsyncLimiter(rate, period))

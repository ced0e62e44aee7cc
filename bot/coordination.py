"""`SharedState` in Redis: what lets several `headshots serve` processes share one token.

Behind a load balancer each update of one user may reach any process, so whatever the
dialogue keeps per user must be the same everywhere:

- rate limits: the token buckets of `conversations.shared.guard`, kept as Redis hashes and
  updated by one Lua script (take from the user's bucket, then the chat's, warn once a
  minute) on Redis's clock, so machines whose clocks differ still agree;
- per-user locks: redis-py's `Lock` (SET NX PX + a token-checked release), renewed while
  held, so a long verdict batch keeps it and a crashed process frees it after `LOCK_LEASE_S`;
- counters: INCRBY with a floor in one script;
- leases (the courier's rounds): SET with the holder's id, renewed by it, taken over by
  another process once it lapsed;
- album assembly: the first part SETs the album's leader key; every later part pushes to a
  wake list that the leader BLPOPs; when no part came for the quiet spell, the leader takes
  and deletes every part in one script. A part and the take are both atomic, so each part
  lands in exactly one album answer.

Every key starts with the deployment's `queue_name`; the rest is listed in `bot.jobs.keys`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError

from bot.jobs import keys
from bot.settings import Settings
from conversations.shared.events import ChatRef
from conversations.shared.guard import WARN_EVERY_S
from conversations.shared.ports import ConversationConfig, RateVerdict, SharedState

log = logging.getLogger(__name__)

LOCK_LEASE_S = 60.0
"""A held user lock expires this long after its holder stopped renewing it (a crash)."""
LOCK_WAIT_S = 600.0
"""How long an update waits for its user's lock before it fails (and the user is told)."""
ALBUM_TTL_S = 300
"""An album's parts expire this long after its last part, should nobody lead it any more."""

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cost = tonumber(ARGV[1])
local function take(key, rate, burst, ttl)
  local v = redis.call('HMGET', key, 'tokens', 'stamp')
  local tokens, stamp = tonumber(v[1]), tonumber(v[2])
  if tokens == nil then tokens, stamp = burst, now end
  tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
  local ok = tokens >= cost
  if ok then tokens = tokens - cost end
  redis.call('HSET', key, 'tokens', string.format('%.6f', tokens), 'stamp', string.format('%.6f', now))
  redis.call('EXPIRE', key, ttl)
  return ok
end
if take(KEYS[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[6]))
   and take(KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[7])) then
  return 'allow'
end
local warned = tonumber(redis.call('HGET', KEYS[1], 'warned'))
if warned ~= nil and now - warned < tonumber(ARGV[8]) then return 'silent' end
redis.call('HSET', KEYS[1], 'warned', string.format('%.6f', now))
return 'throttled'
"""

_RESERVE = """
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[2])
if last < floor then last = floor end
redis.call('SET', KEYS[1], last + tonumber(ARGV[1]), 'EX', tonumber(ARGV[3]))
return last + 1
"""

_JOIN = """
local lead = redis.call('SET', KEYS[1], '1', 'NX', 'PX', tonumber(ARGV[3]))
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2]))
if lead then return 1 end
redis.call('RPUSH', KEYS[3], '1')
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[2]))
return 0
"""

_TAKE_ALBUM = """
local parts = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return parts
"""


_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 1
end
return 0
"""


def _ttl(rate: float, burst: float) -> int:
    """Seconds until a bucket is full again (then its key may go: a new one starts full)."""
    refill = burst / rate if rate > 0 else 3600.0
    return math.ceil(refill + WARN_EVERY_S)


class RedisRateLimits:
    def __init__(self, client: Redis, prefix: str, settings: ConversationConfig) -> None:
        self.client, self.prefix = client, prefix
        self.user = (settings.rate_user_per_minute / 60.0, float(settings.rate_user_burst))
        self.chat = (settings.rate_chat_per_minute / 60.0, float(settings.rate_chat_burst))
        self._script = client.register_script(_TAKE)

    async def take(self, chat: ChatRef, cost: float = 1.0) -> RateVerdict:
        answer = await self._script(
            keys=[
                f"{self.prefix}:{keys.RATE_USER}:{chat.platform}:{chat.user_id}",
                f"{self.prefix}:{keys.RATE_CHAT}:{chat.platform}:{chat.chat_id}",
            ],
            args=[cost, *self.user, *self.chat, _ttl(*self.user), _ttl(*self.chat), WARN_EVERY_S],
        )
        return RateVerdict(answer.decode() if isinstance(answer, bytes) else str(answer))


class RedisUserLocks:
    def __init__(self, client: Redis, prefix: str, *, lease_s: float = LOCK_LEASE_S) -> None:
        self.client, self.prefix, self.lease_s = client, prefix, lease_s

    @asynccontextmanager
    async def hold(self, platform: str, user_id: str) -> AsyncIterator[None]:
        lock = self.client.lock(
            f"{self.prefix}:{keys.USER_LOCK}:{platform}:{user_id}",
            timeout=self.lease_s,
            sleep=0.02,
            blocking_timeout=LOCK_WAIT_S,
            thread_local=False,
        )
        if not await lock.acquire():
            msg = f"user {platform}:{user_id} stayed locked for {LOCK_WAIT_S:.0f} s"
            raise TimeoutError(msg)
        done = asyncio.Event()
        renewal = asyncio.create_task(self._renew(lock, done))
        try:
            yield
        finally:
            # Stopped by an event, not by cancelling: redis-py may swallow a cancellation that
            # lands inside a command, and the renewal would then run (and hold the lock) forever.
            done.set()
            await renewal
            try:
                await lock.release()
            except LockError:
                log.warning("lock of %s:%s expired before its release", platform, user_id)

    async def _renew(self, lock: Lock, done: asyncio.Event) -> None:
        try:
            while not done.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), self.lease_s / 3)
                    return
                await lock.reacquire()
        except LockError:
            log.warning("lost the user lock %s (Redis restarted, or a pause past its lease)", lock.name)


class RedisCounters:
    TTL_S = 7 * 24 * 3600
    """A counter unused this long goes; its callers' `floor` keeps the numbers unique."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self.client, self.prefix = client, prefix
        self._script = client.register_script(_RESERVE)

    async def reserve(self, name: str, count: int, *, floor: int = 0) -> int:
        first = await self._script(
            keys=[f"{self.prefix}:{keys.COUNTER}:{name}"], args=[count, floor, self.TTL_S]
        )
        return int(first)


class RedisMediaGroups:
    LEAD_MARGIN_S = 5.0
    """The leader renews its key every quiet spell; a leader that died loses it this long after
    (plus two quiet spells), and the album's next part leads, answering for the earlier ones."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self.client, self.prefix = client, prefix
        self._join = client.register_script(_JOIN)
        self._take = client.register_script(_TAKE_ALBUM)

    def names(self, group_id: str) -> list[str]:
        """The album's lead key, parts list and wake list."""
        return [
            f"{self.prefix}:{name}:{group_id}"
            for name in (keys.ALBUM_LEAD, keys.ALBUM_PARTS, keys.ALBUM_WAKE)
        ]

    async def add(self, group_id: str, part: str, *, quiet_s: float) -> bool:
        """Add `part`; True when it is the album's first (its caller now leads)."""
        lead_ms = math.ceil((2 * quiet_s + self.LEAD_MARGIN_S) * 1000)
        return bool(await self._join(keys=self.names(group_id), args=[part, ALBUM_TTL_S, lead_ms]))

    async def join(self, group_id: str, part: str, *, quiet_s: float) -> list[str] | None:
        if not await self.add(group_id, part, quiet_s=quiet_s):
            return None
        names = self.names(group_id)
        lead_ms = math.ceil((2 * quiet_s + self.LEAD_MARGIN_S) * 1000)
        while await self.client.blpop([names[2]], timeout=quiet_s) is not None:
            await self.client.pexpire(names[0], lead_ms)  # another part came: wait for quiet again
        parts = await self._take(keys=names)
        return [p.decode() if isinstance(p, bytes) else str(p) for p in parts]


class RedisLeases:
    def __init__(self, client: Redis, prefix: str) -> None:
        self.client, self.prefix = client, prefix
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._script = client.register_script(_LEASE)

    async def take(self, name: str, ttl_s: float) -> bool:
        key = f"{self.prefix}:{keys.LEASE}:{name}"
        return bool(await self._script(keys=[key], args=[self.holder, max(1, int(ttl_s * 1000))]))


def redis_state(client: Redis, prefix: str, settings: ConversationConfig) -> SharedState:
    return SharedState(
        limits=RedisRateLimits(client, prefix, settings),
        locks=RedisUserLocks(client, prefix),
        counters=RedisCounters(client, prefix),
        albums=RedisMediaGroups(client, prefix),
        leases=RedisLeases(client, prefix),
    )


@asynccontextmanager
async def shared_state(settings: Settings) -> AsyncIterator[SharedState | None]:
    """For `headshots serve`: Redis-backed state when Redis is configured, else None (the
    conversation keeps it in memory). The client closes when the block ends."""
    if settings.embedded:
        yield None
        return
    client = Redis.from_url(settings.redis_url)
    try:
        yield redis_state(client, settings.queue_name, settings)
    finally:
        await client.aclose()

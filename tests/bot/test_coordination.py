"""`SharedState` contract, in memory and in Redis: what two bot processes must agree on.

Each test gets two handles ("process A" and "process B"): for the in-memory state the same
object twice (one process), for Redis two separate clients on one key prefix, as two
`headshots serve` processes would have. Redis keys get a prefix per test (other test
sessions flush database 15) and are deleted afterwards.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.coordination import RedisMediaGroups, RedisUserLocks, redis_state
from bot.settings import Settings
from conversations.shared.coordination import local_state
from conversations.shared.events import ChatRef
from conversations.shared.ports import RateVerdict, SharedState, UserLocks
from tests.conftest import REDIS_TEST_URL

Pair = tuple[SharedState, SharedState]


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings.model_validate({"data_dir": tmp_path, **values})


@pytest.fixture
async def clients() -> AsyncIterator[tuple[Redis, Redis]]:
    a, b = Redis.from_url(REDIS_TEST_URL), Redis.from_url(REDIS_TEST_URL)
    yield a, b
    await a.aclose()
    await b.aclose()


def _pair(kind: str, tmp_path: Path, prefix: str, clients: tuple[Redis, Redis], **values: object) -> Pair:
    settings = _settings(tmp_path, **values)
    if kind == "local":
        state = local_state(settings)
        return state, state
    return redis_state(clients[0], prefix, settings), redis_state(clients[1], prefix, settings)


KINDS = pytest.mark.parametrize("kind", ["local", "redis"])


@KINDS
async def test_rate_limits_count_a_user_once_across_processes(
    kind: str, tmp_path: Path, redis_prefix: str, clients: tuple[Redis, Redis]
) -> None:
    a, b = _pair(kind, tmp_path, redis_prefix, clients, rate_user_per_minute=1, rate_user_burst=4)
    ada, obi = ChatRef("telegram", "1", "1"), ChatRef("telegram", "2", "2")
    verdicts = [await (a if i % 2 else b).limits.take(ada) for i in range(4)]
    assert verdicts == [RateVerdict.ALLOW] * 4
    assert await a.limits.take(ada) == RateVerdict.THROTTLED
    assert await b.limits.take(ada) == RateVerdict.SILENT, "told once, by whichever process"
    assert await b.limits.take(obi, cost=4) == RateVerdict.ALLOW, "other users are not affected"
    assert await a.limits.take(obi) == RateVerdict.THROTTLED


@KINDS
async def test_a_group_chat_shares_one_bucket(
    kind: str, tmp_path: Path, redis_prefix: str, clients: tuple[Redis, Redis]
) -> None:
    a, b = _pair(kind, tmp_path, redis_prefix, clients, rate_chat_per_minute=1, rate_chat_burst=3)
    verdicts = [
        await (a, b)[user % 2].limits.take(ChatRef("telegram", str(user), "-100")) for user in range(5)
    ]
    assert verdicts[:3] == [RateVerdict.ALLOW] * 3
    assert RateVerdict.ALLOW not in verdicts[3:]


async def test_redis_buckets_refill_on_the_servers_clock(
    tmp_path: Path, redis_prefix: str, clients: tuple[Redis, Redis]
) -> None:
    a, b = _pair("redis", tmp_path, redis_prefix, clients, rate_user_per_minute=600, rate_user_burst=1)
    ada = ChatRef("telegram", "1", "1")
    assert await a.limits.take(ada) == RateVerdict.ALLOW
    assert await b.limits.take(ada) == RateVerdict.THROTTLED
    deadline = time.monotonic() + 5
    while await b.limits.take(ada) != RateVerdict.ALLOW:  # 10 tokens a second
        assert time.monotonic() < deadline, "the bucket never refilled"
        await asyncio.sleep(0.02)


@KINDS
async def test_one_users_updates_run_one_at_a_time_across_processes(
    kind: str, tmp_path: Path, redis_prefix: str, clients: tuple[Redis, Redis]
) -> None:
    a, b = _pair(kind, tmp_path, redis_prefix, clients)
    inside, most, total = 0, 0, {"value": 0}

    async def update(state: SharedState) -> None:
        nonlocal inside, most
        async with state.locks.hold("telegram", "7"):
            inside += 1
            most = max(most, inside)
            value = total["value"]
            for _ in range(3):
                await asyncio.sleep(0)  # a read-modify-write with awaits in between
            total["value"] = value + 1
            inside -= 1

    await asyncio.wait_for(asyncio.gather(*(update((a, b)[i % 2]) for i in range(20))), 30)
    assert (most, total["value"]) == (1, 20)


@KINDS
async def test_other_users_are_not_held_up(
    kind: str, tmp_path: Path, redis_prefix: str, clients: tuple[Redis, Redis]
) -> None:
    a, b = _pair(kind, tmp_path, redis_prefix, clients)
    async with a.locks.hold("telegram", "1"):
        assert await asyncio.wait_for(_enter(b.locks, "2"), 5)


async def _enter(locks: UserLocks, user_id: str) -> bool:
    async with locks.hold("telegram", user_id):
        return True


async def test_a_redis_lock_is_renewed_while_held_and_freed_after_a_crash(
    redis_prefix: str, clients: tuple[Redis, Redis]
) -> None:
    a, b = (
        RedisUserLocks(clients[0], redis_prefix, lease_s=0.3),
        RedisUserLocks(clients[1], redis_prefix, lease_s=0.3),
    )
    entered = asyncio.Event()

    async def second() -> None:
        async with b.hold("telegram", "7"):
            entered.set()

    async with a.hold("telegram", "7"):
        waiting = asyncio.create_task(second())
        started = time.monotonic()
        while time.monotonic() - started < 1.0:  # three leases: renewal keeps it
            assert not entered.is_set(), "the lock expired while its holder was alive"
            await asyncio.sleep(0.05)
    await asyncio.wait_for(waiting, 5)
    # A holder that dies without releasing: its lease runs out, the next one gets in.
    crashed = clients[0].lock(f"{redis_prefix}:lock:user:telegram:9", timeout=0.3, thread_local=False)
    assert await crashed.acquire()
    assert await asyncio.wait_for(_enter(b, "9"), 5)


@KINDS
async def test_counters_never_hand_out_a_number_twice(
    kind: str, tmp_path: Path, redis_prefix: str, clients: tuple[Redis, Redis]
) -> None:
    a, b = _pair(kind, tmp_path, redis_prefix, clients)
    firsts = await asyncio.gather(*((a, b)[i % 2].counters.reserve("selfies:1", 2) for i in range(30)))
    numbers = sorted(n for first in firsts for n in (first, first + 1))
    assert numbers == list(range(1, 61))
    assert await b.counters.reserve("selfies:2", 3, floor=10) == 11, "above the numbers in use"
    assert await a.counters.reserve("selfies:2", 1, floor=5) == 14


@KINDS
async def test_an_album_split_over_processes_is_answered_once(
    kind: str, tmp_path: Path, redis_prefix: str, clients: tuple[Redis, Redis]
) -> None:
    a, b = _pair(kind, tmp_path, redis_prefix, clients)
    parts = [f"part-{i}" for i in range(6)]
    answers = await asyncio.wait_for(
        asyncio.gather(
            *((a, b)[i % 2].albums.join("chat:album", part, quiet_s=0.3) for i, part in enumerate(parts))
        ),
        10,
    )
    answered = [answer for answer in answers if answer is not None]
    assert len(answered) == 1, answers
    assert sorted(answered[0]) == parts
    # A part after the album was answered starts a new one (never lost, never answered twice).
    late = await asyncio.wait_for(b.albums.join("chat:album", "late", quiet_s=0.1), 5)
    assert late == ["late"]


@KINDS
async def test_an_album_waits_while_parts_keep_coming(
    kind: str, tmp_path: Path, redis_prefix: str, clients: tuple[Redis, Redis]
) -> None:
    a, b = _pair(kind, tmp_path, redis_prefix, clients)
    leader = asyncio.create_task(a.albums.join("chat:slow", "part-0", quiet_s=1.0))
    for i in range(1, 5):  # parts 0.3 s apart: 1.2 s in all, longer than the quiet spell
        await asyncio.sleep(0.3)
        assert not leader.done(), "answered before the album was complete"
        assert await (a, b)[i % 2].albums.join("chat:slow", f"part-{i}", quiet_s=1.0) is None
    assert await asyncio.wait_for(leader, 5) == [f"part-{i}" for i in range(5)]


async def test_a_lease_has_one_holder_until_it_lapses(
    tmp_path: Path, redis_prefix: str, clients: tuple[Redis, Redis]
) -> None:
    a, b = _pair("redis", tmp_path, redis_prefix, clients)
    assert await a.leases.take("courier:telegram", 0.3)
    assert await a.leases.take("courier:telegram", 0.3), "its holder renews it"
    assert not await b.leases.take("courier:telegram", 0.3), "the other process waits"
    assert await b.leases.take("courier:discord", 0.3), "leases are per name"
    deadline = time.monotonic() + 5
    while not await b.leases.take("courier:telegram", 0.3):  # a stopped renewing: it lapses
        assert time.monotonic() < deadline, "the lease never lapsed"
        await asyncio.sleep(0.05)
    assert not await a.leases.take("courier:telegram", 0.3)
    local = local_state(_settings(tmp_path))
    assert await local.leases.take("courier:telegram", 0.3), "one process holds every lease"


async def test_when_an_albums_leader_dies_the_next_part_answers_for_all(
    redis_prefix: str, clients: tuple[Redis, Redis], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RedisMediaGroups, "LEAD_MARGIN_S", 0.3)
    dead, alive = RedisMediaGroups(clients[0], redis_prefix), RedisMediaGroups(clients[1], redis_prefix)
    assert await dead.add("chat:orphan", "part-0", quiet_s=0.2), "part 0 leads..."
    assert await alive.join("chat:orphan", "part-1", quiet_s=0.2) is None
    lead = dead.names("chat:orphan")[0]  # ...and its process dies before the quiet spell ends
    deadline = time.monotonic() + 10
    while await clients[1].exists(lead):  # the dead leader's key lapses
        assert time.monotonic() < deadline, "the dead leader kept the album"
        await asyncio.sleep(0.05)
    answer = await asyncio.wait_for(alive.join("chat:orphan", "part-2", quiet_s=0.2), 5)
    assert answer == ["part-0", "part-1", "part-2"], "the next part leads, nothing is lost"

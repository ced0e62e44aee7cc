"""Rate limits: token buckets per user and per chat, one "slow down" per minute, then silence."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from conversations.shared.events import ChatRef
from conversations.shared.guard import RateLimiter, TokenBucket, is_admin
from conversations.shared.ports import RateVerdict as Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(tmp_path: Path, clock: Clock, **values: float) -> RateLimiter:
    settings = Settings.model_validate({"data_dir": tmp_path, **values})
    return RateLimiter(settings, clock)


def test_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=1.0, burst=2.0)
    assert bucket.take(0.0)
    assert bucket.take(0.0)
    assert not bucket.take(0.5)
    assert bucket.take(1.0)


def test_a_flooding_user_is_told_once_then_ignored_then_let_back(tmp_path: Path) -> None:
    clock = Clock()
    guard = limiter(tmp_path, clock, rate_user_per_minute=6, rate_user_burst=3)
    ada = ChatRef("telegram", "1", "1")
    assert [guard.check(ada) for _ in range(3)] == [Verdict.ALLOW] * 3
    assert guard.check(ada) == Verdict.THROTTLED
    assert guard.check(ada) == Verdict.SILENT
    assert guard.check(ChatRef("telegram", "2", "2")) == Verdict.ALLOW, "other users are not affected"
    clock.now += 10  # one token back (6 a minute)
    assert guard.check(ada) == Verdict.ALLOW


def test_an_album_costs_one_token_per_photo(tmp_path: Path) -> None:
    guard = limiter(tmp_path, Clock(), rate_user_burst=10)
    ada = ChatRef("telegram", "1", "1")
    assert guard.check(ada, cost=8) == Verdict.ALLOW
    assert guard.check(ada, cost=8) == Verdict.THROTTLED


def test_a_busy_group_chat_is_limited_as_a_whole(tmp_path: Path) -> None:
    guard = limiter(tmp_path, Clock(), rate_chat_burst=4, rate_user_burst=100)
    verdicts = [guard.check(ChatRef("telegram", str(user), "-100")) for user in range(6)]
    assert verdicts[:4] == [Verdict.ALLOW] * 4
    assert Verdict.ALLOW not in verdicts[4:]


def test_admins_are_listed_with_their_platform(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, admin_ids=["telegram:42"])  # type: ignore[call-arg]
    assert is_admin(settings, ChatRef("telegram", "42", "42"))
    assert not is_admin(settings, ChatRef("discord", "42", "42"))
    assert not is_admin(settings, ChatRef("telegram", "43", "43"))

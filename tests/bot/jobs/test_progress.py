"""Stage timing, overall progress and ETA from measured stage times."""

from __future__ import annotations

import pytest

from bot.jobs.progress import ProgressTracker
from engine.progress import ProgressEvent


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_eta_comes_from_recent_stage_times_and_this_runs_pace() -> None:
    clock = FakeClock()
    tracker = ProgressTracker({"assess": 2.0, "generate": 10.0, "rank": 3.0}, clock=clock)
    clock.now = 2.0
    snap = tracker.update(ProgressEvent("assess", 1, 1))  # the engine reports a finished step
    assert snap.stage == "generate"  # what runs now
    assert snap.progress == pytest.approx(2 / 15)
    assert snap.eta_s == pytest.approx(13.0)
    clock.now = 6.0  # this run generates twice as fast as the history says
    snap = tracker.update(ProgressEvent("generate", 8, 10))
    assert snap.progress == pytest.approx((2 + 8) / 15)
    assert snap.eta_s == pytest.approx(1.0 + 3.0)
    clock.now = 7.0
    snap = tracker.update(ProgressEvent("generate", 10, 10))
    assert snap.stage == "rank"
    assert snap.eta_s == pytest.approx(3.0)
    assert snap.stage_seconds == {"assess": 2.0, "generate": 5.0}


def test_without_history_the_eta_is_unknown_not_invented() -> None:
    clock = FakeClock()
    tracker = ProgressTracker({}, clock=clock)
    clock.now = 1.0
    snap = tracker.update(ProgressEvent("generate", 1, 4))
    assert snap.eta_s is None
    assert snap.progress == 0.25
    assert snap.stage_seconds == {"generate": 1.0}


def test_a_resumed_training_shows_its_eta_from_this_attempts_pace_without_history() -> None:
    clock = FakeClock()
    tracker = ProgressTracker({}, clock=clock)
    clock.now = 30.0  # loading, assessing, encoding: not training pace
    tracker.update(ProgressEvent("train", 40, 100, resumed=True))
    clock.now = 32.0
    snap = tracker.update(ProgressEvent("train", 42, 100))  # 1 s a step here
    assert snap.progress == pytest.approx(0.42)
    assert snap.eta_s == pytest.approx(58.0)

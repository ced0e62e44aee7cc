"""From the engine's progress callback to stage, percent and ETA on the job row.

The ETA comes from measured stage times: the mean seconds each stage took over recent
albums (`storage.jobs.stage_estimates`). With no history yet the ETA is unknown rather than
made up, and the percent is the current stage's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from engine.progress import CancelToken, ProgressEvent
from engine.training import TRAINING_STAGES
from storage import jobs
from storage.database import Database
from storage.models import Job
from storage.studio import is_studio


@dataclass(frozen=True)
class ProgressSnapshot:
    stage: str
    progress: float
    eta_s: float | None
    stage_seconds: dict[str, float]


class ProgressTracker:
    """Times each stage and turns (stage, step, total) events into overall progress and ETA.

    The engine reports a step when it has finished it, so the time since the previous event
    is charged to the reported stage, and a stage whose step reaches its total is done.
    """

    def __init__(
        self, estimates: Mapping[str, float], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._estimates = dict(estimates)
        self._clock = clock
        self._last = clock()
        self._stage: str | None = None
        self._fraction = 0.0
        self._seconds: dict[str, float] = {}
        self._start: dict[str, float] = {}
        """A resumed stage's fraction when this attempt took it over (its pace counts only
        the steps made here)."""
        self._done: set[str] = set()

    def update(self, event: ProgressEvent) -> ProgressSnapshot:
        now = self._clock()
        self._seconds[event.stage] = self._seconds.get(event.stage, 0.0) + now - self._last
        self._last = now
        self._stage = event.stage
        self._fraction = event.fraction
        if event.resumed:
            # Steps an earlier attempt made: this attempt's pace starts here.
            self._start[event.stage] = event.fraction
            self._seconds[event.stage] = 0.0
        if event.fraction >= 1.0:
            self._done.add(event.stage)
        return self.snapshot(now)

    def snapshot(self, now: float | None = None) -> ProgressSnapshot:
        now = self._clock() if now is None else now
        seconds = _rounded(self._seconds)
        stage = self._stage or "starting"
        total = sum(self._estimates.values())
        if total <= 0 or stage not in self._estimates:
            # No history for this stage: a first studio training's own pace (most of its order)
            # plus what the history says the later stages take; otherwise unknown.
            pace = self._pace(stage)
            if pace is None or (total <= 0 and stage not in TRAINING_STAGES):
                return ProgressSnapshot(stage, self._fraction, None, seconds)
            later = sum(est for name, est in self._estimates.items() if name not in self._done | {stage})
            eta = max(0.0, pace * (1.0 - self._fraction) + later - (now - self._last))
            return ProgressSnapshot(stage, self._fraction, eta, seconds)
        done = sum(est for name, est in self._estimates.items() if name in self._done)
        remaining = sum(est for name, est in self._estimates.items() if name not in self._done)
        pace = self._pace(stage)
        if pace is not None:
            # Within a stage, trust this run's pace over the history.
            done += self._estimates[stage] * self._fraction
            remaining += pace * (1.0 - self._fraction) - self._estimates[stage]
        else:
            stage = next((name for name in self._estimates if name not in self._done), stage)
        eta = max(0.0, remaining - (now - self._last))
        return ProgressSnapshot(stage, min(done / total, 0.99), eta, seconds)

    def _pace(self, stage: str) -> float | None:
        """Seconds per unit of `stage` at this attempt's speed; None before it has moved."""
        moved = self._fraction - self._start.get(stage, 0.0)
        if stage in self._done or stage not in self._seconds or moved <= 0:
            return None
        return self._seconds[stage] / moved


def _rounded(seconds: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 3) for name, value in seconds.items()}


class ProgressReporter:
    """The engine's `progress` callback for one attempt (called from the engine's thread).

    Writes at most every `interval_s` (and on every stage change) to the job row, which
    every bot process reads, and sets `cancel` when the row says the user asked to stop: that is how
    a cancel from the chat reaches a running pipeline between two diffusion steps.
    """

    def __init__(
        self,
        db: Database,
        job: Job,
        cancel: CancelToken,
        *,
        interval_s: float = 0.5,
    ) -> None:
        self._db = db
        self._job = job
        self._cancel = cancel
        self._interval_s = interval_s
        estimates = jobs.stage_estimates(db)
        if not is_studio(job):
            estimates = {name: est for name, est in estimates.items() if name not in TRAINING_STAGES}
        self._tracker = ProgressTracker(estimates)
        self._lock = threading.Lock()
        self._last_write = 0.0
        self._last_stage: str | None = None
        self.latest: ProgressSnapshot = self._tracker.snapshot()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            snapshot = self._tracker.update(event)
            self.latest = snapshot
            now = time.monotonic()
            if snapshot.stage == self._last_stage and now - self._last_write < self._interval_s:
                return
            self._last_write = now
            self._last_stage = snapshot.stage
        cancel_asked = jobs.record_progress(
            self._db,
            self._job.id,
            stage=snapshot.stage,
            progress=snapshot.progress,
            stage_seconds=snapshot.stage_seconds,
            eta_s=snapshot.eta_s,
        )
        if cancel_asked:
            self._cancel.cancel()

    def stage_seconds(self) -> dict[str, float]:
        with self._lock:
            return self._tracker.snapshot().stage_seconds

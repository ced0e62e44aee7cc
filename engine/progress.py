"""How progress and cancellation cross the engine boundary: callbacks, never prints."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from engine.errors import GenerationCancelledError


@dataclass(frozen=True)
class ProgressEvent:
    """`stage` is one of the pipeline's stage names; `step` of `total` within it."""

    stage: str
    step: int
    total: int
    resumed: bool = False
    """True for the one event that says a stage continues from an earlier attempt's `step`."""

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.step / self.total)


ProgressCallback = Callable[[ProgressEvent], None]


def ignore_progress(_event: ProgressEvent) -> None:
    """The default callback."""


class CancelToken:
    """Set from any thread; checked by the engine between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise GenerationCancelledError

"""How progress and cancellation cross the engine boundary: callbacks, never prints."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


def step_end_callback(
    stage: str, *, offset: int, total: int, progress: ProgressCallback, cancel: CancelToken
) -> Callable[[Any, int, Any, dict[str, Any]], dict[str, Any]]:
    """A diffusers `callback_on_step_end`: one `ProgressEvent` per denoising step (numbered
    from `offset` within the stage's `total`), and a cancel checked between two steps."""

    def on_step_end(_pipe: Any, step: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        progress(ProgressEvent(stage, offset + step + 1, total))
        cancel.raise_if_cancelled()
        return tensors

    return on_step_end

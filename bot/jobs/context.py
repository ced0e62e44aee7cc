"""What a job needs, built once per worker process and handed to every job (never a global)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.settings import Settings
from storage.database import Database
from storage.photos import PhotoStore


@dataclass
class WorkerContext:
    """The worker's resources. `engine` holds the loaded models (`engine.pipeline.EngineResources`)."""

    settings: Settings
    db: Database
    store: PhotoStore
    engine: Any
    name: str
    metrics: Any = None
    """A `bot.observability.Metrics` to record stage durations in, when metrics are served."""

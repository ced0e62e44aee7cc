"""`headshots intake`: a process that judges photos for every bot process (CPU only).

Loads the face models once (no styles, no generation backends) and takes verdict jobs from
the intake queue; start one per core, on as many machines as a burst needs. Each process
serialises its model calls (see `Assessor`), so one per core is the useful maximum.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from saq import Worker
from saq.types import Context

from bot.jobs.intake import assess_upload, intake_queue
from bot.jobs.keys import INTAKE_FUNCTION
from bot.settings import Settings
from engine.faces import load_face_analyzer
from engine.intake import Assessor

log = logging.getLogger(__name__)

INTAKE_SWEEP_S = 60


def load_assessor(settings: Settings) -> Assessor:
    """The face models and the assessor, as `headshots serve` would build them."""
    analyzer = load_face_analyzer(
        settings.face_backend,
        insightface_pack=settings.insightface_pack,
        insightface_root=settings.insightface_root,
    )
    return Assessor(
        analyzer,
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_image_pixels,
        min_photos=settings.min_selfies,
    )


def intake_worker_settings(settings: Settings, *, concurrency: int, name: str) -> dict[str, Any]:
    """Keyword arguments for `saq.Worker` on the intake queue."""

    async def startup(ctx: Context) -> None:
        ctx["assessor"] = await asyncio.to_thread(load_assessor, settings)  # type: ignore[typeddict-unknown-key]
        ctx["worker_name"] = name  # type: ignore[typeddict-unknown-key]
        log.info("intake worker %s ready (concurrency %d)", name, concurrency)
        print(f"intake worker {name} ready", flush=True)  # noqa: T201 - operators and tests wait for it

    return {
        "queue": intake_queue(settings),
        "functions": [(INTAKE_FUNCTION, assess_upload)],
        "concurrency": concurrency,
        "id": name,
        "startup": startup,
        # SAQ's sweep takes a job it finds dequeued but not yet marked active for a lost one; a
        # verdict is over in a second, and a bot whose worker died judges the photo itself, so
        # the intake queue is swept rarely (a short sweep on a busy box aborted live verdicts).
        "timers": {"sweep": INTAKE_SWEEP_S, "abort": 1, "schedule": 1, "worker_info": 10},
        "shutdown_grace_period_s": 5,
        "metadata": {"name": name, "kind": "intake"},
    }


async def run_intake_worker(settings: Settings, *, concurrency: int, name: str) -> None:
    """Run until SIGTERM / SIGINT (SAQ installs the handlers)."""
    worker = Worker(**intake_worker_settings(settings, concurrency=concurrency, name=name))
    await worker.queue.connect()
    try:
        await worker.start()
    finally:
        await worker.queue.disconnect()

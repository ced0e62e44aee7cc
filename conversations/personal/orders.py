"""From a ready set to an order: the studio preview, the order itself, and its progress text.

The preview runs the engine's own pipeline (issue 6) with the preview backend and one
candidate, so what the user sees is what the pipeline makes. Orders go through the job
queue (issue 7); this module only turns their status into words.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence

from PIL import Image as PILImage

from conversations.i18n.translate import tr
from conversations.shared import messages as msg
from conversations.shared.ports import JobStatus
from engine.errors import EngineError
from engine.pipeline import EngineResources, PipelineRequest, run_pipeline
from storage.models import JobState, Photo
from storage.photos import PhotoStore

CHAT_IMAGE_SIDE = 1280
"""Longest side of images shown inline (previews); originals go out as documents."""


class PreviewError(EngineError):
    """The preview could not be made; the message says why."""

    code = "preview_failed"


def jpeg(image: PILImage.Image, *, max_side: int | None = None, quality: int = 90) -> bytes:
    if max_side is not None and max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def make_preview(engine: EngineResources, store: PhotoStore, photos: Sequence[Photo], style: str) -> bytes:
    """A one-candidate studio preview of `style` from the usable selfies (blocking: run in a thread)."""
    selfies = [(p.quality["signature"]["name"], store.get_bytes(p.store_key)) for p in photos]
    request = PipelineRequest(selfies=selfies, style=style, count=1, keep=1, backend="preview")
    album = run_pipeline(request, engine)
    if not album.items:
        raise PreviewError("the preview did not pass the quality checks; try another style.")
    return jpeg(album.items[0].candidate.image, max_side=CHAT_IMAGE_SIDE)


def new_seed() -> int:
    return random.randrange(1, 2**31)


def progress_text(status: JobStatus) -> str:
    if status.state == JobState.QUEUED:
        return tr(msg.QUEUED).format(position=status.position or 1, eta=msg.eta_text(status.eta_s))
    stage = tr(msg.STAGES.get(status.stage or "", msg.STARTING))
    return tr(msg.GENERATING).format(
        stage=stage,
        bar=msg.progress_bar(status.progress),
        percent=round(status.progress * 100),
        eta=msg.eta_text(status.eta_s),
    )

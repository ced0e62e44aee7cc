"""The one place where a job meets the engine: selfies in, album stored, nothing else.

`load_engine` runs once per worker (models stay in memory between jobs); `run_order` runs
one attempt of one job in a worker thread: it reads the order's selfies from the photo store,
calls `engine.pipeline.run_pipeline`, and writes the ranked images, the contact sheet and
`album.json` under the user's prefix. The database is only touched by the caller, after this
returns, so an attempt that dies half-way leaves at most files that the next attempt
overwrites.
"""

from __future__ import annotations

import io
import json
from typing import Any

from PIL import Image

from bot.jobs.context import WorkerContext
from bot.settings import Settings
from engine.pipeline import EngineResources, PipelineRequest, load_engine_resources, run_pipeline
from engine.progress import CancelToken, ProgressCallback
from engine.types import Album
from storage.jobs import StoredAlbum, StoredResult
from storage.models import Job
from storage.photos import user_prefix


def load_engine(settings: Settings) -> EngineResources:
    """Load every model the pipeline needs, once, at worker start-up."""
    return load_engine_resources(settings)


def album_prefix(job: Job) -> str:
    return f"{user_prefix(job.user_id)}/jobs/{job.id}"


def run_order(
    job: Job, ctx: WorkerContext, *, progress: ProgressCallback, cancel: CancelToken
) -> StoredAlbum:
    """Run the pipeline for `job` and store its album; raises the engine's typed errors."""
    selfies = [_load_selfie(ctx, key) for key in job.params["photo_keys"]]
    request = PipelineRequest(
        selfies=selfies,
        style=job.style,
        count=job.count,
        keep=job.keep,
        seed=job.seed,
        backend=job.backend,
    )
    album = run_pipeline(request, ctx.engine, progress=progress, cancel=cancel)
    return _store_album(ctx, job, album)


def _load_selfie(ctx: WorkerContext, key: str) -> Image.Image:
    with Image.open(io.BytesIO(ctx.store.get_bytes(key))) as image:
        return image.convert("RGB")


def _store_album(ctx: WorkerContext, job: Job, album: Album) -> StoredAlbum:
    prefix = album_prefix(job)
    results: list[StoredResult] = []
    for rank, item in enumerate(album.items, start=1):
        image = item.candidate.image
        key = ctx.store.put_image(f"{prefix}/{rank:02d}.jpg", image)
        results.append(
            StoredResult(
                rank=rank,
                store_key=key,
                width=image.width,
                height=image.height,
                identity=float(item.identity),
                quality=float(item.quality),
                style_fit=float(item.style_fit),
                score=float(item.score),
                cluster=int(item.cluster),
                params={**_jsonable(item.candidate.params), "seed": item.candidate.seed},
            )
        )
    sheet_key = None
    if album.contact_sheet is not None:
        sheet_key = ctx.store.put_image(f"{prefix}/contact_sheet.jpg", album.contact_sheet)
    description = {
        "job_id": job.id,
        "style": album.style,
        "dropped": album.dropped,
        "contact_sheet": sheet_key,
        "items": [
            {
                "rank": r.rank,
                "key": r.store_key,
                "identity": r.identity,
                "quality": r.quality,
                "style_fit": r.style_fit,
                "score": r.score,
                "cluster": r.cluster,
            }
            for r in results
        ],
    }
    album_key = ctx.store.put_bytes(f"{prefix}/album.json", json.dumps(description, indent=2).encode())
    return StoredAlbum(album_key=album_key, results=tuple(results), contact_sheet_key=sheet_key)


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    """Keep only the candidate parameters that survive JSON (the ones "more like #3" reuses)."""
    return {k: v for k, v in params.items() if isinstance(v, str | int | float | bool | type(None))}

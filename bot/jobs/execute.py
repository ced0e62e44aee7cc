"""The one place where a job meets the engine: selfies in, album stored, nothing else.

The worker loads the engine once (`bot.engine_config.load_engine_from_settings`; models stay
in memory between jobs); `run_order` runs one attempt of one job in a worker thread: it
reads the order's selfies from the photo store, calls `engine.pipeline.run_pipeline`, and
writes the ranked images, the contact sheet and `album.json` under the user's prefix. The
database is only touched by the caller, after this returns, so an attempt that dies
half-way leaves at most files that the next attempt overwrites.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from bot.jobs.context import WorkerContext
from conversations.personal.selfies import photo_name
from engine.album import album_manifest, item_record
from engine.errors import EngineError, ModelUnavailableError
from engine.pipeline import EngineResources, PipelineRequest, run_pipeline
from engine.progress import CancelToken, ProgressCallback
from engine.styles import validate_custom_style
from engine.types import Album, GenerationBackend
from storage.jobs import StoredAlbum, StoredResult
from storage.models import Job
from storage.photos import user_prefix

EMPTY_ALBUM_MESSAGE = (
    "None of the headshots made from these selfies passed our checks (likeness, one clear face). "
    "Try again with brighter, sharper selfies facing the camera."
)


def selfie_name(key: str) -> str:
    """The name the chat gave a stored selfie ("photo 3" for `.../03.jpg`), so what a worker
    says about a photo ("photo 3 looks like a different person") names it as the chat did."""
    file = key.rsplit("/", 1)[-1]
    stem = file.split(".", 1)[0]
    return photo_name(int(stem)) if stem.isdigit() else file


def album_prefix(job: Job) -> str:
    return f"{user_prefix(job.user_id)}/jobs/{job.id}"


def run_order(
    job: Job,
    ctx: WorkerContext,
    *,
    progress: ProgressCallback,
    cancel: CancelToken,
    personalise: Callable[[GenerationBackend], GenerationBackend] | None = None,
    stats: Mapping[str, Any] | None = None,
) -> StoredAlbum:
    """Run the pipeline for `job` and store its album; raises the engine's typed errors.

    `personalise` wraps the job's backend for this order only (a studio order's LoRA);
    `stats` are added to the album's."""
    if job.backend not in ctx.engine.backends:
        loaded = ", ".join(sorted(ctx.engine.backends))
        msg = f"This service cannot make {job.backend} headshots right now (it runs: {loaded})."
        raise ModelUnavailableError(msg)
    engine = ctx.engine
    custom = job.params.get("custom_style")
    if custom:
        # A team's own template travels with the job, validated by the engine's own rules.
        engine = engine.with_styles([validate_custom_style(custom, reserved=engine.styles.names())])
    selfies = [(selfie_name(key), ctx.store.get_bytes(key)) for key in job.params["photo_keys"]]
    request = PipelineRequest(
        selfies=selfies,
        style=job.style,
        count=job.count,
        keep=job.keep,
        seed=job.seed,
        backend=job.backend,
        stats={"job_id": job.id, "attempt": job.attempts, **(stats or {})},
        anchor=dict(job.params.get("more_like") or {}).get("params"),
    )
    resources = _with_batch_scale(engine, job.backend, float(job.params.get("batch_scale", 1.0)))
    if personalise is not None:
        backend = personalise(resources.backend(job.backend))
        resources = dataclasses.replace(resources, backends={**resources.backends, job.backend: backend})
    with _unet_held(resources, job.backend):
        album = run_pipeline(request, resources, progress=progress, cancel=cancel)
    if not album.items:
        raise EngineError(EMPTY_ALBUM_MESSAGE, code="empty_album")
    try:
        return _store_album(ctx, job, album)
    except BaseException:
        ctx.store.delete_prefix(album_prefix(job))  # a half-written album (disk full) leaves nothing
        raise


@contextmanager
def _unet_held(resources: EngineResources, backend: str) -> Iterator[None]:
    """Diffusers orders take the UNet's lock, so no order ever runs while another order's
    LoRA is attached (or being trained) on the shared UNet of this process."""
    current = resources.backends.get(backend)
    models = getattr(getattr(current, "inner", current), "models", None)
    if backend != "diffusers" or models is None:
        yield
        return
    from engine.training.lora import unet_lock

    with unet_lock(models.pipe.unet):
        yield


def _with_batch_scale(resources: EngineResources, backend: str, scale: float) -> EngineResources:
    """After the GPU ran out of memory, retry with smaller UNet batches (`Job.params["batch_scale"]`).

    The worker's shared backend is left alone; this attempt gets a view of the same loaded
    models with a smaller `batch_size`.
    """
    if scale >= 1.0 or backend != "diffusers":
        return resources
    from engine.generation.diffusers_backend import DiffusersBackend

    current = resources.backends.get(backend)
    if not isinstance(current, DiffusersBackend):
        return resources
    options = current.options
    size = max(1, int(options.batch_size * scale))
    if size == options.batch_size:
        return resources
    models = dataclasses.replace(current.models, options=dataclasses.replace(options, batch_size=size))
    return dataclasses.replace(resources, backends={**resources.backends, backend: DiffusersBackend(models)})


def _store_album(ctx: WorkerContext, job: Job, album: Album) -> StoredAlbum:
    """Images, contact sheet and the engine's `album.json` manifest, under the user's prefix."""
    prefix = album_prefix(job)
    results: list[StoredResult] = []
    names: list[str] = []
    for rank, item in enumerate(album.items, start=1):
        name = f"{rank:02d}.jpg"
        key = ctx.store.put_image(f"{prefix}/{name}", item.candidate.image)
        record = item_record(rank, item, name)
        names.append(name)
        results.append(
            StoredResult(
                rank=rank,
                store_key=key,
                width=record["width"],
                height=record["height"],
                identity=float(item.identity),
                quality=float(item.quality),
                style_fit=float(item.style_fit),
                score=float(item.score),
                cluster=int(item.cluster),
                # What "more like #3" needs: the parameters, the seed, the face embedding, the look.
                params={
                    **record["params"],
                    "seed": record["seed"],
                    "embedding": record["embedding"],
                    "descriptor": record["descriptor"],
                },
            )
        )
    sheet_key = None
    if album.contact_sheet is not None:
        sheet_key = ctx.store.put_image(f"{prefix}/contact_sheet.jpg", album.contact_sheet)
    manifest = album_manifest(album, names, "contact_sheet.jpg" if sheet_key else None)
    manifest["job_id"] = job.id
    album_key = ctx.store.put_bytes(f"{prefix}/album.json", json.dumps(manifest, indent=2).encode())
    return StoredAlbum(album_key=album_key, results=tuple(results), contact_sheet_key=sheet_key)

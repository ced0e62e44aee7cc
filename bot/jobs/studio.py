"""A studio order on the worker: train (or reuse) the person's LoRA, then the usual album.

Stages: "assess" (the selfies, as the pipeline judges them), "prior" (class images from the
base model), "train" (one event per step), then the pipeline's own stages with the LoRA
attached. Checkpoints go to the photo store every `studio_checkpoint_every` steps under the
user's prefix; the next attempt (on any worker) resumes from the last one, so a SIGKILL costs
at most that many steps. Every file is written only while the job still exists and is not
cancelled, and removed again if that changed during the write: a /delete during training
leaves nothing behind. A finished LoRA is reused by the same user's later studio orders on
the same selfies ("More like", "Another style"), never trained twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.jobs import execute
from bot.jobs.context import WorkerContext
from bot.settings import Settings
from engine.errors import GenerationCancelledError, ModelUnavailableError, SetNotReadyError
from engine.pipeline import best_selfies, not_ready_message
from engine.progress import CancelToken, ProgressCallback, ProgressEvent
from engine.training.examples import training_set
from engine.training.recipe import TrainingRecipe
from storage import jobs
from storage.jobs import StoredAlbum
from storage.models import Job
from storage.studio import CHECKPOINT, METADATA, WEIGHTS, reusable_lora, studio_prefix

if TYPE_CHECKING:
    from engine.training.lora import PersonLora
    from engine.training.trainer import Checkpoint
    from engine.types import GenerationBackend

log = logging.getLogger(__name__)

NEEDS_GPU = (
    "Studio albums are made on our GPU workers, and this one cannot train right now. "
    "Please try the instant album, or order the studio album again later."
)


def recipe_from(settings: Settings) -> TrainingRecipe:
    return TrainingRecipe(
        steps=settings.studio_steps,
        rank=settings.studio_rank,
        learning_rate=settings.studio_learning_rate,
        resolution=settings.studio_resolution,
        batch_size=settings.studio_batch_size,
        checkpoint_every=settings.studio_checkpoint_every,
        class_images=settings.studio_class_images,
        class_steps=settings.studio_class_steps,
        gradient_checkpointing=settings.studio_gradient_checkpointing,
        mixed_precision="bf16"
        if settings.dtype == "bfloat16"
        else "fp16"
        if settings.dtype == "float16"
        else "no",
    )


def run_studio(
    job: Job, ctx: WorkerContext, *, progress: ProgressCallback, cancel: CancelToken
) -> StoredAlbum:
    """Train or reuse the LoRA, then generate, rank and store the album like any order."""
    # torch, diffusers and peft load only on a worker that runs a studio order.
    from engine.training.personal import PersonalisedBackend

    backend = ctx.engine.backends.get("diffusers")
    if backend is None:
        raise ModelUnavailableError(NEEDS_GPU, code="studio_unavailable")
    try:
        person, stats = _person_lora(job, ctx, backend, progress, cancel)
    except GenerationCancelledError:
        if jobs.cancel_requested(ctx.db, job.id):
            ctx.store.delete_prefix(studio_prefix(job.user_id, job.id))
        raise

    def personalise(inner: GenerationBackend) -> GenerationBackend:
        return PersonalisedBackend(inner, person)

    if job.backend != "diffusers":
        log.warning("studio job %s generates with the %s backend: its LoRA is not used", job.id, job.backend)
    return execute.run_order(
        job,
        ctx,
        progress=progress,
        cancel=cancel,
        personalise=personalise if job.backend == "diffusers" else None,
        stats={"studio": stats},
    )


def _person_lora(
    job: Job, ctx: WorkerContext, backend: Any, progress: ProgressCallback, cancel: CancelToken
) -> tuple[PersonLora, dict[str, Any]]:
    from engine.training import lora
    from engine.training.trainer import TrainingModels, train_lora

    keys = list(job.params["photo_keys"])
    reuse = reusable_lora(ctx.db, ctx.store, job.user_id, keys)
    if reuse is not None:
        person = lora.PersonLora.from_parts(
            ctx.store.get_bytes(f"{reuse}/{WEIGHTS}"), ctx.store.get_bytes(f"{reuse}/{METADATA}")
        )
        if person.base_model == ctx.settings.base_model_id:
            log.info("job %s reuses the studio LoRA in %s", job.id, reuse)
            return person, {"trained": False, "lora": reuse}
    recipe = recipe_from(ctx.settings)
    assessor = ctx.engine.assessor
    assessments = []
    for index, key in enumerate(keys):
        cancel.raise_if_cancelled()
        assessments.append(assessor.assess(ctx.store.get_bytes(key), key.rsplit("/", 1)[-1]))
        progress(ProgressEvent("assess", index + 1, len(keys)))
    verdict = assessor.assess_set([a.signature for a in assessments])
    if not verdict.readiness.ready or verdict.profile is None:
        raise SetNotReadyError(not_ready_message(verdict, assessments))
    selfies = best_selfies(assessments, verdict.usable, verdict.similarities)
    data = training_set(selfies, verdict.profile.attributes, recipe)

    prefix = studio_prefix(job.user_id, job.id)
    checkpoint_key = f"{prefix}/{CHECKPOINT}"
    resume = ctx.store.get_bytes(checkpoint_key) if ctx.store.exists(checkpoint_key) else None

    def save(checkpoint: Checkpoint) -> None:
        _write_owned(ctx, job, checkpoint_key, checkpoint.data)
        log.info("job %s: studio checkpoint at step %d", job.id, checkpoint.step)

    models = backend.models
    training = TrainingModels(
        models.pipe, models.device, models.dtype, models.identity_dim, tuple(models.adapters)
    )
    with lora.unet_lock(models.pipe.unet):
        result = train_lora(
            training, data, recipe, resume=resume, on_checkpoint=save, progress=progress, cancel=cancel
        )
    person = lora.PersonLora(
        weights=result.weights,
        token=data.token,
        class_noun=data.class_noun,
        base_model=ctx.settings.base_model_id,
        rank=recipe.rank,
        steps=result.steps,
    )
    _write_owned(ctx, job, f"{prefix}/{WEIGHTS}", person.weights)
    _write_owned(ctx, job, f"{prefix}/{METADATA}", person.metadata_json())
    ctx.store.delete(checkpoint_key)
    return person, {
        "trained": True,
        "lora": prefix,
        "steps": result.steps,
        "resumed_from": result.resumed_from,
        "examples": len(data.examples),
        "probe_loss_before": round(result.probe_loss_before, 5),
        "probe_loss_after": round(result.probe_loss_after, 5),
        "seconds_per_step": round(result.seconds_per_step, 4),
    }


def _write_owned(ctx: WorkerContext, job: Job, key: str, data: bytes) -> None:
    """Write `key` only while the job is live; if it was cancelled or erased meanwhile, the
    job's studio folder goes (the write may have raced the erasure) and training stops."""
    if not jobs.cancel_requested(ctx.db, job.id):
        ctx.store.put_bytes(key, data)
        if not jobs.cancel_requested(ctx.db, job.id):
            return
    ctx.store.delete_prefix(studio_prefix(job.user_id, job.id))
    raise GenerationCancelledError

"""Settings -> engine resources: the one place that reads `Settings` for the engine.

The engine takes plain values (`engine.pipeline.load_engine_resources`); the worker, the CLI
and the bots call `load_engine_from_settings` once at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.settings import Settings
from engine.pipeline import EngineResources, load_engine_resources


def load_engine_from_settings(settings: Settings, backends: Sequence[str] | None = None) -> EngineResources:
    """Load the engine with `backends` (default: the configured `generation_backend`; the
    preview backend is always loaded too, for previews before a full generation)."""
    names = (
        tuple(backends)
        if backends is not None
        else tuple(dict.fromkeys(("preview", settings.generation_backend)))
    )
    diffusers_models = diffusers_options = None
    if "diffusers" in names:
        from engine.generation.options import GenerationOptions, ModelIds

        diffusers_models = ModelIds.from_settings(settings)
        diffusers_options = GenerationOptions.from_settings(settings)
    flux2_options = None
    if "flux2" in names:
        from engine.generation.flux2_options import Flux2Options

        flux2_options = Flux2Options(
            model=settings.flux2_model_id,
            device=settings.device,
            dtype=settings.dtype,
            steps=settings.flux2_steps,
            references=settings.flux2_references,
            reference_size=settings.flux2_reference_size,
            batch_size=settings.generation_batch_size,
            cpu_offload=settings.generation_cpu_offload,
        )
    return load_engine_resources(
        face_backend=settings.face_backend,
        insightface_pack=settings.insightface_pack,
        insightface_root=settings.insightface_root,
        backends=names,
        diffusers_models=diffusers_models,
        diffusers_options=diffusers_options,
        flux2_options=flux2_options,
        upscaler_path=settings.upscaler_path,
        device=settings.device,
        max_upload_bytes=settings.max_upload_bytes,
        max_image_pixels=settings.max_image_pixels,
        min_selfies=settings.min_selfies,
    )

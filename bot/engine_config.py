"""Settings -> engine resources: the one place that reads `Settings` for the engine.

The engine takes plain values (`engine.pipeline.load_engine_resources`); the worker, the CLI
and the bots call `load_engine_from_settings` once at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from bot.settings import Settings
from engine.generation.options import GenerationOptions, ModelIds
from engine.pipeline import EngineResources, load_engine_resources


def model_ids(settings: Settings) -> ModelIds:
    """Which diffusion models to load (Hugging Face ids or local folders), and the face pack
    that conditions generation (the identity mode's own unless set; "profile" = none)."""
    lora = settings.ip_adapter_lora_weight
    if lora == "auto":
        weight = settings.ip_adapter_weight
        lora = weight.removesuffix(".bin") + "_lora.safetensors" if "faceid" in weight else ""
    pack = settings.identity_face_pack or (
        "antelopev2" if settings.generation_identity == "instantid" else "buffalo_l"
    )
    return ModelIds(
        base=settings.base_model_id,
        ip_adapter=settings.ip_adapter_id,
        ip_adapter_weight=settings.ip_adapter_weight,
        ip_adapter_lora=lora or None,
        image_encoder=settings.image_encoder_id,
        controlnets=MappingProxyType(dict(settings.controlnet_ids)),
        instantid=settings.instantid_controlnet_id,
        fast_lora=settings.fast_lora_id,
        fast_lora_weight=settings.fast_lora_weight,
        identity_face_pack=None if pack == "profile" else pack,
        face_root=settings.insightface_root,
    )


def generation_options(settings: Settings) -> GenerationOptions:
    """How the diffusers backend runs (device, precision, identity mode, speed switches)."""
    return GenerationOptions(
        device=settings.device,
        dtype=settings.dtype,
        identity=settings.generation_identity,
        controlnets=None,  # the kinds the styles use (load_engine_resources)
        control_union=settings.generation_control_union,
        scheduler=settings.generation_scheduler,
        fast=settings.generation_fast,
        batch_size=settings.generation_batch_size,
        compile=settings.generation_compile,
        cpu_offload=settings.generation_cpu_offload,
        vae_tiling=settings.generation_vae_tiling,
        face_detail=settings.generation_face_detail,
        face_detail_strength=settings.generation_face_detail_strength,
    )


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
        diffusers_models = model_ids(settings)
        diffusers_options = generation_options(settings)
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
        grading_face_backend=settings.grading_face_backend,
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

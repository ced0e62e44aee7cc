"""Loading the diffusion models once per worker, with errors that say how to get them.

Everything slow or fallible about the diffusers backend happens here, at worker start-up:
fetching weights (Hub id or local folder), attaching the identity adapter, the ControlNets
and the few-step LoRA, and applying the speed and memory options. A missing model raises
`ModelUnavailableError` naming the model and the command or setting that fixes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import torch
from diffusers import (
    ControlNetModel,
    ControlNetUnionModel,
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    StableDiffusionXLPipeline,
    UniPCMultistepScheduler,
)
from diffusers.models.attention_processor import AttnProcessor

from engine.errors import ModelUnavailableError
from engine.generation.adapters import (
    IdentityAdapter,
    check_embedding_size,
    identity_files,
    load_identity_adapter,
)
from engine.generation.face_encoder import FaceEncoder
from engine.generation.options import GenerationOptions, ModelIds
from engine.generation.weights import (
    WeightFile,
    check_weight_files,
    controlnet_files,
    is_folder,
    sdxl_files,
    variant_for,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
FAST_ADAPTER = "fast"


@dataclass
class LoadedModels:
    """The loaded base pipeline and extras, on their device, ready to be shared by pipelines."""

    pipe: Any
    controlnets: dict[str, Any]
    device: torch.device
    dtype: torch.dtype
    ids: ModelIds
    options: GenerationOptions
    identity_dim: int | None = None
    adapters: list[str] = field(default_factory=list)
    identity: IdentityAdapter | None = None
    face_encoder: FaceEncoder | None = None


def resolve_device(name: str) -> torch.device:
    """`auto` means a CUDA GPU, required: without one generation would take hours per order."""
    if name == "auto":
        if not torch.cuda.is_available():
            raise ModelUnavailableError(
                "Generation needs a CUDA GPU and none was found. Run the worker on a GPU machine, use the "
                "preview backend (HEADSHOTS_GENERATION_BACKEND=preview), or set HEADSHOTS_DEVICE=cpu to "
                "run very slowly on the processor.",
                code="no_gpu",
            )
        return torch.device("cuda")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailableError(
            f"HEADSHOTS_DEVICE={name} but no CUDA GPU is available here.", code="no_gpu"
        )
    return device


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    """float16 is not worth it on a CPU (slow or unsupported kernels): use float32 there."""
    dtype = DTYPES[name]
    if device.type == "cpu" and dtype == torch.float16:
        log.info("float16 requested on CPU; using float32")
        return torch.float32
    return dtype


def fetch(what: str, model_id: str | Path, env: str, load: Callable[[], T]) -> T:
    """Run `load`, turning "not found / no network / bad folder" into an actionable error
    (the files themselves were checked by `check_weight_files`; this catches the rest)."""
    try:
        return load()
    except (OSError, ValueError) as exc:
        how = (
            f"check that the folder {model_id} exists and holds a diffusers save"
            if is_folder(model_id)
            else f"fetch its files one by one with `huggingface-cli download {model_id} <file>`, or point "
            f"{env} "
            "at a local folder"
        )
        raise ModelUnavailableError(
            f"The {what} model '{model_id}' could not be loaded: {how}. ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else ''})"
        ) from exc


SCHEDULERS: dict[str, tuple[Any, dict[str, Any]]] = {
    "euler": (EulerDiscreteScheduler, {}),
    "euler_a": (EulerAncestralDiscreteScheduler, {}),
    "dpmpp_2m": (DPMSolverMultistepScheduler, {}),
    "dpmpp_2m_karras": (DPMSolverMultistepScheduler, {"use_karras_sigmas": True}),
    "ddim": (DDIMScheduler, {}),
    "unipc": (UniPCMultistepScheduler, {}),
}
FAST_SCHEDULER: tuple[Any, dict[str, Any]] = (EulerDiscreteScheduler, {"timestep_spacing": "trailing"})
_PIPELINE: Any = StableDiffusionXLPipeline
_CONTROLNET: Any = ControlNetModel
_UNION_CONTROLNET: Any = ControlNetUnionModel
UNION = "union"


def make_scheduler(name: str, config: Any, *, fast: bool) -> Any:
    """A scheduler by name from the base model's config; the few-step LoRA needs Euler with
    trailing timesteps, whatever was asked for."""
    scheduler_class, extra = FAST_SCHEDULER if fast else SCHEDULERS[name]
    return scheduler_class.from_config(config, **extra)


def required_files(ids: ModelIds, options: GenerationOptions, half: bool) -> list[WeightFile]:
    """Every weight file `load_models` will read for these ids and options."""
    variant = variant_for(ids.base, half, "unet/diffusion_pytorch_model.fp16.safetensors")
    files = sdxl_files(ids.base, "HEADSHOTS_BASE_MODEL_ID", variant)
    kinds = (UNION,) if options.control_union and options.controlnets else options.controlnets or ()
    for kind in kinds:
        if kind in ids.controlnets:
            source = ids.controlnets[kind]
            probe = variant_for(source, half, "diffusion_pytorch_model.fp16.safetensors")
            files += controlnet_files(f"{kind} ControlNet", source, "HEADSHOTS_CONTROLNET_IDS", probe)
    if options.identity == "instantid":
        files += controlnet_files(
            "InstantID IdentityNet",
            ids.instantid,
            "HEADSHOTS_INSTANTID_CONTROLNET_ID",
            None,
            subfolder=ids.instantid_subfolder,
        )
    files += identity_files(ids, options)
    if options.fast:
        files.append(
            WeightFile("few-step LoRA", ids.fast_lora, ids.fast_lora_weight, "HEADSHOTS_FAST_LORA_ID")
        )
    return files


def _load_union(ids: ModelIds, options: GenerationOptions, dtype: torch.dtype) -> dict[str, Any]:
    """One union ControlNet serving every kind in `options.controlnets` (the same module under
    each kind's name; `DiffusersBackend` sends each image with its `UNION_MODES` type)."""
    if UNION not in ids.controlnets:
        raise ModelUnavailableError(
            "HEADSHOTS_GENERATION_CONTROL_UNION is on but no union ControlNet is configured; add "
            '"union" to HEADSHOTS_CONTROLNET_IDS, e.g. {"union": "xinsir/controlnet-union-sdxl-1.0"}.'
        )
    model_id = ids.controlnets[UNION]
    union = fetch(
        "union ControlNet",
        model_id,
        "HEADSHOTS_CONTROLNET_IDS",
        partial(
            _UNION_CONTROLNET.from_pretrained,
            str(model_id),
            dtype=dtype,
            variant=variant_for(model_id, dtype != torch.float32, "diffusion_pytorch_model.fp16.safetensors"),
            use_safetensors=True,
            local_files_only=options.local_files_only,
        ),
    )
    return dict.fromkeys(options.controlnets or (), union)


def _load_controlnets(ids: ModelIds, options: GenerationOptions, dtype: torch.dtype) -> dict[str, Any]:
    if options.control_union and options.controlnets:
        return _load_union(ids, options, dtype)
    controlnets: dict[str, Any] = {}
    half = dtype != torch.float32
    for kind in options.controlnets or ():
        if kind not in ids.controlnets:
            raise ModelUnavailableError(
                f"No model is configured for the '{kind}' ControlNet; add it to HEADSHOTS_CONTROLNET_IDS "
                f"(configured: {', '.join(ids.controlnets) or 'none'})."
            )
        model_id = ids.controlnets[kind]
        controlnets[kind] = fetch(
            f"{kind} ControlNet",
            model_id,
            "HEADSHOTS_CONTROLNET_IDS",
            partial(
                _CONTROLNET.from_pretrained,
                str(model_id),
                dtype=dtype,
                variant=variant_for(model_id, half, "diffusion_pytorch_model.fp16.safetensors"),
                use_safetensors=True,
                local_files_only=options.local_files_only,
            ),
        )
    if options.identity == "instantid":
        controlnets["instantid"] = fetch(
            "InstantID identity ControlNet",
            ids.instantid,
            "HEADSHOTS_INSTANTID_CONTROLNET_ID",
            lambda: _CONTROLNET.from_pretrained(
                str(ids.instantid),
                subfolder=ids.instantid_subfolder,
                dtype=dtype,
                use_safetensors=True,
                local_files_only=options.local_files_only,
            ),
        )
    return controlnets


def load_models(ids: ModelIds, options: GenerationOptions, *, profile_dim: int | None = None) -> LoadedModels:
    """Check, then load and prepare everything `options` asks for; slow (seconds to minutes),
    call once. `profile_dim` is the ranking backend's embedding size, which conditions the
    adapter when no identity face pack is configured.

    Start-up checks, in order, each failing with what to do: the device; every weight file;
    the identity face model; its embedding size against the adapter's input.
    """
    device = resolve_device(options.device)
    dtype = resolve_dtype(options.dtype, device)
    half = dtype != torch.float32
    check_weight_files(required_files(ids, options, half))
    encoder = None
    if options.identity != "none" and ids.identity_face_pack is not None:
        encoder = FaceEncoder(
            pack=ids.identity_face_pack,
            root=ids.face_root,
            normalise=options.identity != "instantid",
            device=str(device),
        )
    variant = variant_for(ids.base, half, "unet/diffusion_pytorch_model.fp16.safetensors")
    pipe: Any = fetch(
        "base diffusion",
        ids.base,
        "HEADSHOTS_BASE_MODEL_ID",
        lambda: _PIPELINE.from_pretrained(
            str(ids.base),
            dtype=dtype,
            variant=variant,
            use_safetensors=True,
            local_files_only=options.local_files_only,
        ),
    )
    if not options.sdpa:
        pipe.unet.set_attn_processor(AttnProcessor())
        pipe.vae.set_attn_processor(AttnProcessor())
    models = LoadedModels(pipe, _load_controlnets(ids, options, dtype), device, dtype, ids, options)
    models.face_encoder = encoder
    if options.identity != "none":
        models.identity = load_identity_adapter(pipe, ids, options, dtype)
        models.identity_dim = models.identity.embedding_dim
        models.adapters = list(models.identity.loras)
        check_embedding_size(models.identity, encoder.embedding_dim if encoder else profile_dim, ids)
    if options.fast:
        fetch(
            "few-step LoRA",
            ids.fast_lora,
            "HEADSHOTS_FAST_LORA_ID",
            lambda: pipe.load_lora_weights(
                str(ids.fast_lora),
                weight_name=ids.fast_lora_weight,
                adapter_name=FAST_ADAPTER,
                local_files_only=options.local_files_only,
            ),
        )
        models.adapters = [*models.adapters, FAST_ADAPTER]
    if models.adapters:
        pipe.set_adapters(models.adapters, adapter_weights=[1.0] * len(models.adapters))
    pipe.scheduler = make_scheduler(options.scheduler, pipe.scheduler.config, fast=options.fast)
    _place(models)
    return models


def _place(models: LoadedModels) -> None:
    """Device, memory layout, tiling and compilation, in the order diffusion-fast uses."""
    pipe, options = models.pipe, models.options
    pipe.set_progress_bar_config(disable=True)
    if options.channels_last:
        pipe.unet.to(memory_format=torch.channels_last)
        pipe.vae.to(memory_format=torch.channels_last)
        for controlnet in {id(c): c for c in models.controlnets.values()}.values():
            controlnet.to(memory_format=torch.channels_last)
    if options.vae_tiling:
        pipe.vae.enable_tiling()
    if options.cpu_offload:
        if models.device.type != "cuda":
            raise ModelUnavailableError("CPU offload only makes sense with a CUDA GPU; turn it off on CPU.")
        pipe.enable_model_cpu_offload(device=models.device)
    else:
        pipe.to(models.device)
        for controlnet in {id(c): c for c in models.controlnets.values()}.values():
            controlnet.to(models.device)
        if pipe.image_encoder is not None:
            pipe.image_encoder.to(models.device)
    if options.compile:
        pipe.unet = torch.compile(pipe.unet, mode="max-autotune", fullgraph=True)

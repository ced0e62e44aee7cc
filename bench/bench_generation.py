"""Generation benchmarks: FLOP floor, CPU figures with tiny models, full-size SDXL on a GPU.

    python bench/bench_generation.py flops
        SDXL UNet / ControlNet / VAE FLOPs per forward, counted with FlopCounterMode on the
        meta device from the published configs (no weights), and the time floor they imply.
    python bench/bench_generation.py cpu [--size 96] [--steps 10] [--count 4] [--threads 1]
        The real DiffusersBackend with tiny random-weight components on the CPU: what each
        option costs relative to the others (absolute numbers say nothing about SDXL).
    python bench/bench_generation.py gpu [--size 1024] [--steps 30] [--count 8]
        Full-size SDXL built from the published configs with random weights (the speed of a
        network does not depend on its weights), saved once and loaded through the real
        backend: seconds per image, images per minute, peak VRAM, per option and batch size.

Run from the repository root with PYTHONPATH=. .
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from bench.sdxl_configs import TEXT_ENCODER, TEXT_ENCODER_2, UNET, VAE
from engine.generation.diffusers_backend import DiffusersBackend
from engine.generation.options import DTypeName, GenerationOptions
from engine.progress import CancelToken, ignore_progress
from engine.prompts import build_request, plan_candidates
from engine.styles import StyleLibrary
from engine.types import Attribute, IdentityProfile
from tests.engine.conftest import synthetic_crop
from tests.engine.tiny_sdxl import (
    IP_ADAPTER_WEIGHT,
    TinyModels,
    faceid_state_dict,
    make_tokenizer,
    save_tiny_lora,
    save_tiny_models,
)

PEAK_TFLOPS = {"H100 SXM bf16 dense": 989.0, "A100 bf16 dense": 312.0}


def count_flops(module: Any, *args: Any, **kwargs: Any) -> float:
    with FlopCounterMode(display=False) as counter:
        module(*args, **kwargs)
    return float(counter.get_total_flops())


def flops() -> None:
    from diffusers import AutoencoderKL, ControlNetModel, UNet2DConditionModel

    with torch.device("meta"):
        unet = UNet2DConditionModel(**UNET)
        controlnet = ControlNetModel.from_unet(unet)
        vae = AutoencoderKL(**VAE)
    params = sum(p.numel() for p in unet.parameters()) / 1e9  # type: ignore[attr-defined]
    print(f"SDXL UNet parameters: {params:.3f} B")
    for side in (512, 1024):
        latent = side // 8
        with torch.device("meta"):
            sample, step, text = (
                torch.empty(1, 4, latent, latent),
                torch.tensor([999.0]),
                torch.empty(1, 77, 2048),
            )
            added = {"text_embeds": torch.empty(1, 1280), "time_ids": torch.empty(1, 6)}
            hint = torch.empty(1, 3, side, side)
        unet_f = count_flops(unet, sample, step, text, added_cond_kwargs=added)
        control_f = count_flops(controlnet, sample, step, text, hint, added_cond_kwargs=added)
        vae_f = count_flops(vae.decode, sample)  # type: ignore[attr-defined]
        print(f"{side}x{side}: UNet {unet_f / 1e12:.2f} TFLOP/forward ({2 * unet_f / 1e12:.2f} with CFG), "
              f"ControlNet {control_f / 1e12:.2f}, VAE decode {vae_f / 1e12:.2f}")  # fmt: skip
        with_control = 30 * 2 * (unet_f + control_f) + vae_f
        print(f"  30 steps + CFG + one ControlNet + decode = {with_control / 1e12:.1f} TFLOP -> floor H100 "
              f"{with_control / (PEAK_TFLOPS['H100 SXM bf16 dense'] * 1e12):.3f} s")  # fmt: skip
        for steps in (30, 8, 4):
            cfg = 2 if steps == 30 else 1  # few-step LoRAs run without CFG
            total = steps * cfg * unet_f + vae_f
            floors = ", ".join(f"{name} {total / (peak * 1e12):.3f} s" for name, peak in PEAK_TFLOPS.items())
            label = f"{steps} steps{' + CFG' if cfg == 2 else ''}"
            print(f"  {label} + decode = {total / 1e12:.1f} TFLOP -> floor {floors}")


@dataclass(frozen=True)
class Variant:
    label: str
    options: GenerationOptions
    controls: dict[str, float]


@contextmanager
def peak_memory(device: str) -> Iterator[dict[str, float]]:
    result: dict[str, float] = {}
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    yield result
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        result["peak_gib"] = torch.cuda.max_memory_allocated() / 2**30


def time_variant(models: TinyModels, variant: Variant, *, size: int, steps: int, count: int) -> None:
    load_start = time.perf_counter()
    backend = DiffusersBackend.load(models.model_ids(), variant.options)
    load_s = time.perf_counter() - load_start
    template = StyleLibrary.builtin().get("corporate")
    crops = [synthetic_crop("a.jpg"), synthetic_crop("b.jpg", shift=12)]
    vector = np.random.default_rng(0).standard_normal(512).astype(np.float32)
    identity = IdentityProfile(vector / np.linalg.norm(vector), "insightface", 0.4, ("a",), (1.0,))
    specs = plan_candidates(template, [Attribute("gender", "man", 0.9)], count, seed=1, reference_faces=crops)
    request = build_request(template, specs, identity, crops, width=size, height=size, steps=steps)
    request = replace(request, control_weights=variant.controls)
    warm = replace(request, candidates=request.candidates[: variant.options.batch_size], steps=min(steps, 2))
    backend.generate(warm, progress=ignore_progress, cancel=CancelToken())
    with peak_memory(variant.options.device) as memory:
        start, cpu_start = time.perf_counter(), time.process_time()
        backend.generate(request, progress=ignore_progress, cancel=CancelToken())
        seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    per_image = seconds / count
    peak = f", peak {memory['peak_gib']:.1f} GiB" if "peak_gib" in memory else ""
    rate = f"{per_image:7.3f} s/image  {60 / per_image:7.1f} images/min"
    print(f"  {variant.label:<34} {rate}{peak}  (load {load_s:.1f} s, CPU {cpu_s / count:.3f} s/image)")
    del backend
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def variants(base: GenerationOptions, batches: list[int]) -> list[Variant]:
    canny = {"canny": 0.5}
    found = [
        Variant("IP-Adapter-FaceID, no ControlNet", base, {}),
        Variant("+ canny ControlNet", base, canny),
        Variant("+ canny + openpose", base, {"canny": 0.5, "openpose": 0.5}),
        Variant("InstantID-style (keypoints net)", replace(base, identity="instantid"), {}),
        Variant("no SDPA (eager attention)", replace(base, sdpa=False), canny),
        Variant("channels_last", replace(base, channels_last=True), canny),
        Variant("VAE tiling", replace(base, vae_tiling=True), canny),
        Variant("few-step LoRA, 4 steps, no CFG", replace(base, fast=True, fast_steps=4), canny),
    ]
    found += [Variant(f"batch {size}", replace(base, batch_size=size), canny) for size in batches]
    if base.device.startswith("cuda"):
        found.append(Variant("torch.compile max-autotune", replace(base, compile=True), canny))
        found.append(Variant("float32 (vs bf16)", replace(base, dtype="float32"), canny))
    return found


def save_full_size_models(root: Path, dtype: torch.dtype) -> TinyModels:
    """Full-size SDXL, ControlNets, FaceID adapter and LoRA with random weights, from configs."""
    from diffusers import AutoencoderKL, ControlNetModel, EulerDiscreteScheduler, UNet2DConditionModel
    from diffusers import StableDiffusionXLPipeline as Pipeline
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    tokenizer = make_tokenizer(root / "tokenizer")  # a 514-entry vocabulary costs the same per token
    unet = UNet2DConditionModel(**UNET)
    pipeline_class: Any = Pipeline
    pipe: Any = pipeline_class(
        vae=AutoencoderKL(**VAE),
        text_encoder=CLIPTextModel(CLIPTextConfig(**TEXT_ENCODER)),
        text_encoder_2=CLIPTextModelWithProjection(CLIPTextConfig(**TEXT_ENCODER_2)),
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=unet,
        scheduler=EulerDiscreteScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear"),
    ).to(dtype=dtype)
    pipe.save_pretrained(root / "sdxl")
    controlnets = {}
    for kind in ("canny", "openpose"):
        controlnets[kind] = root / f"controlnet-{kind}"
        ControlNetModel.from_unet(unet).to(dtype=dtype).save_pretrained(controlnets[kind])
    ControlNetModel.from_unet(unet).to(dtype=dtype).save_pretrained(root / "instantid" / "ControlNetModel")
    (root / "ip-adapter").mkdir()
    torch.save(faceid_state_dict(unet), root / "ip-adapter" / IP_ADAPTER_WEIGHT)
    save_tiny_lora(unet, root / "lora")
    return TinyModels(root / "sdxl", root / "ip-adapter", controlnets, root / "instantid", root / "lora")


def run(mode: str, args: argparse.Namespace) -> None:
    device = "cpu" if mode == "cpu" else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("gpu mode needs a CUDA GPU")
    dtype: DTypeName = "float32" if device == "cpu" else "bfloat16"
    if device == "cpu":
        torch.set_num_threads(args.threads)
    base = GenerationOptions(
        device=device,
        dtype=dtype,
        controlnets=("canny", "openpose"),
        scheduler="euler",
        local_files_only=True,
    )
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        if mode == "cpu":
            models = save_tiny_models(Path(folder))
        else:
            models = save_full_size_models(Path(folder), torch.bfloat16)
        print(f"built and saved models in {time.perf_counter() - start:.1f} s")
        name = (
            torch.cuda.get_device_name()
            if device == "cuda"
            else f"CPU, {torch.get_num_threads()} torch threads"
        )
        print(
            f"{mode}: {name}; {args.size}x{args.size}, {args.steps} steps, {args.count} candidates, {dtype}"
        )
        for variant in variants(base, args.batches):
            time_variant(models, variant, size=args.size, steps=args.steps, count=args.count)


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["flops", "cpu", "gpu"])
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1, help="torch threads in cpu mode")
    parser.add_argument("--batches", type=lambda s: [int(v) for v in s.split(",")], default=None)
    args = parser.parse_args()
    if args.mode == "flops":
        flops()
        return
    gpu = args.mode == "gpu"
    args.size = args.size or (1024 if gpu else 96)
    args.steps = args.steps or (30 if gpu else 10)
    args.count = args.count or (8 if gpu else 4)
    args.batches = args.batches or ([2, 4, 8] if gpu else [4])
    run(args.mode, args)


if __name__ == "__main__":
    main()

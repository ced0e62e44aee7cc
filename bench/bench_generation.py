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
    python bench/bench_generation.py gpu-order
        The one prepared GPU check (< 8 minutes): full-size random-weight SDXL + the openpose
        ControlNet + each identity adapter (FaceID-PlusV2 with CLIP ViT-H, InstantID with its
        IdentityNet) in bf16; an order of 8 candidates at 1024² at 30 steps and at 8 steps
        (Lightning-style LoRA), with and without the face detail pass; s/image, peak VRAM and
        the FLOP floor of the same work on the device.

Run from the repository root with PYTHONPATH=. .
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from bench.sdxl_configs import TEXT_ENCODER, TEXT_ENCODER_2, UNET, VAE
from engine.generation.diffusers_backend import DiffusersBackend
from engine.generation.options import DTypeName, GenerationOptions, ModelIds
from engine.progress import CancelToken, ignore_progress
from engine.prompts import build_request, plan_candidates
from engine.styles import StyleLibrary
from engine.types import Attribute, Face, IdentityProfile
from tests.engine.conftest import synthetic_crop
from tests.engine.generation.identity_fixtures import square_selfie
from tests.engine.tiny_sdxl import (
    FACEID_LORA_WEIGHT,
    INSTANTID_ADAPTER_WEIGHT,
    IP_ADAPTER_WEIGHT,
    PLUSV2_LORA_WEIGHT,
    PLUSV2_WEIGHT,
    TinyModels,
    faceid_plus_state_dict,
    faceid_state_dict,
    instantid_state_dict,
    make_tokenizer,
    save_tiny_lora,
    save_tiny_models,
)

PEAK_TFLOPS = {"H100 SXM bf16 dense": 989.0, "A100 bf16 dense": 312.0}
PEAK_BY_NAME = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "4090": 165.0}
"""Dense bf16 peak TFLOPS by GPU name fragment (H200 has H100's tensor cores)."""
CLIP_VIT_H: dict[str, Any] = {
    "hidden_size": 1280, "intermediate_size": 5120, "num_attention_heads": 16, "num_hidden_layers": 32,
    "image_size": 224, "patch_size": 14, "projection_dim": 1024, "hidden_act": "gelu",
}  # fmt: skip
"""laion/CLIP-ViT-H-14-laion2B-s32B-b79K's vision tower, FaceID-Plus' image encoder."""


def detail_face(size: int) -> Face:
    """Where a head-and-shoulders headshot's face sits: random weights draw no face for a
    detector to find, so the detail pass is timed on this box."""
    half = size * 0.16
    centre = size / 2
    points = np.array([[-0.35, -0.2], [0.35, -0.2], [0, 0.1], [-0.3, 0.45], [0.3, 0.45]], np.float32)
    return Face(
        bbox=(centre - half, centre - half * 1.2, centre + half, centre + half * 1.2),
        score=0.99,
        landmarks=(points * half + centre).astype(np.float32),
    )


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
    ends: dict[str, float] = field(default_factory=dict)
    plus: bool = False
    detail: bool = False


def variant_ids(models: TinyModels, variant: Variant) -> ModelIds:
    ids = replace(models.model_ids(), ip_adapter_lora=FACEID_LORA_WEIGHT)
    if variant.plus:
        ids = replace(ids, ip_adapter_weight=PLUSV2_WEIGHT, ip_adapter_lora=PLUSV2_LORA_WEIGHT)
    return ids


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
    backend = DiffusersBackend.load(variant_ids(models, variant), variant.options)
    load_s = time.perf_counter() - load_start
    if variant.detail:
        backend.face_detector = lambda _image: [detail_face(size)]
    request = order_request(variant, size=size, steps=steps, count=count)
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
    """Each generation path as production runs it after issue 16 (FaceID with its LoRA,
    pose-plan openpose ending at 0.6, face-only edges ending at 0.4, PlusV2, InstantID's
    Resampler, the face detail pass), then the speed switches."""
    pose, pose_end = {"openpose": 0.6}, {"openpose": 0.6}
    plain = replace(base, face_detail=False)
    found = [
        Variant("FaceID + LoRA, no ControlNet", plain, {}),
        Variant("+ openpose (pose plan, end 0.6)", plain, pose, pose_end),
        Variant(
            "+ openpose + face canny (end 0.4)", plain, {**pose, "canny": 0.2}, {**pose_end, "canny": 0.4}
        ),
        Variant("FaceID-PlusV2 (CLIP + LoRA) + openpose", plain, pose, pose_end, plus=True),
        Variant("InstantID (Resampler + IdentityNet)", replace(plain, identity="instantid"), {}),
        Variant("FaceID + openpose + face detail pass", base, pose, pose_end, detail=True),
        Variant(
            "few-step LoRA, 4 steps, + openpose", replace(plain, fast=True, fast_steps=4), pose, pose_end
        ),
        Variant("union ControlNet: openpose (end 0.6)", replace(plain, control_union=True), pose, pose_end),
        Variant(
            "union ControlNet: openpose + face canny (end 0.4)",
            replace(plain, control_union=True),
            {**pose, "canny": 0.2},
            {**pose_end, "canny": 0.4},
        ),
    ]
    found += [
        Variant(f"batch {size}, + openpose", replace(plain, batch_size=size), pose, pose_end)
        for size in batches
    ]
    if base.device.startswith("cuda"):
        found.append(Variant("torch.compile max-autotune", replace(plain, compile=True), pose, pose_end))
    return found


def save_full_size_models(
    root: Path, dtype: torch.dtype, controlnets: tuple[str, ...] = ("canny", "openpose")
) -> TinyModels:
    """Full-size SDXL, ControlNets, IdentityNet, the FaceID / FaceID-PlusV2 / InstantID
    adapters in their published layouts, CLIP ViT-H and LoRAs, all random, from configs."""
    from diffusers import AutoencoderKL, ControlNetModel, EulerDiscreteScheduler, UNet2DConditionModel
    from diffusers import StableDiffusionXLPipeline as Pipeline
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
    )

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
    folders = {}
    for kind in controlnets:
        folders[kind] = root / f"controlnet-{kind}"
        ControlNetModel.from_unet(unet).to(dtype=dtype).save_pretrained(folders[kind])
    instantid = root / "instantid"
    ControlNetModel.from_unet(unet).to(dtype=dtype).save_pretrained(instantid / "ControlNetModel")
    torch.save(instantid_state_dict(unet, width=1280), instantid / INSTANTID_ADAPTER_WEIGHT)
    adapter = root / "ip-adapter"
    adapter.mkdir()
    torch.save(faceid_state_dict(unet), adapter / IP_ADAPTER_WEIGHT)
    torch.save(faceid_plus_state_dict(unet, clip_hidden=CLIP_VIT_H["hidden_size"]), adapter / PLUSV2_WEIGHT)
    save_tiny_lora(unet, adapter, FACEID_LORA_WEIGHT)
    save_tiny_lora(unet, adapter, PLUSV2_LORA_WEIGHT)
    save_tiny_lora(unet, root / "lora")
    clip: Any = CLIPVisionModelWithProjection(CLIPVisionConfig(**CLIP_VIT_H))
    clip.to(dtype=dtype).save_pretrained(root / "clip")
    return TinyModels(root / "sdxl", adapter, folders, instantid, root / "lora", root / "clip")


def order_floor(size: int, steps: int, cfg: bool, nets: int, detail: bool, strength: float) -> float:
    """FLOPs of one candidate (UNet + ControlNets per step, VAE decode, and the detail pass
    at the same size for strength x steps), from the PERF.md counts scaled by area."""
    area = (size / 1024) ** 2
    unet, net, vae = 6.76e12 * area, 3.02e12 * area, 10.5e12 * area
    per_step = (unet + nets * net) * (2 if cfg else 1)
    total = steps * per_step + vae
    if detail:  # img2img: one encode (~half a decode) + strength x steps + decode, IdentityNet if any
        total += round(steps * strength) * per_step + 1.5 * vae
    return total


def gpu_order(args: argparse.Namespace) -> None:
    """The prepared GPU check: one script, full-size random weights, an order of 8."""
    if not torch.cuda.is_available():
        raise SystemExit("gpu-order needs a CUDA GPU")
    name = torch.cuda.get_device_name()
    peak = next((tflops for key, tflops in PEAK_BY_NAME.items() if key in name), 989.0)
    size, count = args.size or 1024, args.count or 8
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        models = save_full_size_models(Path(folder), torch.bfloat16, controlnets=("openpose",))
        print(f"{name}: built and saved full-size random models in {time.perf_counter() - start:.0f} s")
        base = GenerationOptions(
            device="cuda",
            dtype="bfloat16",
            controlnets=("openpose",),
            scheduler="euler",
            local_files_only=True,
        )
        for label, options, plus in (
            ("FaceID-PlusV2 + openpose", base, True),
            ("InstantID + openpose", replace(base, identity="instantid"), False),
        ):
            for steps, fast in ((30, False), (8, True)):
                for detail in (False, True):
                    run_options = replace(options, fast=fast, fast_steps=8, face_detail=detail)
                    pose = {"openpose": 0.6}
                    variant = Variant(label, run_options, pose, pose, plus=plus, detail=detail)
                    seconds, memory = time_order(models, variant, size=size, steps=steps, count=count)
                    nets = 1 + (options.identity == "instantid")
                    floor = order_floor(size, steps, not fast, nets, detail, options.face_detail_strength)
                    print(
                        f"  {label:<26} {steps:>2} steps detail={detail!s:<5} {seconds / count:6.2f} s/image "
                        f"peak {memory:5.1f} GiB  floor {floor / (peak * 1e12):.2f} s ({peak:.0f} TFLOPS)",
                        flush=True,
                    )
    print(f"total {time.perf_counter() - start:.0f} s")


def time_order(
    models: TinyModels, variant: Variant, *, size: int, steps: int, count: int
) -> tuple[float, float]:
    backend = DiffusersBackend.load(variant_ids(models, variant), variant.options)
    if variant.detail:
        backend.face_detector = lambda _image: [detail_face(size)]
    request = order_request(variant, size=size, steps=steps, count=count)
    backend.generate(replace(request, candidates=request.candidates[:1], steps=2), progress=ignore_progress,
                     cancel=CancelToken())  # fmt: skip
    with peak_memory("cuda") as memory:
        start = time.perf_counter()
        backend.generate(request, progress=ignore_progress, cancel=CancelToken())
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    del backend
    torch.cuda.empty_cache()
    return seconds, memory["peak_gib"]


def order_request(variant: Variant, *, size: int, steps: int, count: int) -> Any:
    template = StyleLibrary.builtin().get("corporate")
    crops = [synthetic_crop("a.jpg"), synthetic_crop("b.jpg", shift=12)]
    vector = np.random.default_rng(0).standard_normal(512).astype(np.float32)
    identity = IdentityProfile(vector / np.linalg.norm(vector), "insightface", 0.4, ("a",), (1.0,))
    specs = plan_candidates(template, [Attribute("gender", "man", 0.9)], count, seed=1, reference_faces=crops)
    request = build_request(template, specs, identity, crops, width=size, height=size, steps=steps)
    return replace(
        request,
        control_weights=variant.controls,
        control_ends=variant.ends,
        reference_selfies=(square_selfie("a"),),
    )


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
            if args.only and not any(part in variant.label for part in args.only):
                continue
            time_variant(models, variant, size=args.size, steps=args.steps, count=args.count)


def main() -> None:
    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["flops", "cpu", "gpu", "gpu-order"])
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1, help="torch threads in cpu mode")
    parser.add_argument("--batches", type=lambda s: [int(v) for v in s.split(",")], default=None)
    parser.add_argument(
        "--only", type=lambda s: s.split(","), default=None, help="rows whose name holds one of these words"
    )
    args = parser.parse_args()
    if args.mode == "flops":
        flops()
        return
    if args.mode == "gpu-order":
        gpu_order(args)
        return
    gpu = args.mode == "gpu"
    args.size = args.size or (1024 if gpu else 96)
    args.steps = args.steps or (30 if gpu else 10)
    args.count = args.count or (8 if gpu else 4)
    args.batches = args.batches or ([2, 4, 8] if gpu else [4])
    run(args.mode, args)


if __name__ == "__main__":
    main()

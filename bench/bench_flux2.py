"""FLUX.2 [klein] 4B benchmarks: FLOP floor, CPU figures with tiny models, full size on a GPU.

python -m bench.bench_flux2 flops
    FLOPs of one transformer forward at 1024² with 0-4 references, the Qwen3-4B prompt
    encoding and the VAE, counted with FlopCounterMode on the meta device from the
    published configs (bench/flux2_configs.py), as ../shared/PERF.md counts SDXL; and the
    time floor at 4 steps that implies on an H100/H200 (989 TFLOP/s dense bf16).
python -m bench.bench_flux2 cpu [--size 64] [--count 4] [--threads 1]
    The real Flux2Backend on tiny random-weight components (tests/engine/tiny_flux2.py):
    what references and batching cost relative to each other. Says nothing about 4B.
python -m bench.bench_flux2 gpu [--size 1024] [--steps 4] [--count 8] [--references 3]
    Full-size FLUX.2 [klein] 4B built from the published configs with random weights in
    bf16 (speed does not depend on weights; the images are noise), run through the real
    Flux2Backend: seconds per image at batch 1 and 4, with and without references, and
    peak VRAM. About 5 minutes on an H100/H200 (no download: nothing to fetch).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.bench_generation import PEAK_TFLOPS, count_flops
from bench.flux2_configs import TEXT_ENCODER, TEXT_TOKENS, TRANSFORMER, VAE
from engine.generation.flux2_backend import Flux2Backend
from engine.generation.flux2_options import Flux2Options
from engine.progress import CancelToken, ignore_progress
from engine.prompts import build_request, plan_candidates
from engine.styles import StyleLibrary
from engine.types import GenerationRequest, IdentityProfile
from tests.engine.conftest import synthetic_crop
from tests.engine.tiny_flux2 import assemble, make_qwen_tokenizer, save_tiny_flux2, tiny_options

STEPS = 4


def _tokens(side: int) -> int:
    """Image tokens: 8x VAE, then 2x2 packing."""
    return (side // 16) ** 2


def qwen3_flops(tokens: int) -> float:
    """Qwen3-4B forward FLOPs for one padded prompt, counted by hand: transformers' causal
    mask cannot be built on the meta device. Linear layers 2·in·out per token, attention
    2·2·T²·(heads·head_dim) per layer, and the LM head the pipeline's forward also runs."""
    c = TEXT_ENCODER
    width, inner, kv = (
        c["hidden_size"],
        c["num_attention_heads"] * c["head_dim"],
        c["num_key_value_heads"] * c["head_dim"],
    )
    linear = width * inner + 2 * width * kv + inner * width + 3 * width * c["intermediate_size"]
    per_layer = 2 * linear * tokens + 4 * tokens**2 * inner
    return float(c["num_hidden_layers"] * per_layer + 2 * tokens * width * c["vocab_size"])


def flops() -> None:
    from diffusers import AutoencoderKLFlux2, Flux2Transformer2DModel
    from transformers import Qwen3Config, Qwen3ForCausalLM

    with torch.device("meta"):
        transformer: Any = Flux2Transformer2DModel(**TRANSFORMER)
        text_encoder: Any = Qwen3ForCausalLM(Qwen3Config(**TEXT_ENCODER))
        vae: Any = AutoencoderKLFlux2(**VAE)
    params = sum(p.numel() for p in transformer.parameters()) / 1e9
    text_params = sum(p.numel() for p in text_encoder.parameters()) / 1e9
    print(f"transformer {params:.2f} B parameters, text encoder {text_params:.2f} B")
    out = _tokens(1024)
    text = torch.zeros(1, TEXT_TOKENS, TRANSFORMER["joint_attention_dim"], device="meta")
    txt_ids = torch.zeros(1, TEXT_TOKENS, 4, device="meta")
    per_forward = {}
    for refs, ref_side in ((0, 1024), (1, 1024), (2, 1024), (3, 1024), (4, 1024), (3, 512)):
        n = out + refs * _tokens(ref_side)
        flop = count_flops(
            transformer,
            hidden_states=torch.zeros(1, n, TRANSFORMER["in_channels"], device="meta"),
            encoder_hidden_states=text,
            timestep=torch.zeros(1, device="meta"),
            img_ids=torch.zeros(1, n, 4, device="meta"),
            txt_ids=txt_ids,
            guidance=None,
            return_dict=False,
        )
        per_forward[(refs, ref_side)] = flop
        print(
            f"transformer forward at 1024², {refs} references of {ref_side}² ({n} image tokens): "
            f"{flop / 1e12:.2f} TFLOP"
        )
    text_flop = qwen3_flops(TEXT_TOKENS)
    decode = count_flops(vae.decode, torch.zeros(1, 32, 128, 128, device="meta"))
    encode = count_flops(vae.encode, torch.zeros(1, 3, 1024, 1024, device="meta"))
    print(f"Qwen3-4B prompt encoding ({TEXT_TOKENS} tokens): {text_flop / 1e12:.2f} TFLOP")
    print(
        f"VAE decode 1024²: {decode / 1e12:.2f} TFLOP; "
        f"VAE encode of one 1024² reference: {encode / 1e12:.2f} TFLOP"
    )
    for refs, ref_side in ((0, 1024), (3, 1024), (3, 512)):
        encodes = refs * encode * (ref_side / 1024) ** 2
        total = STEPS * per_forward[(refs, ref_side)] + text_flop + decode + encodes
        floors = ", ".join(f"{name} {total / (peak * 1e12):.3f} s" for name, peak in PEAK_TFLOPS.items())
        print(
            f"one 1024² image, {STEPS} steps, {refs} references of {ref_side}²: {total / 1e12:.1f} TFLOP "
            f"-> floor {floors}"
        )


def _request(size: int, count: int, seed: int = 7) -> GenerationRequest:
    template = StyleLibrary.builtin().get("corporate")
    specs = plan_candidates(template, [], count, seed=seed)
    profile = IdentityProfile(np.ones(128, np.float32) / np.sqrt(128), "dlib", 0.92, ("a",), (1.0,))
    crops = [synthetic_crop(f"selfie_0{i}.jpg", shift=4 * i, size=256) for i in range(4)]
    return build_request(template, specs, profile, crops, width=size, height=size, steps=STEPS)


def _time(backend: Flux2Backend, request: GenerationRequest) -> float:
    backend.generate(
        replace(request, candidates=request.candidates[:1]), progress=ignore_progress, cancel=CancelToken()
    )
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    started = time.perf_counter()
    backend.generate(request, progress=ignore_progress, cancel=CancelToken())
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return (time.perf_counter() - started) / len(request.candidates)


def cpu(size: int, count: int, threads: int) -> None:
    torch.set_num_threads(threads)
    root = Path(tempfile.mkdtemp())
    model = save_tiny_flux2(root)
    print(f"tiny FLUX.2 [klein] on CPU, {threads} thread(s), {size}² output, {STEPS} steps, {count} images")
    for refs in (1, 2, 4):
        for batch in (1, 2):
            options = tiny_options(model, steps=STEPS, references=refs, batch_size=batch)
            seconds = _time(Flux2Backend.load(options), _request(size, count))
            print(f"  references {refs} x 64², batch {batch}: {seconds:.3f} s per image")


def gpu(size: int, steps: int, count: int, references: int) -> None:
    from diffusers import (
        AutoencoderKLFlux2,
        Flux2Transformer2DModel,
    )
    from transformers import Qwen3Config, Qwen3ForCausalLM

    dtype = torch.bfloat16
    started = time.perf_counter()
    with torch.device("cuda"):
        transformer: Any = Flux2Transformer2DModel(**TRANSFORMER)
        text_encoder: Any = Qwen3ForCausalLM(Qwen3Config(**TEXT_ENCODER))
        vae: Any = AutoencoderKLFlux2(**VAE)
    transformer, text_encoder, vae = (m.to(dtype) for m in (transformer, text_encoder, vae))
    tokenizer = make_qwen_tokenizer(Path(tempfile.mkdtemp()))
    pipe: Any = assemble(transformer, text_encoder, tokenizer, vae)
    print(
        f"full-size random-weight FLUX.2 [klein] 4B built on {torch.cuda.get_device_name()} "
        f"in {time.perf_counter() - started:.0f} s"
    )
    for refs in (0, references):
        for batch in (1, 4):
            options = Flux2Options(device="cuda", steps=steps, references=max(refs, 1), batch_size=batch)
            backend = Flux2Backend(pipe, options)
            request = _request(size, count)
            if refs == 0:
                request = replace(request, reference_faces=(), reference_selfies=())
                backend.pipe = _without_references(pipe)
            torch.cuda.reset_peak_memory_stats()
            seconds = _time(backend, request)
            peak = torch.cuda.max_memory_allocated() / 2**30
            print(
                f"  {size}², {steps} steps, references {refs}, batch {batch}: "
                f"{seconds:.3f} s per image, peak {peak:.1f} GiB"
            )


def _without_references(pipe: Any) -> Any:
    """The same pipeline called without `image`: text-to-image, the speed baseline."""

    def call(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("image", None)
        return pipe(*args, **kwargs)

    return call


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mode", choices=["flops", "cpu", "gpu"])
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--references", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.mode == "flops":
        flops()
    elif args.mode == "cpu":
        cpu(args.size or 64, args.count or 4, args.threads)
    else:
        gpu(args.size or 1024, args.steps, args.count or 8, args.references)


if __name__ == "__main__":
    main()

"""Studio training speed: the LoRA step time on the CPU with tiny components, and the GPU recipe.

    python bench/bench_studio.py cpu [--size 64] [--steps 10] [--threads 1]
        The real trainer (engine.training.trainer.train_lora) on tiny random-weight SDXL
        components with synthetic crops: seconds per training step, with and without
        gradient checkpointing and prior preservation. Absolute numbers say nothing about
        SDXL; they are what a CI run of the studio tests costs.
    python bench/bench_studio.py gpu [--steps 20] [--warmup 3]
        Full-size SDXL UNet built from the published config with random weights (speed does
        not depend on the weights; the result is not a usable LoRA), LoRA of the default rank
        on the attention projections, bf16 autocast, AdamW (8-bit when bitsandbytes is
        installed), latents at 1024 px (128x128), batch 1 and 2, with and without gradient
        checkpointing: steps per second, peak VRAM, and minutes for 1,000 steps. Prior
        preservation doubles the UNet batch, so "batch 2" is also the cost of batch 1 with it.

Run from the repository root with PYTHONPATH=. .
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from engine.training import lora
from engine.training.examples import TrainingExample, TrainingSet
from engine.training.recipe import TrainingRecipe
from engine.training.trainer import TrainingModels, train_lora
from tests.engine.conftest import synthetic_crop


def cpu(size: int, steps: int, threads: int) -> None:
    from diffusers import StableDiffusionXLPipeline

    from tests.engine.tiny_sdxl import save_tiny_models

    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as folder:
        tiny = save_tiny_models(Path(folder))
        pipe: Any = StableDiffusionXLPipeline.from_pretrained(str(tiny.base))
    pipe.set_progress_bar_config(disable=True)
    models = TrainingModels(pipe, torch.device("cpu"), torch.float32)
    images = [synthetic_crop(f"s{i}.jpg", shift=i * 3, size=size).image for i in range(6)]
    data = TrainingSet(
        tuple(
            TrainingExample(image, "a photo of ohwx person", f"s{i}.jpg") for i, image in enumerate(images)
        ),
        "ohwx",
        "person",
        "a photo of ohwx person",
        "a photo of a person",
    )
    print(f"tiny SDXL components, {size} px, {steps} steps, {threads} thread(s)")
    for checkpointing in (False, True):
        for class_images in (0, 2):
            recipe = TrainingRecipe(
                steps=steps, rank=4, resolution=size, class_images=class_images, class_steps=2,
                gradient_checkpointing=checkpointing, checkpoint_every=steps,
            )  # fmt: skip
            result = train_lora(models, data, recipe)
            print(
                f"  gradient checkpointing {'on ' if checkpointing else 'off'}, prior "
                f"{'on ' if class_images else 'off'}: {result.seconds_per_step * 1000:7.1f} ms/step, "
                f"probe loss {result.probe_loss_before:.4f} -> {result.probe_loss_after:.4f}"
            )


def gpu(steps: int, warmup: int) -> None:
    from diffusers import UNet2DConditionModel

    from bench.sdxl_configs import UNET

    if not torch.cuda.is_available():
        raise SystemExit("no CUDA GPU here: run this on the GPU worker")
    device = torch.device("cuda")
    unet: Any = UNet2DConditionModel.from_config(UNET).to(device, torch.bfloat16)
    rank = TrainingRecipe().rank
    params = lora.add_training_adapter(unet, rank)
    try:
        import bitsandbytes as bnb  # type: ignore[import-not-found]

        optimizer: Any = bnb.optim.AdamW8bit(params, lr=1e-4)
        adam = "8-bit AdamW"
    except ImportError:
        optimizer = torch.optim.AdamW(params, lr=1e-4)
        adam = "AdamW"
    print(
        f"{torch.cuda.get_device_name()}: SDXL UNet (random weights), LoRA rank {rank}, bf16 autocast, {adam}"
    )
    unet.train()
    for checkpointing in (False, True):
        if checkpointing:
            unet.enable_gradient_checkpointing()
        else:
            unet.disable_gradient_checkpointing()
        for batch in (1, 2):
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            latents = torch.randn(batch, 4, 128, 128, device=device)
            hidden = torch.randn(batch, 77, 2048, device=device)
            added = {
                "text_embeds": torch.randn(batch, 1280, device=device),
                "time_ids": torch.tensor([[1024, 1024, 0, 0, 1024, 1024]] * batch, device=device),
            }
            timesteps = torch.randint(0, 1000, (batch,), device=device)
            try:
                for index in range(warmup + steps):
                    if index == warmup:
                        torch.cuda.synchronize()
                        start = time.perf_counter()
                    with torch.autocast("cuda", dtype=torch.bfloat16):
                        out = unet(
                            latents, timesteps, encoder_hidden_states=hidden, added_cond_kwargs=added
                        ).sample
                    loss = torch.nn.functional.mse_loss(out.float(), latents)
                    loss.backward()
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                torch.cuda.synchronize()
            except torch.OutOfMemoryError:
                print(f"  batch {batch}, checkpointing {checkpointing}: out of memory")
                continue
            per_step = (time.perf_counter() - start) / steps
            peak = torch.cuda.max_memory_allocated() / 2**30
            print(
                f"  batch {batch}, gradient checkpointing {'on ' if checkpointing else 'off'}: "
                f"{1 / per_step:5.2f} steps/s, peak {peak:5.1f} GiB, "
                f"1,000 steps in {per_step * 1000 / 60:5.1f} min"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("cpu")
    c.add_argument("--size", type=int, default=64)
    c.add_argument("--steps", type=int, default=10)
    c.add_argument("--threads", type=int, default=1)
    g = sub.add_parser("gpu")
    g.add_argument("--steps", type=int, default=20)
    g.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    if args.mode == "cpu":
        cpu(args.size, args.steps, args.threads)
    else:
        gpu(args.steps, args.warmup)


if __name__ == "__main__":
    main()

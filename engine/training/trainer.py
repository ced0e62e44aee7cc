"""DreamBooth-style LoRA training of the SDXL UNet, one step at a time, crash-safe.

Reads like diffusers' `train_dreambooth_lora_sdxl.py` without accelerate: the text encoders
and VAE are frozen, so prompts are encoded and the selfie crops are turned into latents once;
each step noises a batch of latents at random timesteps and teaches the LoRA to predict the
noise (plus the prior-preservation term on class images sampled from the base model).
Every `checkpoint_every` steps the whole state (LoRA, optimiser, random generator, class
latents) is handed to `on_checkpoint`; `resume` takes such bytes back and the step counter
continues where it stopped. Progress is ("prior", i, n) then ("train", step, steps);
`cancel` is checked between steps.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from diffusers import DDPMScheduler

from engine.errors import TransientGenerationError
from engine.progress import CancelToken, ProgressCallback, ProgressEvent, ignore_progress
from engine.training import lora
from engine.training.examples import TrainingSet
from engine.training.recipe import TrainingRecipe

log = logging.getLogger(__name__)

_DDPM: Any = DDPMScheduler
CLASS_GUIDANCE = 5.0
PROBE_SEED = 1234
"""Fixed noise and timesteps for the before/after loss, so the two are comparable."""


@dataclass(frozen=True)
class TrainingModels:
    """What training needs from the worker's loaded SDXL pipeline (shared, never copied)."""

    pipe: Any
    device: torch.device
    dtype: torch.dtype
    identity_dim: int | None = None
    """Set when the UNet carries an IP-Adapter: it is fed zeros at scale 0 while training."""
    active_adapters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checkpoint:
    step: int
    data: bytes


@dataclass(frozen=True)
class TrainingResult:
    weights: bytes
    steps: int
    resumed_from: int
    losses: tuple[float, ...]
    probe_loss_before: float
    probe_loss_after: float
    seconds_per_step: float


@dataclass
class _State:
    step: int
    generator: torch.Generator
    class_latents: torch.Tensor | None
    losses: list[float]
    probe_before: float | None


def _serialise(state: _State, unet: Any, optimizer: torch.optim.Optimizer) -> bytes:
    buffer = io.BytesIO()
    torch.save(
        {
            "step": state.step,
            "lora": lora.adapter_state(unet),
            "optimizer": optimizer.state_dict(),
            "generator": state.generator.get_state(),
            "class_latents": state.class_latents,
            "losses": state.losses,
            "probe_before": state.probe_before,
        },
        buffer,
    )
    return buffer.getvalue()


def _restore(data: bytes, unet: Any, optimizer: torch.optim.Optimizer) -> _State:
    saved = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    lora.load_adapter_state(unet, saved["lora"])
    optimizer.load_state_dict(saved["optimizer"])
    generator = torch.Generator("cpu")
    generator.set_state(saved["generator"])
    return _State(
        step=int(saved["step"]),
        generator=generator,
        class_latents=saved["class_latents"],
        losses=[float(v) for v in saved["losses"]],
        probe_before=saved["probe_before"],
    )


def _optimizer(params: list[torch.nn.Parameter], recipe: TrainingRecipe, device: torch.device) -> Any:
    """AdamW; bitsandbytes' 8-bit AdamW on a CUDA GPU when it is installed (a quarter of the
    optimiser memory, as the diffusers README's low-VRAM recipe does)."""
    kwargs: dict[str, Any] = {
        "lr": recipe.learning_rate,
        "betas": recipe.adam_betas,
        "weight_decay": recipe.adam_weight_decay,
        "eps": recipe.adam_epsilon,
    }
    if recipe.use_8bit_adam and device.type == "cuda":
        try:
            import bitsandbytes as bnb  # type: ignore[import-not-found]
        except ImportError:
            log.info("bitsandbytes is not installed; training with torch's AdamW")
        else:
            return bnb.optim.AdamW8bit(params, **kwargs)
    return torch.optim.AdamW(params, **kwargs)


class _Step:
    """The frozen inputs of every step: latents, prompt embeddings, time ids, scheduler."""

    def __init__(self, models: TrainingModels, data: TrainingSet, recipe: TrainingRecipe) -> None:
        pipe = models.pipe
        self.models, self.recipe = models, recipe
        self.unet = pipe.unet
        self.scheduler = _DDPM.from_config(pipe.scheduler.config)
        res = recipe.resolution
        self.time_ids = torch.tensor([[res, res, 0, 0, res, res]], device=models.device, dtype=models.dtype)
        with torch.no_grad():
            self.instance = self._encode_prompt(data.instance_prompt)
            self.klass = self._encode_prompt(data.class_prompt)
        self.autocast = recipe.mixed_precision != "no" and models.device.type == "cuda"
        self.autocast_dtype = torch.bfloat16 if recipe.mixed_precision == "bf16" else torch.float16

    def _encode_prompt(self, prompt: str) -> tuple[torch.Tensor, torch.Tensor]:
        embeds, _neg, pooled, _neg_pooled = self.models.pipe.encode_prompt(
            prompt, device=self.models.device, num_images_per_prompt=1, do_classifier_free_guidance=False
        )
        return embeds, pooled

    def encode_images(self, data: TrainingSet, generator: torch.Generator) -> torch.Tensor:
        """VAE latents of every example (scaled as the UNet sees them), on the device."""
        vae = self.models.pipe.vae
        latents = []
        with torch.no_grad():
            for example in data.examples:
                pixels = np.asarray(example.image.convert("RGB"), dtype=np.float32) / 127.5 - 1.0
                tensor = torch.from_numpy(pixels).permute(2, 0, 1)[None].to(self.models.device, vae.dtype)
                dist = vae.encode(tensor).latent_dist
                noise = torch.randn(dist.mean.shape, generator=generator).to(dist.mean)
                latents.append((dist.mean + dist.std * noise) * vae.config.scaling_factor)
        encoded: torch.Tensor = torch.cat(latents).to(self.models.dtype)
        return encoded

    def target(self, latents: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        if self.scheduler.config.prediction_type == "v_prediction":
            velocity: torch.Tensor = self.scheduler.get_velocity(latents, noise, timesteps)
            return velocity
        return noise

    def predict(
        self, latents: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor, prompts: torch.Tensor
    ) -> torch.Tensor:
        """UNet noise prediction for `latents` noised at `timesteps`; `prompts` picks, per
        sample, the instance (0) or the class (1) prompt."""
        count = latents.shape[0]
        noisy = self.scheduler.add_noise(latents, noise, timesteps)
        embeds = torch.cat([self.instance[0], self.klass[0]])[prompts]
        pooled = torch.cat([self.instance[1], self.klass[1]])[prompts]
        added: dict[str, Any] = {"text_embeds": pooled, "time_ids": self.time_ids.repeat(count, 1)}
        if self.models.identity_dim is not None:
            zeros = torch.zeros(count, 1, 1, self.models.identity_dim, device=latents.device)
            added["image_embeds"] = [zeros.to(self.models.dtype)]
        with torch.autocast(self.models.device.type, dtype=self.autocast_dtype, enabled=self.autocast):
            out = self.unet(noisy, timesteps, encoder_hidden_states=embeds, added_cond_kwargs=added).sample
        prediction: torch.Tensor = out.float()
        return prediction


def _draw(
    generator: torch.Generator, shape: torch.Size, count: int, steps: int
) -> tuple[torch.Tensor, torch.Tensor]:
    noise = torch.randn(shape, generator=generator)
    timesteps = torch.randint(0, steps, (count,), generator=generator)
    return noise, timesteps


def class_latents(
    models: TrainingModels,
    data: TrainingSet,
    recipe: TrainingRecipe,
    generator: torch.Generator,
    *,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> torch.Tensor:
    """Prior-preservation images of the class ("a photo of a woman") from the frozen base
    model, kept as latents (they are only ever fed back to the UNet)."""
    pipe = models.pipe
    latents = []
    kwargs: dict[str, Any] = {}
    if models.identity_dim is not None:
        pipe.set_ip_adapter_scale(0.0)
        kwargs["ip_adapter_image_embeds"] = [
            torch.zeros(2, 1, 1, models.identity_dim, device=models.device, dtype=models.dtype)
        ]
    for index in range(recipe.class_images):
        cancel.raise_if_cancelled()
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        with torch.inference_mode():
            out = pipe(
                prompt=data.class_prompt,
                width=recipe.resolution,
                height=recipe.resolution,
                num_inference_steps=recipe.class_steps,
                guidance_scale=CLASS_GUIDANCE,
                generator=torch.Generator("cpu").manual_seed(seed),
                output_type="latent",
                **kwargs,
            )
        latents.append(out.images.detach().to("cpu", torch.float32).clone())
        progress(ProgressEvent("prior", index + 1, recipe.class_images))
    return torch.cat(latents)


def train_lora(
    models: TrainingModels,
    data: TrainingSet,
    recipe: TrainingRecipe,
    *,
    resume: bytes | None = None,
    on_checkpoint: Callable[[Checkpoint], None] = lambda _c: None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> TrainingResult:
    """Train the person's LoRA on `data`; returns its weights (a diffusers LoRA file).

    Hold `lora.unet_lock(models.pipe.unet)` while this runs: the adapter lives on the
    worker's shared UNet until it is saved, then it is removed again.
    """
    cancel = cancel if cancel is not None else CancelToken()
    unet = models.pipe.unet
    params = lora.add_training_adapter(unet, recipe.rank)
    optimizer = _optimizer(params, recipe, models.device)
    try:
        if recipe.gradient_checkpointing:
            unet.enable_gradient_checkpointing()
        return _run(
            models,
            data,
            recipe,
            params=params,
            optimizer=optimizer,
            resume=resume,
            on_checkpoint=on_checkpoint,
            progress=progress,
            cancel=cancel,
        )
    except torch.OutOfMemoryError as exc:
        torch.cuda.empty_cache()
        raise TransientGenerationError(
            "The GPU ran out of memory while training; the studio order will be retried."
        ) from exc
    finally:
        if recipe.gradient_checkpointing:
            unet.disable_gradient_checkpointing()
        unet.train(mode=False)
        lora.remove_training_adapter(unet, models.active_adapters)


def _run(
    models: TrainingModels,
    data: TrainingSet,
    recipe: TrainingRecipe,
    *,
    params: list[torch.nn.Parameter],
    optimizer: Any,
    resume: bytes | None,
    on_checkpoint: Callable[[Checkpoint], None],
    progress: ProgressCallback,
    cancel: CancelToken,
) -> TrainingResult:
    step_inputs = _Step(models, data, recipe)
    if resume is not None:
        state = _restore(resume, models.pipe.unet, optimizer)
        log.info("resuming studio training at step %d of %d", state.step, recipe.steps)
    else:
        generator = torch.Generator("cpu").manual_seed(recipe.seed)
        state = _State(0, generator, None, [], None)
    resumed_from = state.step
    instance = step_inputs.encode_images(data, torch.Generator("cpu").manual_seed(recipe.seed))
    if recipe.prior_preservation and state.class_latents is None:
        state.class_latents = class_latents(
            models, data, recipe, state.generator, progress=progress, cancel=cancel
        )
    if models.identity_dim is not None:
        models.pipe.set_ip_adapter_scale(0.0)
    if state.probe_before is None:
        state.probe_before = _probe(step_inputs, instance)
    if resumed_from:
        progress(ProgressEvent("train", resumed_from, recipe.steps, resumed=True))
    unet = models.pipe.unet
    unet.train(mode=True)
    timesteps_total = step_inputs.scheduler.config.num_train_timesteps
    started, first = time.perf_counter(), state.step
    while state.step < recipe.steps:
        cancel.raise_if_cancelled()
        picks = torch.randint(0, instance.shape[0], (recipe.batch_size,), generator=state.generator)
        latents = instance[picks.to(instance.device)]
        prompt_ids = torch.zeros(recipe.batch_size, dtype=torch.long)
        if state.class_latents is not None:
            chosen = torch.randint(
                0, state.class_latents.shape[0], (recipe.batch_size,), generator=state.generator
            )
            prior = state.class_latents[chosen].to(latents)
            latents = torch.cat([latents, prior])
            prompt_ids = torch.cat([prompt_ids, torch.ones(recipe.batch_size, dtype=torch.long)])
        noise, timesteps = _draw(state.generator, latents.shape, latents.shape[0], timesteps_total)
        noise, timesteps = noise.to(latents), timesteps.to(latents.device)
        prediction = step_inputs.predict(latents, noise, timesteps, prompt_ids.to(latents.device))
        target = step_inputs.target(latents, noise, timesteps).float()
        if state.class_latents is not None:
            pred, pred_prior = prediction.chunk(2)
            tgt, tgt_prior = target.chunk(2)
            loss = F.mse_loss(pred, tgt) + recipe.prior_loss_weight * F.mse_loss(pred_prior, tgt_prior)
        else:
            loss = F.mse_loss(prediction, target)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(params, recipe.max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        state.step += 1
        state.losses.append(round(float(loss.detach()), 6))
        progress(ProgressEvent("train", state.step, recipe.steps))
        if state.step % recipe.checkpoint_every == 0 and state.step < recipe.steps:
            on_checkpoint(Checkpoint(state.step, _serialise(state, unet, optimizer)))
    elapsed = time.perf_counter() - started
    unet.train(mode=False)
    probe_after = _probe(step_inputs, instance)
    weights = lora.save_weights(type(models.pipe), unet)
    return TrainingResult(
        weights=weights,
        steps=state.step,
        resumed_from=resumed_from,
        losses=tuple(state.losses),
        probe_loss_before=float(state.probe_before),
        probe_loss_after=probe_after,
        seconds_per_step=elapsed / max(1, state.step - first),
    )


def _probe(step_inputs: _Step, instance: torch.Tensor) -> float:
    """Mean loss over every example at fixed noise and timesteps: the same number before and
    after training measures whether the LoRA learned the person (not one step's luck)."""
    generator = torch.Generator("cpu").manual_seed(PROBE_SEED)
    total = step_inputs.scheduler.config.num_train_timesteps
    noise, timesteps = _draw(generator, instance.shape, instance.shape[0], total)
    noise, timesteps = noise.to(instance), timesteps.to(instance.device)
    prompts = torch.zeros(instance.shape[0], dtype=torch.long, device=instance.device)
    with torch.no_grad():
        prediction = step_inputs.predict(instance, noise, timesteps, prompts)
    return float(F.mse_loss(prediction, step_inputs.target(instance, noise, timesteps).float()))

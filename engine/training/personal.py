"""Generation with a person's LoRA: the same backend and pipeline, one small hook.

`PersonalisedBackend` wraps the worker's diffusers backend for one order: it puts the
identifier ("photo of ohwx woman") in front of every candidate's prompt, turns the
face-ID adapter's scale to 0 (studio likeness comes from the person's own LoRA; no face-ID
model shapes the image), and attaches the LoRA only for the duration of each `generate`
call, under the UNet's lock. ControlNets, post-processing and ranking are untouched.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from engine.progress import CancelToken, ProgressEvent
from engine.training import lora
from engine.training.lora import PersonLora
from engine.types import Candidate, GenerationRequest


class PersonalisedBackend:
    """A `GenerationBackend` that generates with `person`'s LoRA through `inner`
    (an `engine.generation.diffusers_backend.DiffusersBackend`)."""

    def __init__(self, inner: Any, person: PersonLora) -> None:
        self.inner = inner
        self.person = person
        self.name = inner.name

    def personalise(self, request: GenerationRequest) -> GenerationRequest:
        prefix = self.person.prompt_prefix
        specs = tuple(
            dataclasses.replace(
                spec,
                prompt=spec.prompt if spec.prompt.startswith(prefix) else f"{prefix}, {spec.prompt}",
                params={**spec.params, "studio": True},
            )
            for spec in request.candidates
        )
        return dataclasses.replace(request, candidates=specs, identity_scale=0.0)

    def generate(
        self,
        request: GenerationRequest,
        *,
        progress: Callable[[ProgressEvent], None],
        cancel: CancelToken,
    ) -> list[Candidate]:
        models = self.inner.models
        with lora.unet_lock(models.pipe.unet), lora.attached(models.pipe, self.person, models.adapters):
            return list(self.inner.generate(self.personalise(request), progress=progress, cancel=cancel))

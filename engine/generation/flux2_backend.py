"""FLUX.2 [klein] 4B with the person's own selfies as references: the commercial-use backend.

Same interface as the SDXL backend (`engine.types.GenerationBackend`), but identity comes
from pixels rather than a face embedding: the best 2-4 selfies, cut as aligned headshot
crops, are encoded by the VAE and attended to by the transformer beside the image being
made (`Flux2KleinPipeline(image=[...])`). `generate` reads like a diffusers call: check the
request, choose the references, then per batch write the prompts as sentences and denoise,
reporting each step and stopping between steps on cancel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import torch
from diffusers import Flux2KleinPipeline
from PIL import Image

from engine.catalogue.entries import CATALOGUE
from engine.catalogue.local import file_status
from engine.errors import ModelUnavailableError, TransientGenerationError
from engine.generation.flux2_options import REFERENCE_MULTIPLE, Flux2Options
from engine.generation.flux2_prompt import descriptive_prompt
from engine.generation.loading import resolve_device, resolve_dtype
from engine.generation.references import choose_references
from engine.progress import CancelToken, ProgressEvent, step_end_callback
from engine.types import Candidate, CandidateSpec, FaceCrop, GenerationRequest

log = logging.getLogger(__name__)

STAGE = "generate"
_PIPELINE: Any = Flux2KleinPipeline


def _missing_files_message(model: str) -> str:
    """Which files of the published model are absent and the command that fetches each."""
    entry = CATALOGUE["flux2-klein-4b"]
    if model != entry.source and not model.startswith(("/", ".", "~")):
        return (
            f"download the model '{model}' while online, or point HEADSHOTS_FLUX2_MODEL_ID at a local folder"
        )
    missing = [s for s in file_status(entry, source=model) if not s.present]
    if not missing:
        return "its files are present but could not be loaded; check they are complete"
    return "missing: " + "; ".join(f"{s.file} (fetch: {s.fetch})" for s in missing)


def load_pipeline(options: Flux2Options) -> tuple[Any, torch.device, torch.dtype]:
    """`Flux2KleinPipeline.from_pretrained`, with a missing model named file by file."""
    device = resolve_device(options.device)
    dtype = resolve_dtype(options.dtype, device)
    try:
        pipe = _PIPELINE.from_pretrained(
            str(options.model), dtype=dtype, local_files_only=options.local_files_only
        )
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(
            f"The FLUX.2 [klein] model '{options.model}' is not available on this machine: "
            f"{_missing_files_message(str(options.model))}. "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
        ) from exc
    pipe.set_progress_bar_config(disable=True)
    if options.cpu_offload:
        if device.type != "cuda":
            raise ModelUnavailableError("CPU offload only makes sense with a CUDA GPU; turn it off on CPU.")
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.to(device)
    return pipe, device, dtype


class Flux2Backend:
    """`GenerationBackend` on diffusers' `Flux2KleinPipeline`. Build with `load` (slow, once
    per worker); `generate` may then be called for every order."""

    name = "flux2"

    def __init__(self, pipe: Any, options: Flux2Options) -> None:
        self.pipe = pipe
        self.options = options

    @classmethod
    def load(cls, options: Flux2Options | None = None) -> Flux2Backend:
        options = options or Flux2Options()
        pipe, _device, _dtype = load_pipeline(options)
        return cls(pipe, options)

    def generate(
        self,
        request: GenerationRequest,
        *,
        progress: Callable[[ProgressEvent], None],
        cancel: CancelToken,
    ) -> list[Candidate]:
        self._check_inputs(request)
        references = choose_references(
            request.reference_selfies,
            request.reference_faces,
            count=self.options.references,
            size=self.options.reference_size,
        )
        if not references:
            raise ValueError(
                "the FLUX.2 backend needs reference selfies (request.reference_selfies or reference_faces)"
            )
        size = self.options.batch_size
        batches = [request.candidates[i : i + size] for i in range(0, len(request.candidates), size)]
        steps = self.options.steps
        total = steps * len(batches)
        candidates: list[Candidate] = []
        for index, batch in enumerate(batches):
            cancel.raise_if_cancelled()
            images = self._denoise(
                request,
                batch,
                references,
                offset=index * steps,
                total=total,
                progress=progress,
                cancel=cancel,
            )
            candidates.extend(
                Candidate(image=image, seed=spec.seed, params=self._params(request, spec, references))
                for spec, image in zip(batch, images, strict=True)
            )
        return candidates

    def _check_inputs(self, request: GenerationRequest) -> None:
        if not request.candidates:
            raise ValueError("request.candidates is empty")
        for value, label in ((request.width, "width"), (request.height, "height")):
            if value % REFERENCE_MULTIPLE or value < 2 * REFERENCE_MULTIPLE:
                raise ValueError(
                    f"request.{label} must be a multiple of {REFERENCE_MULTIPLE} and "
                    f">= {2 * REFERENCE_MULTIPLE}, got {value}"
                )

    def _denoise(
        self,
        request: GenerationRequest,
        batch: Sequence[CandidateSpec],
        references: Sequence[FaceCrop],
        *,
        offset: int,
        total: int,
        progress: Callable[[ProgressEvent], None],
        cancel: CancelToken,
    ) -> list[Image.Image]:
        on_step_end = step_end_callback(STAGE, offset=offset, total=total, progress=progress, cancel=cancel)
        try:
            with torch.inference_mode():
                output = self.pipe(
                    image=[crop.image for crop in references],
                    prompt=[descriptive_prompt(spec.prompt, len(references)) for spec in batch],
                    height=request.height,
                    width=request.width,
                    num_inference_steps=self.options.steps,
                    guidance_scale=1.0,
                    generator=[torch.Generator("cpu").manual_seed(spec.seed) for spec in batch],
                    callback_on_step_end=on_step_end,
                    max_sequence_length=self.options.max_sequence_length,
                    text_encoder_out_layers=self.options.text_encoder_out_layers,
                    output_type="pil",
                )
            return list(output.images)
        except torch.OutOfMemoryError as exc:
            torch.cuda.empty_cache()
            raise TransientGenerationError(
                "The GPU ran out of memory; the order will be retried (lower "
                "HEADSHOTS_GENERATION_BATCH_SIZE, HEADSHOTS_FLUX2_REFERENCES or "
                "HEADSHOTS_FLUX2_REFERENCE_SIZE, or enable "
                "HEADSHOTS_GENERATION_CPU_OFFLOAD if it keeps happening)."
            ) from exc

    def _params(
        self, request: GenerationRequest, spec: CandidateSpec, references: Sequence[FaceCrop]
    ) -> dict[str, Any]:
        """Everything needed to make this candidate again ("more like #3")."""
        return {
            **spec.params,
            "backend": self.name,
            "prompt": descriptive_prompt(spec.prompt, len(references)),
            "style_prompt": spec.prompt,
            "negative_prompt": None,
            "steps": self.options.steps,
            "guidance": 1.0,
            "identity": "references",
            "references": [crop.source_name for crop in references],
            "reference_size": self.options.reference_size,
            "width": request.width,
            "height": request.height,
        }

"""Seed stage 5: identity-conditioned SDXL with ControlNet, the production generation backend.

`generate` reads like a diffusers pipeline call: check the request, pick the pipeline for
its ControlNets, then per batch of candidates encode prompts, build identity and control
conditioning (every control image of a candidate from its one pose reference), denoise,
and redraw each face at full resolution (`face_detail`), reporting each step and stopping
between steps on cancel.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from diffusers import (
    StableDiffusionXLControlNetImg2ImgPipeline,
    StableDiffusionXLControlNetPipeline,
    StableDiffusionXLControlNetUnionPipeline,
    StableDiffusionXLImg2ImgPipeline,
)
from PIL import Image

from engine.conditioning import keypoints_image, make_control_image, reference_for
from engine.errors import ModelUnavailableError, TransientGenerationError
from engine.framing import framed, zoom_of
from engine.generation import face_detail
from engine.generation.adapters import aligned_face, identity_embeds, set_clip_embeds
from engine.generation.loading import LoadedModels, load_models
from engine.generation.options import UNION_MODES, GenerationOptions, ModelIds
from engine.generation.prompt_encoding import PromptEncoder
from engine.progress import CancelToken, ProgressEvent, step_end_callback
from engine.types import Candidate, CandidateSpec, Face, FaceCrop, FloatArray, GenerationRequest, ImageArray

log = logging.getLogger(__name__)

_CONTROLNET_PIPELINE: Any = StableDiffusionXLControlNetPipeline
_UNION_PIPELINE: Any = StableDiffusionXLControlNetUnionPipeline
_IMG2IMG_PIPELINE: Any = StableDiffusionXLImg2ImgPipeline
_CONTROLNET_IMG2IMG_PIPELINE: Any = StableDiffusionXLControlNetImg2ImgPipeline
STAGE = "generate"
INSTANTID_WEIGHT = 0.8
"""Identity ControlNet scale when the request does not set `control_weights["instantid"]`."""
MAX_STEPS = 100
SIZE_MULTIPLE = 8


@dataclass(frozen=True)
class _Plan:
    """What one request runs with, fixed before the first step."""

    controls: dict[str, float]
    steps: int
    guidance: float
    identity: FloatArray | None = None
    ends: tuple[float, ...] = ()

    @property
    def cfg(self) -> bool:
        return self.guidance > 1.0


class DiffusersBackend:
    """`GenerationBackend` on diffusers' SDXL pipelines. Build with `load` (slow, once per
    worker); `generate` may then be called for every order."""

    name = "diffusers"

    def __init__(self, models: LoadedModels) -> None:
        self.models = models
        self._encoder = PromptEncoder(models.pipe, models.device)
        self._pipelines: dict[tuple[str, ...], Any] = {(): models.pipe}
        self._identities: dict[tuple[str, ...], FloatArray] = {}
        encoder = models.face_encoder
        self.face_detector: Callable[[ImageArray], list[Face]] | None = encoder.detect if encoder else None
        """Finds the face in a candidate for the detail pass (the identity face model's detector)."""

    @classmethod
    def load(
        cls, ids: ModelIds, options: GenerationOptions | None = None, *, profile_dim: int | None = None
    ) -> DiffusersBackend:
        """Load once per worker; `profile_dim` (the ranking backend's embedding size) is
        checked against the adapter when no identity face pack is configured."""
        return cls(load_models(ids, options or GenerationOptions(), profile_dim=profile_dim))

    @property
    def options(self) -> GenerationOptions:
        return self.models.options

    def generate(
        self,
        request: GenerationRequest,
        *,
        progress: Callable[[ProgressEvent], None],
        cancel: CancelToken,
    ) -> list[Candidate]:
        plan = self._check_inputs(request)
        pipe = self._pipeline(tuple(plan.controls))
        # diffusers' multi-ControlNet pipeline takes one conditioning image per net for the
        # whole batch, and every candidate has its own: batch only with at most one net (the
        # union pipeline takes a batch of images per kind, so it always batches).
        union = self.options.control_union
        size = self.options.batch_size if len(plan.controls) <= 1 or union else 1
        batches = [request.candidates[i : i + size] for i in range(0, len(request.candidates), size)]
        total = plan.steps * len(batches)
        candidates: list[Candidate] = []
        for index, batch in enumerate(batches):
            cancel.raise_if_cancelled()
            images = self._denoise(
                pipe,
                request,
                batch,
                first=index * size,
                plan=plan,
                offset=index * plan.steps,
                total=total,
                progress=progress,
                cancel=cancel,
            )
            for spec, image in zip(batch, images, strict=True):
                cancel.raise_if_cancelled()
                final, detail = self._face_detail(request, spec, image, plan)
                params = {**self._params(request, spec, plan), "face_detail": detail}
                candidates.append(Candidate(image=final, seed=spec.seed, params=params))
        return candidates

    def _check_inputs(self, request: GenerationRequest) -> _Plan:
        if not request.candidates:
            raise ValueError("request.candidates is empty")
        for value, label in ((request.width, "width"), (request.height, "height")):
            if value % SIZE_MULTIPLE or value < 64:
                raise ValueError(
                    f"request.{label} must be a multiple of {SIZE_MULTIPLE} and >= 64, got {value}"
                )
        if not 1 <= request.steps <= MAX_STEPS:
            raise ValueError(f"request.steps must be 1-{MAX_STEPS}, got {request.steps}")
        identity = None
        dim = self.models.identity_dim
        if dim is not None:
            identity = self._identity_vector(request)
            if identity.shape != (dim,):
                raise ModelUnavailableError(
                    f"The identity adapter expects {dim}-value ArcFace embeddings but this profile has "
                    f"{identity.shape[-1]} (face backend '{request.identity.backend}'). Set "
                    "HEADSHOTS_IDENTITY_FACE_PACK (antelopev2 for InstantID, buffalo_l for FaceID) for real "
                    "generation."
                )
        controls = {}
        for kind, weight in request.control_weights.items():
            if weight <= 0 or kind == "instantid":
                continue
            if kind not in self.models.controlnets:
                log.warning("style asks for the %s ControlNet, which this worker did not load; skipped", kind)
            elif all(
                self._control_image(request, spec, i, kind) is not None
                for i, spec in enumerate(request.candidates)
            ):
                controls[kind] = weight
            else:
                log.warning("no %s conditioning image for some candidates; %s ControlNet skipped", kind, kind)
        if self.options.identity == "instantid":
            if not request.reference_faces and not all(
                "instantid" in s.control_images for s in request.candidates
            ):
                raise ValueError("InstantID mode needs request.reference_faces (for the face keypoints)")
            controls["instantid"] = request.control_weights.get("instantid", INSTANTID_WEIGHT)
        ends = tuple(request.control_ends.get(kind, 1.0) for kind in controls)
        if self.options.fast:
            return _Plan(controls, self.options.fast_steps, 0.0, identity, ends)
        return _Plan(controls, request.steps, request.guidance, identity, ends)

    def _identity_vector(self, request: GenerationRequest) -> FloatArray:
        """The embedding the adapter reads: from the identity face model over the selfies
        the profile kept when one is loaded (cached per set), else the profile's own."""
        encoder = self.models.face_encoder
        if encoder is None or not request.reference_selfies:
            return np.asarray(request.identity.embedding, np.float32)
        key = (*request.identity.member_names, "|", *(s.photo.name for s in request.reference_selfies))
        if key not in self._identities:
            self._identities = {key: encoder.identity(request.identity, request.reference_selfies)}
        return self._identities[key]

    @staticmethod
    def _control_image(
        request: GenerationRequest, spec: CandidateSpec, index: int, kind: str
    ) -> Image.Image | None:
        """The spec's own image, else one made from the candidate's pose reference: the
        selfie named in `params["reference"]` (the one its other control images came from),
        found by name so a chunk of a larger order picks the same one, in the candidate's
        framing."""
        if kind in spec.control_images:
            return spec.control_images[kind]
        if not request.reference_faces:
            return None
        reference = reference_for(spec.params.get("reference"), request.reference_faces, index)
        return make_control_image(kind, framed(reference, zoom_of(spec.params)))

    def _pipeline(self, kinds: tuple[str, ...]) -> Any:
        """The base pipeline, or a ControlNet pipeline sharing its modules (built once per set)."""
        if kinds not in self._pipelines:
            base = self.models.pipe
            controlnets = [self.models.controlnets[kind] for kind in kinds]
            union = self.options.control_union
            pipe = (_UNION_PIPELINE if union else _CONTROLNET_PIPELINE)(
                vae=base.vae,
                text_encoder=base.text_encoder,
                text_encoder_2=base.text_encoder_2,
                tokenizer=base.tokenizer,
                tokenizer_2=base.tokenizer_2,
                unet=base.unet,
                controlnet=controlnets[0] if len(controlnets) == 1 or union else controlnets,
                scheduler=base.scheduler,
                feature_extractor=base.feature_extractor,
                image_encoder=base.image_encoder,
            )
            pipe.set_progress_bar_config(disable=True)
            if self.options.cpu_offload:
                pipe.enable_model_cpu_offload(device=self.models.device)
            self._pipelines[kinds] = pipe
        return self._pipelines[kinds]

    def _identity_kwargs(
        self, request: GenerationRequest, plan: _Plan, count: int, pipe: Any
    ) -> dict[str, Any]:
        """Adapter inputs for `count` images: the id embedding, and for FaceID-Plus the
        CLIP features of the best selfie's aligned face."""
        adapter = self.models.identity
        if adapter is None or plan.identity is None:
            return {}
        pipe.set_ip_adapter_scale(request.identity_scale)
        if adapter.kind == "faceid_plus":
            members = set(request.identity.member_names)
            faces = [s for s in request.reference_selfies if s.face is not None]
            best = [s for s in faces if s.photo.name in members] or faces
            if not best:
                raise ValueError("FaceID-Plus needs request.reference_selfies (the aligned face for CLIP)")
            set_clip_embeds(self.models.pipe, aligned_face(best[0]), count, plan.cfg, self.models.device)
        return {
            "ip_adapter_image_embeds": identity_embeds(
                plan.identity, count, plan.cfg, self.models.device, self.models.dtype
            )
        }

    def _denoise(
        self,
        pipe: Any,
        request: GenerationRequest,
        batch: Sequence[CandidateSpec],
        *,
        first: int,
        plan: _Plan,
        offset: int,
        total: int,
        progress: Callable[[ProgressEvent], None],
        cancel: CancelToken,
    ) -> list[Image.Image]:
        on_step_end = step_end_callback(STAGE, offset=offset, total=total, progress=progress, cancel=cancel)
        embeddings = self._encoder.encode([s.prompt for s in batch], [s.negative_prompt for s in batch])
        kwargs: dict[str, Any] = {
            **embeddings.as_kwargs(),
            "width": request.width,
            "height": request.height,
            "num_inference_steps": plan.steps,
            "guidance_scale": plan.guidance,
            "generator": [torch.Generator("cpu").manual_seed(spec.seed) for spec in batch],
            "callback_on_step_end": on_step_end,
            "output_type": "pil",
        }
        kwargs.update(self._identity_kwargs(request, plan, len(batch), pipe))
        if plan.controls and self.options.control_union:
            kwargs.update(self._union_kwargs(request, batch, first, plan))
        elif plan.controls:
            images = [
                [self._control_image(request, spec, first + i, kind) for i, spec in enumerate(batch)]
                for kind in plan.controls
            ]
            weights = list(plan.controls.values())
            kwargs["image"] = images[0] if len(images) == 1 else [batch_images[0] for batch_images in images]
            kwargs["controlnet_conditioning_scale"] = weights[0] if len(weights) == 1 else weights
            kwargs["control_guidance_end"] = plan.ends[0] if len(plan.ends) == 1 else list(plan.ends)
        return self._run(pipe, plan, kwargs)

    def _union_kwargs(
        self, request: GenerationRequest, batch: Sequence[CandidateSpec], first: int, plan: _Plan
    ) -> dict[str, Any]:
        """The union pipeline's control inputs: per kind, the batch's images and its control
        type; weights and ends per kind as for separate nets."""
        return {
            "control_image": [
                [self._control_image(request, spec, first + i, kind) for i, spec in enumerate(batch)]
                for kind in plan.controls
            ],
            "control_mode": [UNION_MODES[kind] for kind in plan.controls],
            "controlnet_conditioning_scale": list(plan.controls.values()),
            "control_guidance_end": list(plan.ends),
        }

    def _run(self, pipe: Any, plan: _Plan, kwargs: dict[str, Any]) -> list[Image.Image]:
        try:
            with torch.inference_mode(), self._identity_tokens_for_identitynet(plan, kwargs):
                return list(pipe(**kwargs).images)
        except torch.OutOfMemoryError as exc:
            torch.cuda.empty_cache()
            raise TransientGenerationError(
                "The GPU ran out of memory; the order will be retried (lower HEADSHOTS_GENERATION_BATCH_SIZE "
                "or enable HEADSHOTS_GENERATION_CPU_OFFLOAD if it keeps happening)."
            ) from exc

    def _face_detail(
        self, request: GenerationRequest, spec: CandidateSpec, image: Image.Image, plan: _Plan
    ) -> tuple[Image.Image, str]:
        """The detail pass on one candidate: (image, what happened: done, no_face or off)."""
        if not self.options.face_detail or self.face_detector is None:
            return image, "off"
        faces = self.face_detector(np.asarray(image.convert("RGB")))
        region = face_detail.detail_region(faces[0], *image.size) if faces else None
        if region is None:
            return image, "no_face"
        size = min(self.options.face_detail_size, max(image.size)) // 8 * 8
        patch = face_detail.cut(image, region, size)
        strength = self.options.face_detail_strength
        steps = max(plan.steps, math.ceil(1 / strength))  # img2img runs int(steps x strength) >= 1
        kwargs: dict[str, Any] = {
            **self._encoder.encode([spec.prompt], [spec.negative_prompt]).as_kwargs(),
            "image": patch,
            "strength": strength,
            "width": size,
            "height": size,
            "num_inference_steps": steps,
            "guidance_scale": plan.guidance,
            "generator": [torch.Generator("cpu").manual_seed(spec.seed)],
            "output_type": "pil",
        }
        detail_plan = _Plan({}, plan.steps, plan.guidance, plan.identity)
        if "instantid" in plan.controls:
            moved = face_detail.move_face(faces[0], region, size)
            crop = FaceCrop(image=patch, size=size, face=moved, source_name="")
            kwargs["control_image"] = keypoints_image(crop)
            kwargs["controlnet_conditioning_scale"] = plan.controls["instantid"]
            detail_plan = _Plan(
                {"instantid": plan.controls["instantid"]}, plan.steps, plan.guidance, plan.identity
            )
        pipe = self._detail_pipeline("instantid" in plan.controls)
        kwargs.update(self._identity_kwargs(request, plan, 1, pipe))
        redrawn = self._run(pipe, detail_plan, kwargs)[0]
        return face_detail.blend(image, redrawn, region), "done"

    def _detail_pipeline(self, identitynet: bool) -> Any:
        """Image-to-image over the shared modules (with the IdentityNet in InstantID mode)."""
        key = ("detail", "instantid") if identitynet else ("detail",)
        if key not in self._pipelines:
            base = self.models.pipe
            modules = {
                "vae": base.vae, "text_encoder": base.text_encoder, "text_encoder_2": base.text_encoder_2,
                "tokenizer": base.tokenizer, "tokenizer_2": base.tokenizer_2, "unet": base.unet,
                "scheduler": base.scheduler, "feature_extractor": base.feature_extractor,
                "image_encoder": base.image_encoder,
            }  # fmt: skip
            if identitynet:
                pipe = _CONTROLNET_IMG2IMG_PIPELINE(
                    controlnet=self.models.controlnets["instantid"], **modules
                )
            else:
                pipe = _IMG2IMG_PIPELINE(**modules)
            pipe.set_progress_bar_config(disable=True)
            self._pipelines[key] = pipe
        return self._pipelines[key]

    @contextmanager
    def _identity_tokens_for_identitynet(self, plan: _Plan, kwargs: dict[str, Any]) -> Iterator[None]:
        """InstantID's IdentityNet attends to the face's identity tokens, not to the text: swap
        its `encoder_hidden_states` for the identity adapter's projection of the embedding
        (with InstantID's own ip-adapter.bin loaded, exactly InstantID's conditioning)."""
        if "instantid" not in plan.controls or "ip_adapter_image_embeds" not in kwargs:
            yield
            return
        unet = self.models.pipe.unet
        with torch.inference_mode():
            embeds = kwargs["ip_adapter_image_embeds"][0].to(unet.dtype)
            projected = unet.encoder_hid_proj([embeds])[0]  # (batch, images, tokens, dim)
            tokens = projected.reshape(projected.shape[0], -1, projected.shape[-1])

        def use_identity_tokens(_module: Any, args: Any, call_kwargs: dict[str, Any]) -> Any:
            return args, {**call_kwargs, "encoder_hidden_states": tokens}

        handle = self.models.controlnets["instantid"].register_forward_pre_hook(
            use_identity_tokens, with_kwargs=True
        )
        try:
            yield
        finally:
            handle.remove()

    def _params(self, request: GenerationRequest, spec: CandidateSpec, plan: _Plan) -> dict[str, Any]:
        """Everything needed to make this candidate again ("more like #3")."""
        return {
            **spec.params,
            "backend": self.name,
            "prompt": spec.prompt,
            "negative_prompt": spec.negative_prompt,
            "steps": plan.steps,
            "guidance": plan.guidance,
            "scheduler": "euler_trailing" if self.options.fast else self.options.scheduler,
            "fast": self.options.fast,
            "identity": self.options.identity,
            "identity_scale": request.identity_scale,
            "controls": dict(plan.controls),
            "control_union": self.options.control_union and bool(plan.controls),
            "control_ends": dict(zip(plan.controls, plan.ends, strict=True)),
            "identity_adapter": self.models.identity.kind if self.models.identity else None,
            "width": request.width,
            "height": request.height,
        }

"""The identity adapters, loaded and fed as their authors and diffusers' docs do.

- **IP-Adapter-FaceID** (h94): a 4-token MLP projection of the L2-normalised buffalo_l
  embedding, plus its companion LoRA on the UNet (FaceID was trained with it).
- **FaceID-Plus / PlusV2**: the same id projection refined by a perceiver over CLIP ViT-H
  patch features of the aligned face (`clip_embeds`); PlusV2 adds the id tokens back
  (`shortcut`). Needs the CLIP image encoder and its companion LoRA.
- **InstantID**: its `ip-adapter.bin` is a 16-token Resampler over the raw antelopev2
  embedding; the same tokens also drive the IdentityNet ControlNet (see the backend).

diffusers' `load_ip_adapter` recognises all three layouts; this module picks the files,
loads the encoder and LoRA, checks the embedding size against the adapter at start-up, and
builds the per-request tensors (zeros as the unconditional half, as both sources do).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image

from engine.errors import ModelUnavailableError
from engine.generation.options import GenerationOptions, ModelIds
from engine.generation.weights import WeightFile
from engine.types import AssessedPhoto, FloatArray, as_array

log = logging.getLogger(__name__)

AdapterKind = Literal["faceid", "faceid_plus", "instantid"]
FACEID_LORA = "faceid"
CLIP_FACE_SIZE = 224
"""FaceID-Plus reads the face aligned by insightface's `norm_crop` at CLIP's input size."""


@dataclass(frozen=True)
class IdentityAdapter:
    """What was loaded: the layout, its embedding size and tokens, and its LoRA adapters."""

    kind: AdapterKind
    embedding_dim: int
    tokens: int
    shortcut: bool = False
    loras: tuple[str, ...] = ()

    @property
    def raw_embedding(self) -> bool:
        return self.kind == "instantid"


def identity_files(ids: ModelIds, options: GenerationOptions) -> list[WeightFile]:
    if options.identity == "instantid":
        env = "HEADSHOTS_INSTANTID_CONTROLNET_ID"
        return [WeightFile("InstantID identity adapter", ids.instantid, ids.instantid_adapter_weight, env)]
    if options.identity != "faceid":
        return []
    files = [
        WeightFile("IP-Adapter-FaceID", ids.ip_adapter, ids.ip_adapter_weight, "HEADSHOTS_IP_ADAPTER_ID")
    ]
    if ids.ip_adapter_lora:
        files.append(
            WeightFile("FaceID LoRA", ids.ip_adapter, ids.ip_adapter_lora, "HEADSHOTS_IP_ADAPTER_LORA_WEIGHT")
        )
    if ids.is_faceid_plus:
        env = "HEADSHOTS_IMAGE_ENCODER_ID"
        files += [
            WeightFile("CLIP image encoder", ids.image_encoder, "config.json", env),
            WeightFile("CLIP image encoder", ids.image_encoder, "model.safetensors", env),
        ]
    return files


def _projection(pipe: Any) -> Any:
    return pipe.unet.encoder_hid_proj.image_projection_layers[0]


def _input_dim(projection: Any) -> int:
    first = next(m for m in projection.modules() if isinstance(m, torch.nn.Linear))
    return int(first.in_features)


def load_identity_adapter(
    pipe: Any, ids: ModelIds, options: GenerationOptions, dtype: torch.dtype
) -> IdentityAdapter:
    """Attach the configured adapter (and its encoder and LoRA) to `pipe`."""
    from diffusers.models.embeddings import (
        IPAdapterFaceIDImageProjection,
        IPAdapterFaceIDPlusImageProjection,
        IPAdapterPlusImageProjection,
    )

    instantid = options.identity == "instantid"
    source, weight = (
        (ids.instantid, ids.instantid_adapter_weight)
        if instantid
        else (ids.ip_adapter, ids.ip_adapter_weight)
    )
    try:
        pipe.load_ip_adapter(
            str(source), subfolder=None, weight_name=weight, image_encoder_folder=None,
            local_files_only=options.local_files_only,
        )  # fmt: skip
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ModelUnavailableError(
            f"The identity adapter {weight} in {source} could not be loaded ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else ''}); check that it is the file the identity "
            "mode "
            f"'{options.identity}' expects."
        ) from exc
    projection = _projection(pipe)
    dim = _input_dim(projection)
    if instantid:
        if not isinstance(projection, IPAdapterPlusImageProjection):
            raise ModelUnavailableError(
                f"{weight} in {source} is not InstantID's Resampler adapter "
                f"(got {type(projection).__name__})."
            )
        return IdentityAdapter("instantid", dim, int(projection.latents.shape[1]))
    loras: tuple[str, ...] = ()
    if ids.ip_adapter_lora:
        pipe.load_lora_weights(
            str(source), weight_name=ids.ip_adapter_lora, adapter_name=FACEID_LORA,
            local_files_only=options.local_files_only,
        )  # fmt: skip
        loras = (FACEID_LORA,)
    if isinstance(projection, IPAdapterFaceIDPlusImageProjection):
        _load_image_encoder(pipe, ids, options, dtype)
        shortcut = "v2" in weight.lower()
        projection.shortcut = shortcut
        return IdentityAdapter("faceid_plus", dim, projection.num_tokens, shortcut, loras)
    if isinstance(projection, IPAdapterFaceIDImageProjection):
        return IdentityAdapter("faceid", dim, projection.num_tokens, loras=loras)
    raise ModelUnavailableError(
        f"{weight} in {source} is a {type(projection).__name__} adapter, not IP-Adapter-FaceID; "
        "use ip-adapter-faceid_sdxl.bin or ip-adapter-faceid-plusv2_sdxl.bin."
    )


def _load_image_encoder(pipe: Any, ids: ModelIds, options: GenerationOptions, dtype: torch.dtype) -> None:
    from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

    try:
        encoder = CLIPVisionModelWithProjection.from_pretrained(
            str(ids.image_encoder), dtype=dtype, local_files_only=options.local_files_only
        )
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(
            f"The CLIP image encoder '{ids.image_encoder}' FaceID-Plus needs could not be loaded: fetch "
            f"`huggingface-cli download {ids.image_encoder} config.json` and `... model.safetensors`, "
            "or point "
            "HEADSHOTS_IMAGE_ENCODER_ID at a folder with them."
        ) from exc
    pipe.register_modules(image_encoder=encoder, feature_extractor=CLIPImageProcessor())


def check_embedding_size(adapter: IdentityAdapter, dim: int | None, ids: ModelIds) -> None:
    """Start-up check: the face model that conditions generation gives what the adapter reads."""
    if dim is None or dim == adapter.embedding_dim:
        return
    pack = ids.identity_face_pack
    source = (
        f"the identity face pack '{pack}'" if pack else "the ranking face backend (HEADSHOTS_FACE_BACKEND)"
    )
    raise ModelUnavailableError(
        f"The {adapter.kind} identity adapter reads {adapter.embedding_dim}-value face embeddings but "
        f"{source} "
        f"gives {dim}. Set HEADSHOTS_IDENTITY_FACE_PACK to "
        f"{'antelopev2' if adapter.kind == 'instantid' else 'buffalo_l'} (insightface), the pack it was "
        "trained on.",
        code="embedding_mismatch",
    )


def identity_embeds(
    vector: FloatArray, count: int, cfg: bool, device: torch.device, dtype: torch.dtype
) -> list[torch.Tensor]:
    """`ip_adapter_image_embeds`: (batch, 1 image, 1, dim), zeros as the unconditional half
    (as IP-Adapter-FaceID and InstantID both do)."""
    positive = torch.from_numpy(np.asarray(vector, np.float32)).to(device, dtype).reshape(1, 1, 1, -1)
    positive = positive.repeat(count, 1, 1, 1)
    return [torch.cat([torch.zeros_like(positive), positive]) if cfg else positive]


def aligned_face(selfie: AssessedPhoto) -> Image.Image:
    """The face aligned as insightface aligns for recognition, at CLIP's input size."""
    from insightface.utils import face_align

    if selfie.face is None:
        raise ValueError(f"{selfie.photo.name} has no face to align")
    image = face_align.norm_crop(
        as_array(selfie.photo.image), landmark=np.asarray(selfie.face.landmarks), image_size=CLIP_FACE_SIZE
    )
    return Image.fromarray(image)


def set_clip_embeds(pipe: Any, face: Image.Image, count: int, cfg: bool, device: torch.device) -> None:
    """FaceID-Plus' second input: CLIP's penultimate patch features of the aligned face,
    computed by the pipeline's own `prepare_ip_adapter_image_embeds` (zero image as the
    unconditional half) and set on the projection, as the diffusers docs show."""
    embeds = pipe.prepare_ip_adapter_image_embeds([[face]], None, device, count, cfg)[0]
    projection = _projection(pipe)
    projection.clip_embeds = embeds.to(pipe.unet.dtype)

"""The model catalogue: one `ModelEntry` per model file set the product can load.

`files` are the exact paths (or one folder's glob, for sharded weights) inside the source
that the loader reads, so a fetch command can name those alone instead of a whole
repository. Sizes are the published download sizes, rounded (the Hub's file listings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.catalogue import licences
from engine.catalogue.licences import Licence

SourceKind = Literal["hf", "pip", "url", "builtin"]
ROLES = ("base", "identity", "control", "face_conditioning", "face_ranking", "upscaler", "fast_lora")
"""What a model does in a preset (the issue's list, in pipeline order)."""


@dataclass(frozen=True)
class ModelEntry:
    """One model: where its files come from, how big they are, and its licence."""

    key: str
    title: str
    kind: SourceKind
    source: str
    """Hub repo id, PyPI package, or download URL."""
    files: tuple[str, ...]
    size_mb: int
    licence: Licence
    setting: str = ""
    """The `HEADSHOTS_*` variable that points at this model (for overrides and messages)."""


def _sdxl_files(*components: str) -> tuple[str, ...]:
    return ("model_index.json", *(f"{c}/*" for c in components))


_SDXL_PIPELINE = ("scheduler", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "unet", "vae")

ENTRIES: tuple[ModelEntry, ...] = (
    ModelEntry(
        "sdxl-base",
        "Stable Diffusion XL base 1.0",
        "hf",
        "stabilityai/stable-diffusion-xl-base-1.0",
        _sdxl_files(*_SDXL_PIPELINE),
        13_900,
        licences.OPENRAIL_PP,
        "HEADSHOTS_BASE_MODEL_ID",
    ),
    ModelEntry(
        "ip-adapter-faceid-sdxl",
        "IP-Adapter-FaceID SDXL",
        "hf",
        "h94/IP-Adapter-FaceID",
        ("ip-adapter-faceid_sdxl.bin",),
        1_070,
        licences.IP_ADAPTER_FACEID,
        "HEADSHOTS_IP_ADAPTER_ID",
    ),
    ModelEntry(
        "ip-adapter-faceid-plusv2-sdxl",
        "IP-Adapter-FaceID-PlusV2 SDXL",
        "hf",
        "h94/IP-Adapter-FaceID",
        ("ip-adapter-faceid-plusv2_sdxl.bin",),
        1_490,
        licences.IP_ADAPTER_FACEID,
        "HEADSHOTS_IP_ADAPTER_ID",
    ),
    ModelEntry(
        "ip-adapter-faceid-sdxl-lora",
        "IP-Adapter-FaceID SDXL companion LoRA",
        "hf",
        "h94/IP-Adapter-FaceID",
        ("ip-adapter-faceid_sdxl_lora.safetensors",),
        372,
        licences.IP_ADAPTER_FACEID,
        "HEADSHOTS_IP_ADAPTER_LORA_WEIGHT",
    ),
    ModelEntry(
        "ip-adapter-faceid-plusv2-sdxl-lora",
        "IP-Adapter-FaceID-PlusV2 SDXL companion LoRA",
        "hf",
        "h94/IP-Adapter-FaceID",
        ("ip-adapter-faceid-plusv2_sdxl_lora.safetensors",),
        372,
        licences.IP_ADAPTER_FACEID,
        "HEADSHOTS_IP_ADAPTER_LORA_WEIGHT",
    ),
    ModelEntry(
        "clip-vit-h-14-laion2b",
        "CLIP ViT-H/14 (LAION-2B) image encoder, for FaceID-Plus",
        "hf",
        "laion/CLIP-ViT-H-14-laion2B-s32B-b79K",
        ("config.json", "model.safetensors"),
        3_940,
        Licence("MIT", "https://huggingface.co/laion/CLIP-ViT-H-14-laion2B-s32B-b79K", "commercial"),
        "HEADSHOTS_IMAGE_ENCODER_ID",
    ),
    ModelEntry(
        "instantid-ip-adapter",
        "InstantID identity adapter",
        "hf",
        "InstantX/InstantID",
        ("ip-adapter.bin",),
        1_690,
        licences.INSTANTID,
        "HEADSHOTS_IP_ADAPTER_ID",
    ),
    ModelEntry(
        "instantid-controlnet",
        "InstantID IdentityNet (ControlNet)",
        "hf",
        "InstantX/InstantID",
        ("ControlNetModel/config.json", "ControlNetModel/diffusion_pytorch_model.safetensors"),
        2_500,
        licences.INSTANTID,
        "HEADSHOTS_INSTANTID_CONTROLNET_ID",
    ),
    ModelEntry(
        "controlnet-canny-sdxl",
        "ControlNet canny SDXL (diffusers)",
        "hf",
        "diffusers/controlnet-canny-sdxl-1.0",
        ("config.json", "diffusion_pytorch_model.safetensors"),
        5_000,
        licences.OPENRAIL_PP,
        "HEADSHOTS_CONTROLNET_IDS",
    ),
    ModelEntry(
        "controlnet-depth-sdxl",
        "ControlNet depth SDXL (diffusers)",
        "hf",
        "diffusers/controlnet-depth-sdxl-1.0",
        ("config.json", "diffusion_pytorch_model.safetensors"),
        5_000,
        licences.OPENRAIL_PP,
        "HEADSHOTS_CONTROLNET_IDS",
    ),
    ModelEntry(
        "controlnet-openpose-sdxl-thibaud",
        "ControlNet openpose SDXL (thibaud)",
        "hf",
        "thibaud/controlnet-openpose-sdxl-1.0",
        ("config.json", "diffusion_pytorch_model.safetensors"),
        5_000,
        licences.UNKNOWN,
        "HEADSHOTS_CONTROLNET_IDS",
    ),
    ModelEntry(
        "controlnet-openpose-sdxl-xinsir",
        "ControlNet openpose SDXL (xinsir), the default pose control",
        "hf",
        "xinsir/controlnet-openpose-sdxl-1.0",
        ("config.json", "diffusion_pytorch_model.safetensors"),
        2_500,
        Licence(
            "Apache-2.0",
            "https://huggingface.co/xinsir/controlnet-openpose-sdxl-1.0",
            "commercial",
            "Fine-tuned from SDXL base, so SDXL's OpenRAIL++ use restrictions still travel with it.",
        ),
        "HEADSHOTS_CONTROLNET_IDS",
    ),
    ModelEntry(
        "controlnet-union-sdxl-xinsir",
        "ControlNet union SDXL (xinsir)",
        "hf",
        "xinsir/controlnet-union-sdxl-1.0",
        ("config.json", "diffusion_pytorch_model.safetensors"),
        2_510,
        Licence(
            "Apache-2.0",
            "https://huggingface.co/xinsir/controlnet-union-sdxl-1.0",
            "commercial",
            "Fine-tuned from SDXL base, so SDXL's OpenRAIL++ use restrictions still travel with it. "
            "The loader reads the six-type files (ControlNetUnionModel.from_pretrained's defaults), "
            "not the *_promax pair (tile and repaint, which no style uses).",
        ),
        "HEADSHOTS_CONTROLNET_IDS",
    ),
    ModelEntry(
        "sdxl-lightning-8step",
        "SDXL-Lightning 8-step LoRA",
        "hf",
        "ByteDance/SDXL-Lightning",
        ("sdxl_lightning_8step_lora.safetensors",),
        394,
        Licence(
            "CreativeML Open RAIL++-M",
            "https://huggingface.co/ByteDance/SDXL-Lightning/blob/main/LICENSE.md",
            "commercial",
            licences.OPENRAIL_PP.note,
        ),
        "HEADSHOTS_FAST_LORA_ID",
    ),
    ModelEntry(
        "flux2-klein-4b",
        "FLUX.2 [klein] 4B (transformer, Qwen3-4B text encoder, VAE)",
        "hf",
        "black-forest-labs/FLUX.2-klein-4B",
        (
            "model_index.json",
            "scheduler/*",
            "text_encoder/*",
            "tokenizer/*",
            "transformer/*",
            "vae/*",
        ),
        16_100,
        licences.FLUX2_KLEIN_4B,
        "HEADSHOTS_FLUX2_MODEL_ID",
    ),
    ModelEntry(
        "insightface-buffalo_l",
        "InsightFace buffalo_l (SCRFD-10G, ArcFace R50, landmarks, age/gender)",
        "url",
        "https://github.com/deepinsight/insightface/releases/download/v0.7/buffalo_l.zip",
        ("models/buffalo_l/*.onnx",),
        288,
        licences.INSIGHTFACE_MODELS,
        "HEADSHOTS_INSIGHTFACE_PACK",
    ),
    ModelEntry(
        "insightface-antelopev2",
        "InsightFace antelopev2 (SCRFD-10G, ArcFace R100 Glint360K)",
        "url",
        "https://github.com/deepinsight/insightface/releases/download/v0.7/antelopev2.zip",
        ("models/antelopev2/*.onnx",),
        361,
        licences.INSIGHTFACE_MODELS,
        "HEADSHOTS_INSIGHTFACE_PACK",
    ),
    ModelEntry(
        "dlib-hog-detector",
        "dlib HOG frontal face detector",
        "builtin",
        "dlib",
        (),
        0,
        Licence(
            "Boost Software License 1.0",
            "https://github.com/davisking/dlib/blob/master/LICENSE.txt",
            "commercial",
        ),
    ),
    ModelEntry(
        "dlib-landmarks-68",
        "dlib 68-point landmarks (iBUG 300-W)",
        "pip",
        "face-recognition-models",
        ("shape_predictor_68_face_landmarks.dat",),
        100,
        licences.DLIB_68,
        "HEADSHOTS_FACE_BACKEND",
    ),
    ModelEntry(
        "dlib-landmarks-5",
        "dlib 5-point landmarks (dlib's own dataset)",
        "pip",
        "face-recognition-models",
        ("shape_predictor_5_face_landmarks.dat",),
        9,
        licences.DLIB_PUBLIC_DOMAIN_5,
        "HEADSHOTS_FACE_BACKEND",
    ),
    ModelEntry(
        "dlib-resnet-v1",
        "dlib face recognition ResNet v1 (128-D)",
        "pip",
        "face-recognition-models",
        ("dlib_face_recognition_resnet_model_v1.dat",),
        22,
        licences.DLIB_PUBLIC_DOMAIN_RESNET,
        "HEADSHOTS_FACE_BACKEND",
    ),
    ModelEntry(
        "real-esrgan-x2plus",
        "Real-ESRGAN x2plus",
        "url",
        "https://github.com/xinntao/Real-ESRGAN/releases/download/v0.2.1/RealESRGAN_x2plus.pth",
        ("RealESRGAN_x2plus.pth",),
        67,
        licences.REAL_ESRGAN,
        "HEADSHOTS_UPSCALER_PATH",
    ),
    ModelEntry(
        "real-esrgan-x4plus",
        "Real-ESRGAN x4plus",
        "url",
        "https://github.com/xinntao/Real-ESRGAN/releases/download/v0.1.0/RealESRGAN_x4plus.pth",
        ("RealESRGAN_x4plus.pth",),
        67,
        licences.REAL_ESRGAN,
        "HEADSHOTS_UPSCALER_PATH",
    ),
)

CATALOGUE: dict[str, ModelEntry] = {entry.key: entry for entry in ENTRIES}


def entry(key: str) -> ModelEntry:
    if key not in CATALOGUE:
        raise KeyError(f"no model {key!r} in the catalogue (known: {', '.join(CATALOGUE)})")
    return CATALOGUE[key]


def find(source: str, file: str | None = None) -> ModelEntry | None:
    """The catalogued model with this source (and, for repos holding several, this file)."""
    matches = [e for e in ENTRIES if e.source == source]
    if file is not None:
        matches = [e for e in matches if file in e.files] or matches
    return matches[0] if matches else None


def custom(source: str, role_title: str, setting: str) -> ModelEntry:
    """A model someone configured that the catalogue does not know: licence unknown."""
    return ModelEntry(
        f"custom:{source}", f"{role_title} ({source})", "hf", source, (), 0, licences.UNKNOWN, setting
    )

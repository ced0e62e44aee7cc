"""What the diffusers backend loads (`ModelIds`) and how it runs (`GenerationOptions`).

Both are plain frozen dataclasses: `bot.engine_config` builds them once from `Settings`, a
benchmark or a test builds them directly; nothing here touches a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal, get_args

IdentityMode = Literal["faceid", "instantid", "none"]
SchedulerName = Literal["euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "ddim", "unipc"]
DTypeName = Literal["bfloat16", "float16", "float32"]
SCHEDULERS: tuple[str, ...] = get_args(SchedulerName)
IDENTITY_MODES: tuple[str, ...] = get_args(IdentityMode)
UNION_MODES: Mapping[str, int] = MappingProxyType(
    {"openpose": 0, "depth": 1, "hed": 2, "scribble": 2, "canny": 3, "lineart": 3, "normal": 4, "segment": 5}
)
"""The union ControlNet's control type for each kind, as xinsir's model card numbers them
(0 openpose, 1 depth, 2 thick lines, 3 thin lines such as canny, 4 normal, 5 segment)."""
UNION_WITH_INSTANTID = (
    "The union ControlNet cannot run with InstantID (HEADSHOTS_GENERATION_CONTROL_UNION=true with "
    "HEADSHOTS_GENERATION_IDENTITY=instantid): diffusers' union pipeline takes only union ControlNets "
    "and InstantID's IdentityNet is a plain one. Use the union with HEADSHOTS_GENERATION_IDENTITY=faceid, "
    "or turn HEADSHOTS_GENERATION_CONTROL_UNION off for InstantID."
)


@dataclass(frozen=True)
class ModelIds:
    """Hugging Face ids or local folders of every model the backend may load.

    `env` names the `HEADSHOTS_*` variable to point at a local copy, for the error message.
    """

    base: str | Path
    ip_adapter: str | Path = "h94/IP-Adapter-FaceID"
    ip_adapter_weight: str = "ip-adapter-faceid_sdxl.bin"
    ip_adapter_lora: str | None = None
    """The FaceID companion LoRA file in `ip_adapter` (FaceID was trained with it on the UNet)."""
    image_encoder: str | Path = "laion/CLIP-ViT-H-14-laion2B-s32B-b79K"
    """CLIP ViT-H/14 vision tower: FaceID-Plus / PlusV2 read its patch features of the face."""
    controlnets: Mapping[str, str | Path] = field(default_factory=lambda: MappingProxyType({}))
    instantid: str | Path = "InstantX/InstantID"
    instantid_subfolder: str = "ControlNetModel"
    instantid_adapter_weight: str = "ip-adapter.bin"
    """InstantID's own identity adapter (a 16-token Resampler), in the `instantid` repo."""
    fast_lora: str | Path = "ByteDance/SDXL-Lightning"
    fast_lora_weight: str = "sdxl_lightning_8step_lora.safetensors"
    identity_face_pack: str | None = None
    """insightface pack whose embeddings condition generation (`antelopev2` for InstantID,
    `buffalo_l` for FaceID); None uses the intake profile's own embedding as it is."""
    face_root: Path = field(default_factory=lambda: Path("~/.insightface").expanduser())

    @property
    def is_faceid_plus(self) -> bool:
        """FaceID-Plus / PlusV2 weights (they need the CLIP image encoder)."""
        return "plus" in self.ip_adapter_weight.lower()


@dataclass(frozen=True)
class GenerationOptions:
    """How to run. Defaults suit one modern GPU; `device="cpu"` runs (slowly) without one.

    - `identity`: ``faceid`` (IP-Adapter-FaceID, or FaceID-Plus/PlusV2 with the CLIP image
      encoder, from the normalised buffalo_l embedding), ``instantid`` (InstantID as
      published: its 16-token Resampler adapter on the UNet and its IdentityNet ControlNet on
      the face keypoints, both fed the raw antelopev2 embedding) or ``none``.
    - `controlnets`: which pose/structure ControlNets to load (kinds of `ModelIds.controlnets`);
      None means the kinds the loaded styles use (`StyleLibrary.control_kinds`).
    - `control_union`: serve every control kind of `controlnets` from the one union
      ControlNet in `ModelIds.controlnets["union"]` (xinsir's controlnet-union-sdxl-1.0: openpose,
      depth, canny... in one set of weights, chosen per image by `UNION_MODES`). FaceID only:
      diffusers' union pipeline takes union ControlNets alone, so InstantID's IdentityNet (a
      plain ControlNet) cannot run beside it, and the combination is refused here.
    - `face_detail`: after the first pass, regenerate each candidate's face at
      `face_detail_size` px with the same identity conditioning at `face_detail_strength`
      and blend it back inside a feathered oval (needs the identity face model to find it).
    - `fast`: load the few-step LoRA and run `fast_steps` steps with a trailing Euler schedule.
    - `sdpa`, `channels_last`, `vae_tiling`, `compile`, `cpu_offload`: GPU speed and memory
      switches; `batch_size` candidates share one UNet call.
    """

    device: str = "auto"
    dtype: DTypeName = "bfloat16"
    identity: IdentityMode = "faceid"
    controlnets: tuple[str, ...] | None = ("canny",)
    control_union: bool = False
    scheduler: SchedulerName = "dpmpp_2m_karras"
    fast: bool = False
    fast_steps: int = 8
    sdpa: bool = True
    channels_last: bool = False
    vae_tiling: bool = False
    compile: bool = False
    cpu_offload: bool = False
    batch_size: int = 1
    local_files_only: bool = False
    face_detail: bool = True
    face_detail_strength: float = 0.4
    face_detail_size: int = 1024

    def __post_init__(self) -> None:
        if self.identity not in IDENTITY_MODES:
            raise ValueError(f"identity must be one of {IDENTITY_MODES}, got {self.identity!r}")
        if self.scheduler not in SCHEDULERS:
            raise ValueError(f"scheduler must be one of {SCHEDULERS}, got {self.scheduler!r}")
        if self.control_union and self.identity == "instantid":
            raise ValueError(UNION_WITH_INSTANTID)
        if self.control_union and self.controlnets:
            unknown = sorted(set(self.controlnets) - set(UNION_MODES))
            if unknown:
                raise ValueError(
                    f"control_union serves the kinds {', '.join(UNION_MODES)}; it has no mode for {unknown}"
                )
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not 0.05 <= self.face_detail_strength <= 0.9:
            raise ValueError(f"face_detail_strength must be 0.05-0.9, got {self.face_detail_strength}")
        if self.face_detail_size % 64 or not 256 <= self.face_detail_size <= 2048:
            raise ValueError(
                f"face_detail_size must be a multiple of 64 from 256 to 2048, got {self.face_detail_size}"
            )
        if not 1 <= self.fast_steps <= 12:
            raise ValueError(f"fast_steps must be 1-12, got {self.fast_steps}")

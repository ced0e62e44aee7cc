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


@dataclass(frozen=True)
class ModelIds:
    """Hugging Face ids or local folders of every model the backend may load.

    `env` names the `HEADSHOTS_*` variable to point at a local copy, for the error message.
    """

    base: str | Path
    ip_adapter: str | Path = "h94/IP-Adapter-FaceID"
    ip_adapter_weight: str = "ip-adapter-faceid_sdxl.bin"
    controlnets: Mapping[str, str | Path] = field(default_factory=lambda: MappingProxyType({}))
    instantid: str | Path = "InstantX/InstantID"
    instantid_subfolder: str = "ControlNetModel"
    fast_lora: str | Path = "ByteDance/SDXL-Lightning"
    fast_lora_weight: str = "sdxl_lightning_8step_lora.safetensors"


@dataclass(frozen=True)
class GenerationOptions:
    """How to run. Defaults suit one modern GPU; `device="cpu"` runs (slowly) without one.

    - `identity`: ``faceid`` (IP-Adapter-FaceID from the ArcFace embedding), ``instantid``
      (also InstantID's IdentityNet ControlNet, conditioned on the face keypoints image and
      attending to the identity adapter's tokens of the embedding) or ``none``. For the
      published InstantID pairing point the identity adapter at InstantID's own weights
      (HEADSHOTS_IP_ADAPTER_ID=InstantX/InstantID, HEADSHOTS_IP_ADAPTER_WEIGHT=ip-adapter.bin).
    - `controlnets`: which pose/structure ControlNets to load (kinds of `ModelIds.controlnets`).
    - `fast`: load the few-step LoRA and run `fast_steps` steps with a trailing Euler schedule.
    - `sdpa`, `channels_last`, `vae_tiling`, `compile`, `cpu_offload`: GPU speed and memory
      switches; `batch_size` candidates share one UNet call.
    """

    device: str = "auto"
    dtype: DTypeName = "bfloat16"
    identity: IdentityMode = "faceid"
    controlnets: tuple[str, ...] = ("canny",)
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

    def __post_init__(self) -> None:
        if self.identity not in IDENTITY_MODES:
            raise ValueError(f"identity must be one of {IDENTITY_MODES}, got {self.identity!r}")
        if self.scheduler not in SCHEDULERS:
            raise ValueError(f"scheduler must be one of {SCHEDULERS}, got {self.scheduler!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not 1 <= self.fast_steps <= 12:
            raise ValueError(f"fast_steps must be 1-12, got {self.fast_steps}")

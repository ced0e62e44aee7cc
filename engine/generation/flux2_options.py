"""How the FLUX.2 [klein] backend runs (`Flux2Options`): plain data, no torch import, so the
worker builds it from `Settings` and a test or benchmark builds it directly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.generation.options import DTypeName

FLUX2_KLEIN_4B = "black-forest-labs/FLUX.2-klein-4B"
REFERENCE_MULTIPLE = 16
"""The VAE downsamples 8x and latents are packed 2x2: image sides must be multiples of 16."""


@dataclass(frozen=True)
class Flux2Options:
    """- `model`: Hub id or local folder of a diffusers FLUX.2 [klein] save.
    - `steps`: klein 4B is step-distilled; 4 is its published setting.
    - `references`: how many of the person's best selfies condition each image (1-4).
    - `reference_size`: side of each aligned reference crop. 1024 is the pipeline's largest
      reference without resizing (1 MP, 4096 tokens each at 1024²); smaller is faster.
    - `text_encoder_out_layers`: Qwen3 hidden layers stacked into the prompt embedding.
    """

    model: str | Path = FLUX2_KLEIN_4B
    device: str = "auto"
    dtype: DTypeName = "bfloat16"
    steps: int = 4
    references: int = 3
    reference_size: int = 1024
    batch_size: int = 1
    cpu_offload: bool = False
    local_files_only: bool = False
    max_sequence_length: int = 512
    text_encoder_out_layers: tuple[int, ...] = (9, 18, 27)

    def __post_init__(self) -> None:
        if not 1 <= self.steps <= 50:
            raise ValueError(f"steps must be 1-50, got {self.steps}")
        if not 1 <= self.references <= 4:
            raise ValueError(f"references must be 1-4, got {self.references}")
        if self.reference_size % REFERENCE_MULTIPLE or not 64 <= self.reference_size <= 1024:
            raise ValueError(
                f"reference_size must be a multiple of {REFERENCE_MULTIPLE} from 64 to 1024, "
                f"got {self.reference_size}"
            )
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")

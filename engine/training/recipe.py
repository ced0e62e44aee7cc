"""The training recipe: every hyper-parameter of a studio LoRA and where its default comes from.

Sources (diffusers' `examples/dreambooth`, the reference this follows):

- `resolution=1024`, `learning_rate=1e-4`, constant schedule, `steps=500`: the SDXL
  DreamBooth LoRA example command in `examples/dreambooth/README_sdxl.md`.
- `gradient_checkpointing` and 8-bit Adam: the same README's "< 16GB VRAM" recipe; 8-bit
  Adam is used only when bitsandbytes is installed and the device is a CUDA GPU.
- `prior_loss_weight=1.0`, Adam betas/epsilon/weight decay, `max_grad_norm=1.0`: the
  defaults of `train_dreambooth_lora_sdxl.py`; the LoRA targets the attention projections
  (`to_q`, `to_k`, `to_v`, `to_out.0`) with `lora_alpha = rank`, as that script does.
- Prior preservation: the DreamBooth paper (Ruiz et al. 2022, section 3.3) with class
  images sampled from the frozen base model. The script's default is 100 class images; we
  make `class_images=12` so the whole studio album stays near 10 minutes on one GPU (a
  cost trade-off, not a measured optimum).
- `rank=16`: the script's default is 4, tuned on dogs and logos; a face carries more detail
  than those subjects, so we start higher. This is our choice, not a published figure; tune
  it on a GPU with real selfies.
- `token="ohwx"`: DreamBooth's rare-token identifier idea (a word the text encoders have
  almost no prior for); "sks" in the paper's examples is also a rifle's name.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_RESOLUTION = 32


@dataclass(frozen=True)
class TrainingRecipe:
    """How to train one person's LoRA. `checkpoint_every` steps a checkpoint is handed out
    so a killed worker's successor resumes there; `mixed_precision` is used on a GPU only."""

    steps: int = 500
    rank: int = 16
    learning_rate: float = 1e-4
    resolution: int = 1024
    batch_size: int = 1
    checkpoint_every: int = 50
    prior_loss_weight: float = 1.0
    class_images: int = 12
    class_steps: int = 25
    gradient_checkpointing: bool = True
    mixed_precision: str = "bf16"
    use_8bit_adam: bool = True
    max_grad_norm: float = 1.0
    adam_betas: tuple[float, float] = (0.9, 0.999)
    adam_weight_decay: float = 1e-2
    adam_epsilon: float = 1e-8
    token: str = "ohwx"  # noqa: S105 (the identifier word, not a secret)
    flips: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        checks = (
            ("steps", self.steps >= 1, "at least 1"),
            ("rank", 1 <= self.rank <= 256, "from 1 to 256"),
            ("learning_rate", 0 < self.learning_rate < 1, "between 0 and 1"),
            ("resolution", self.resolution >= MIN_RESOLUTION and self.resolution % 8 == 0,
             f"a multiple of 8, at least {MIN_RESOLUTION}"),
            ("batch_size", self.batch_size >= 1, "at least 1"),
            ("checkpoint_every", self.checkpoint_every >= 1, "at least 1"),
            ("class_images", self.class_images >= 0, "0 or more"),
            ("class_steps", self.class_steps >= 1, "at least 1"),
            ("mixed_precision", self.mixed_precision in {"bf16", "fp16", "no"}, "bf16, fp16 or no"),
            ("token", self.token.isalnum() and self.token.islower(), "a lower-case word"),
        )  # fmt: skip
        for name, ok, allowed in checks:
            if not ok:
                raise ValueError(f"{name} must be {allowed}, got {getattr(self, name)!r}")

    @property
    def prior_preservation(self) -> bool:
        return self.class_images > 0 and self.prior_loss_weight > 0

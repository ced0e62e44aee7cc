"""Which weight files the worker needs, checked all at once before anything loads.

A worker that starts and then fails on its first paid order is worse than one that will not
start. `required_files` lists every file the configured models read (the fp16 variant where
the repository ships one and the worker runs in half precision), `check_weight_files` looks
for each in the Hugging Face cache or the configured folder and raises one
`ModelUnavailableError` naming every missing file with the command that fetches that file
alone: `huggingface-cli download stabilityai/stable-diffusion-xl-base-1.0` would fetch every
copy of SDXL in the repository, tens of gigabytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelUnavailableError

FP16_VARIANT_REPOS = frozenset(
    {
        "stabilityai/stable-diffusion-xl-base-1.0",
        "diffusers/controlnet-canny-sdxl-1.0",
        "diffusers/controlnet-depth-sdxl-1.0",
    }
)
"""Hub repositories that publish `*.fp16.safetensors` files (half the download)."""
SDXL_COMPONENTS = {
    "unet": "diffusion_pytorch_model",
    "vae": "diffusion_pytorch_model",
    "text_encoder": "model",
    "text_encoder_2": "model",
}
SDXL_CONFIGS = (
    "model_index.json",
    "scheduler/scheduler_config.json",
    "tokenizer/tokenizer_config.json",
    "tokenizer_2/tokenizer_config.json",
)


@dataclass(frozen=True)
class WeightFile:
    """One file of one model: `source` is a Hub id or a local folder; `env` the setting."""

    what: str
    source: str | Path
    filename: str
    env: str

    @property
    def is_folder(self) -> bool:
        return is_folder(self.source)

    def present(self) -> bool:
        if self.is_folder:
            return (Path(self.source).expanduser() / self.filename).is_file()
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(str(self.source), self.filename), str)

    def command(self) -> str:
        """What is missing and how to get this file alone."""
        if self.is_folder:
            return (
                f"{self.filename} is missing from the folder {self.source} ({self.env}); fetch it with "
                f"`huggingface-cli download <repo> {self.filename} --local-dir {self.source}`"
            )
        return f"`huggingface-cli download {self.source} {self.filename}` ({self.env}={self.source})"


def is_folder(source: str | Path) -> bool:
    return isinstance(source, Path) or str(source).startswith(("/", ".", "~"))


def variant_for(source: str | Path, half: bool, probe: str) -> str | None:
    """ "fp16" when running in half precision and `source` has fp16 files (`probe` is one of
    them, relative to a local folder), else None (the full-precision files)."""
    if not half:
        return None
    if is_folder(source):
        return "fp16" if (Path(source).expanduser() / probe).is_file() else None
    return "fp16" if str(source) in FP16_VARIANT_REPOS else None


def _weights(stem: str, variant: str | None) -> str:
    return f"{stem}.{variant}.safetensors" if variant else f"{stem}.safetensors"


def sdxl_files(source: str | Path, env: str, variant: str | None) -> list[WeightFile]:
    files = [WeightFile("SDXL base", source, name, env) for name in SDXL_CONFIGS]
    for component, stem in SDXL_COMPONENTS.items():
        files.append(WeightFile(f"SDXL {component}", source, f"{component}/config.json", env))
        files.append(WeightFile(f"SDXL {component}", source, f"{component}/{_weights(stem, variant)}", env))
    return files


def controlnet_files(  # noqa: PLR0917
    what: str,
    source: str | Path,
    env: str,
    variant: str | None,
    subfolder: str = "",
    weights: str | None = None,
) -> list[WeightFile]:
    prefix = f"{subfolder}/" if subfolder else ""
    name = weights or _weights("diffusion_pytorch_model", variant)
    return [
        WeightFile(what, source, f"{prefix}config.json", env),
        WeightFile(what, source, f"{prefix}{name}", env),
    ]


def missing_files(files: Iterable[WeightFile]) -> list[WeightFile]:
    return [f for f in dict.fromkeys(files) if not f.present()]


def check_weight_files(files: Sequence[WeightFile]) -> None:
    """Raise one error naming every missing file and how to fetch each one."""
    missing = missing_files(files)
    if not missing:
        return
    lines = [f"- {f.what}: {f.command()}" for f in missing]
    raise ModelUnavailableError(
        f"{len(missing)} model file(s) are not on this machine; fetch each one (nothing else is needed), "
        "or point the named setting at a folder that has it:\n" + "\n".join(lines),
        code="weights_missing",
    )

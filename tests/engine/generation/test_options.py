"""Options and model ids come from Settings; bad values fail before any model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from engine.errors import ModelUnavailableError
from engine.generation.diffusers_backend import DiffusersBackend
from engine.generation.options import GenerationOptions, ModelIds


def test_from_settings(settings: Settings) -> None:
    tuned = settings.model_copy(
        update={"generation_fast": True, "generation_batch_size": 4, "generation_identity": "instantid"}
    )
    options = GenerationOptions.from_settings(tuned)
    assert (options.fast, options.batch_size, options.identity) == (True, 4, "instantid")
    assert options.controlnets == ("depth", "canny", "openpose")
    ids = ModelIds.from_settings(tuned)
    assert ids.base == "stabilityai/stable-diffusion-xl-base-1.0"
    assert ids.controlnets["canny"] == "diffusers/controlnet-canny-sdxl-1.0"
    assert ids.fast_lora_weight == "sdxl_lightning_8step_lora.safetensors"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"identity": "photomaker"}, "identity must be one of"),
        ({"scheduler": "lms"}, "scheduler must be one of"),
        ({"batch_size": 0}, "batch_size"),
        ({"fast_steps": 50}, "fast_steps"),
    ],
)
def test_bad_options_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GenerationOptions(**changes)  # type: ignore[arg-type]


def test_from_settings_with_a_missing_local_model(settings: Settings, tmp_path: Path) -> None:
    missing = settings.model_copy(update={"device": "cpu", "base_model_id": str(tmp_path / "sdxl")})
    with pytest.raises(ModelUnavailableError, match=r"base diffusion model .*sdxl.* exists"):
        DiffusersBackend.from_settings(missing)

"""Generation options and model ids come from Settings; a missing local model is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine_config import generation_options, model_ids
from bot.settings import Settings
from engine.errors import ModelUnavailableError
from engine.generation.diffusers_backend import DiffusersBackend


def test_from_settings(settings: Settings) -> None:
    tuned = settings.model_copy(
        update={"generation_fast": True, "generation_batch_size": 4, "generation_identity": "instantid"}
    )
    options = generation_options(tuned)
    assert (options.fast, options.batch_size, options.identity) == (True, 4, "instantid")
    assert options.controlnets == ("depth", "canny", "openpose")
    ids = model_ids(tuned)
    assert ids.base == "stabilityai/stable-diffusion-xl-base-1.0"
    assert ids.controlnets["canny"] == "diffusers/controlnet-canny-sdxl-1.0"
    assert ids.fast_lora_weight == "sdxl_lightning_8step_lora.safetensors"


def test_from_settings_with_a_missing_local_model(settings: Settings, tmp_path: Path) -> None:
    missing = settings.model_copy(update={"device": "cpu", "base_model_id": str(tmp_path / "sdxl")})
    with pytest.raises(ModelUnavailableError, match=r"base diffusion model .*sdxl.* exists"):
        DiffusersBackend.load(model_ids(missing), generation_options(missing))

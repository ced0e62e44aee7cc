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
    assert options.controlnets is None  # the styles' own kinds, resolved at load
    assert (options.face_detail, options.face_detail_strength) == (True, 0.4)
    ids = model_ids(tuned)
    # Conditioning and ranking face models are separate settings: InstantID's own pack.
    assert (ids.identity_face_pack, ids.face_root) == ("antelopev2", tuned.insightface_root)
    plus = model_ids(settings.model_copy(update={"ip_adapter_weight": "ip-adapter-faceid-plusv2_sdxl.bin"}))
    assert (plus.identity_face_pack, plus.is_faceid_plus) == ("buffalo_l", True)
    assert plus.ip_adapter_lora == "ip-adapter-faceid-plusv2_sdxl_lora.safetensors"
    assert model_ids(settings.model_copy(update={"identity_face_pack": "profile"})).identity_face_pack is None
    assert model_ids(settings.model_copy(update={"ip_adapter_lora_weight": ""})).ip_adapter_lora is None
    assert ids.controlnets["openpose"] == "xinsir/controlnet-openpose-sdxl-1.0"
    assert ids.base == "stabilityai/stable-diffusion-xl-base-1.0"
    assert ids.controlnets["canny"] == "diffusers/controlnet-canny-sdxl-1.0"
    assert ids.fast_lora_weight == "sdxl_lightning_8step_lora.safetensors"


def test_from_settings_with_a_missing_local_model(settings: Settings, tmp_path: Path) -> None:
    missing = settings.model_copy(update={"device": "cpu", "base_model_id": str(tmp_path / "sdxl")})
    with pytest.raises(ModelUnavailableError, match=r"model_index.json is missing from the folder .*sdxl"):
        DiffusersBackend.load(model_ids(missing), generation_options(missing))

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
    assert options.controlnets is None  # the styles' own kinds, resolved at load
    ids = ModelIds.from_settings(tuned)
    assert ids.identity_face_pack == "antelopev2"
    assert ids.ip_adapter_lora == "ip-adapter-faceid_sdxl_lora.safetensors"
    faceid = ModelIds.from_settings(
        settings.model_copy(update={"ip_adapter_weight": "ip-adapter-faceid-plusv2_sdxl.bin"})
    )
    assert (faceid.identity_face_pack, faceid.is_faceid_plus) == ("buffalo_l", True)
    assert faceid.ip_adapter_lora == "ip-adapter-faceid-plusv2_sdxl_lora.safetensors"
    assert (
        ModelIds.from_settings(
            settings.model_copy(update={"identity_face_pack": "profile"})
        ).identity_face_pack
        is None
    )
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
        ({"face_detail_strength": 1.0}, "face_detail_strength"),
        ({"face_detail_size": 1000}, "face_detail_size"),
    ],
)
def test_bad_options_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GenerationOptions(**changes)  # type: ignore[arg-type]


def test_from_settings_with_a_missing_local_model(settings: Settings, tmp_path: Path) -> None:
    missing = settings.model_copy(update={"device": "cpu", "base_model_id": str(tmp_path / "sdxl")})
    with pytest.raises(ModelUnavailableError, match=r"model_index.json is missing from the folder .*sdxl"):
        DiffusersBackend.from_settings(missing)

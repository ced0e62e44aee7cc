"""`headshots models`, presets applied to settings, and the worker's licence check at start-up."""

from __future__ import annotations

import json
import logging

import pytest

from bot.cli import main
from bot.engine_config import generation_options
from bot.model_preset import LicenceRefusalError, announce, check_commercial, configured_models
from bot.settings import SettingsError, load_settings


def test_models_json_lists_both_presets_with_every_licence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_name = {p["name"]: p for p in report["presets"]}
    assert {"research-sdxl-faceid", "research-sdxl-instantid", "commercial-flux2-klein"} <= set(by_name)
    assert by_name["commercial-flux2-klein"]["verdict"] == "commercial"
    assert by_name["research-sdxl-faceid"]["verdict"] == "research-only"
    for chosen in by_name.values():
        assert chosen["size_mb"] > 0
        for model in chosen["models"]:
            assert model["licence"]["verdict"] in {"commercial", "research-only", "restricted", "unknown"}
            assert model["licence"]["name"]
            for file in model["files"]:
                assert file["present"] or file["fetch"]
    assert report["active"]["preset"] is None


def test_models_text_for_one_preset_names_missing_files_and_fetch_commands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["models", "--preset", "research-sdxl-faceid"]) == 0
    out = capsys.readouterr().out
    assert "RESEARCH-ONLY" in out
    assert "hf download h94/IP-Adapter-FaceID ip-adapter-faceid_sdxl.bin" in out
    assert "commercial-flux2-klein:" not in out
    assert main(["models", "--preset", "nope"]) == 2


def test_a_preset_fills_settings_and_explicit_settings_override_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADSHOTS_MODEL_PRESET", "research-sdxl-instantid")
    monkeypatch.setenv("HEADSHOTS_FAST_LORA_ID", "someone/own-lora")
    settings = load_settings()
    assert settings.generation_backend == "diffusers"
    assert settings.generation_identity == "instantid"
    assert settings.face_backend == "insightface"
    assert settings.insightface_pack == "antelopev2"
    assert (settings.ip_adapter_id, settings.ip_adapter_weight) == ("InstantX/InstantID", "ip-adapter.bin")
    assert settings.fast_lora_id == "someone/own-lora"
    lora = next(m for m in configured_models(settings) if m.role == "fast_lora")
    assert lora.overridden
    assert lora.model.licence.verdict == "unknown"
    base = next(m for m in configured_models(settings) if m.role == "base")
    assert not base.overridden
    assert base.model.key == "sdxl-base"


def test_unknown_preset_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="HEADSHOTS_MODEL_PRESET"):
        load_settings(model_preset="sdxl-please")


def test_worker_refuses_a_research_preset_in_commercial_mode(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HEADSHOTS_MODEL_PRESET", "research-sdxl-faceid")
    monkeypatch.setenv("HEADSHOTS_COMMERCIAL", "true")
    monkeypatch.setenv("HEADSHOTS_LOG_JSON", "false")
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert "IP-Adapter-FaceID" in err
    assert "research-only" in err
    assert "HEADSHOTS_MODEL_PRESET=commercial-flux2-klein" in err


def test_an_override_that_breaks_the_commercial_preset_is_refused() -> None:
    settings = load_settings(
        model_preset="commercial-flux2-klein", commercial=True, face_backend="insightface"
    )
    with pytest.raises(LicenceRefusalError, match="InsightFace"):
        check_commercial(settings)


def test_start_up_logs_the_preset_and_its_verdict(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(model_preset="commercial-flux2-klein", commercial=True)
    with caplog.at_level(logging.INFO, logger="bot.models"):
        assert announce(settings) is None
    text = caplog.text
    assert "model preset commercial-flux2-klein: licence verdict commercial" in text
    assert "FLUX.2 [klein] 4B" in text
    assert "Apache-2.0" in text


def test_the_union_preset_loads_one_union_controlnet_with_its_licence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEADSHOTS_MODEL_PRESET", "research-sdxl-faceid-union")
    settings = load_settings()
    assert (settings.generation_identity, settings.generation_control_union) == ("faceid", True)
    assert settings.controlnet_ids == {"union": "xinsir/controlnet-union-sdxl-1.0"}
    control = next(m for m in configured_models(settings) if m.role == "control")
    assert control.model.key == "controlnet-union-sdxl-xinsir"
    assert (control.model.licence.name, control.model.licence.verdict) == ("Apache-2.0", "commercial")
    options = generation_options(settings)
    assert options.control_union

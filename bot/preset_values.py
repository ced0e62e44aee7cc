"""A model preset as setting values: what `HEADSHOTS_MODEL_PRESET` fills in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.catalogue.entries import ModelEntry, entry
from engine.catalogue.presets import Preset, preset


def _first(chosen: Preset, role: str) -> ModelEntry | None:
    keys = chosen.models.get(role, ())
    return entry(keys[0]) if keys else None


def preset_values(chosen: Preset) -> dict[str, Any]:
    """The settings a preset stands for (field names of `Settings`)."""
    values: dict[str, Any] = {
        "generation_backend": chosen.backend,
        "face_backend": chosen.face_backend,
        "grading_face_backend": chosen.grading_face_backend,
        "generation_fast": chosen.fast,
    }
    if chosen.insightface_pack:
        values["insightface_pack"] = chosen.insightface_pack
    base = _first(chosen, "base")
    if chosen.backend == "flux2":
        if base is not None:
            values["flux2_model_id"] = base.source
        return values
    values["generation_identity"] = chosen.identity
    values["generation_control_union"] = chosen.control_union
    if base is not None:
        values["base_model_id"] = base.source
    identity = _first(chosen, "identity")
    if identity is not None:
        values["ip_adapter_id"] = identity.source
        values["ip_adapter_weight"] = identity.files[0]
    controls = [entry(key) for key in chosen.models.get("control", ())]
    values["controlnet_ids"] = {
        _control_kind(model): model.source for model in controls if model.key != "instantid-controlnet"
    }
    if any(model.key == "instantid-controlnet" for model in controls):
        values["instantid_controlnet_id"] = "InstantX/InstantID"
    lora = _first(chosen, "fast_lora")
    if lora is not None:
        values["fast_lora_id"] = lora.source
        values["fast_lora_weight"] = lora.files[0]
    return values


def _control_kind(model: ModelEntry) -> str:
    for kind in ("canny", "depth", "openpose", "union"):
        if kind in model.key:
            return kind
    return model.key


def preset_overrides(name: str, explicit: Iterable[str]) -> dict[str, Any]:
    """Preset `name`'s values for every setting not in `explicit` (none for no preset).

    Apart from `bot.model_preset` so `bot.settings` can fill a preset in without importing
    the module that reports on `Settings` (no import cycle)."""
    if not name:
        return {}
    given = set(explicit)
    return {field: value for field, value in preset_values(preset(name)).items() if field not in given}

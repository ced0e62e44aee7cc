"""Settings <-> model presets: fill a preset's values in, and report what is configured.

`HEADSHOTS_MODEL_PRESET` names a preset from `engine.catalogue.presets`; every setting the
user gave explicitly still wins over it. `configured_models` reads the settings as they end
up and names each model with its licence, marking which ones an override put there, so the
worker can log (and, with `HEADSHOTS_COMMERCIAL=true`, refuse) exactly what it would load.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.catalogue.entries import CATALOGUE, ENTRIES, ModelEntry, custom, entry, find
from engine.catalogue.licences import Verdict
from engine.catalogue.presets import overall_verdict

if TYPE_CHECKING:
    from bot.settings import Settings

ROLE_FIELDS: dict[str, tuple[str, ...]] = {
    "base": ("base_model_id", "flux2_model_id", "generation_backend"),
    "identity": ("ip_adapter_id", "ip_adapter_weight", "generation_identity"),
    "control": ("controlnet_ids", "instantid_controlnet_id"),
    "face_conditioning": ("face_backend", "insightface_pack"),
    "face_ranking": ("grading_face_backend", "face_backend", "insightface_pack"),
    "upscaler": ("upscaler_path",),
    "fast_lora": ("fast_lora_id", "fast_lora_weight", "generation_fast"),
}
"""The settings behind each role: setting any of them overrides the preset for that role."""


@dataclass(frozen=True)
class ConfiguredModel:
    """One model the configuration loads, the value that named it, and whether a setting
    (rather than the preset) put it there."""

    role: str
    model: ModelEntry
    source: str
    overridden: bool


def _model(source: str, file: str | None, title: str, setting: str) -> ModelEntry:
    return find(source, file) or custom(source, title, setting)


def _face_backend_models(backend: str, settings: Settings) -> list[ModelEntry]:
    if backend == "insightface":
        return [
            CATALOGUE.get(f"insightface-{settings.insightface_pack}")
            or custom(settings.insightface_pack, "InsightFace pack", "HEADSHOTS_INSIGHTFACE_PACK")
        ]
    landmarks = "dlib-landmarks-5" if backend == "dlib5" else "dlib-landmarks-68"
    return [entry("dlib-hog-detector"), entry(landmarks), entry("dlib-resnet-v1")]


def grading_backend(settings: Settings) -> str:
    """The face model that grades likeness in ranking. "auto" loads the other model when it
    is installed, so it is reported (and licence-checked) as that model."""
    if settings.grading_face_backend != "auto":
        return settings.grading_face_backend
    return "dlib" if settings.face_backend == "insightface" else "insightface"


def _face_models(settings: Settings) -> list[tuple[str, ModelEntry]]:
    return [
        *(("face_conditioning", m) for m in _face_backend_models(settings.face_backend, settings)),
        *(("face_ranking", m) for m in _face_backend_models(grading_backend(settings), settings)),
    ]


def _generation_models(settings: Settings) -> list[tuple[str, ModelEntry]]:
    if settings.generation_backend == "flux2":
        return [("base", _model(settings.flux2_model_id, None, "FLUX.2 model", "HEADSHOTS_FLUX2_MODEL_ID"))]
    if settings.generation_backend != "diffusers":
        return []
    models = [("base", _model(settings.base_model_id, None, "base model", "HEADSHOTS_BASE_MODEL_ID"))]
    if settings.generation_identity != "none":
        models.append(
            (
                "identity",
                _model(
                    settings.ip_adapter_id,
                    settings.ip_adapter_weight,
                    "identity adapter",
                    "HEADSHOTS_IP_ADAPTER_ID",
                ),
            )
        )
    models += [
        ("control", _model(repo, None, f"{kind} ControlNet", "HEADSHOTS_CONTROLNET_IDS"))
        for kind, repo in settings.controlnet_ids.items()
    ]
    if settings.generation_identity == "instantid":
        models.append(
            (
                "control",
                _model(
                    settings.instantid_controlnet_id,
                    "ControlNetModel/config.json",
                    "InstantID ControlNet",
                    "HEADSHOTS_INSTANTID_CONTROLNET_ID",
                ),
            )
        )
    if settings.generation_fast:
        models.append(
            (
                "fast_lora",
                _model(
                    settings.fast_lora_id,
                    settings.fast_lora_weight,
                    "few-step LoRA",
                    "HEADSHOTS_FAST_LORA_ID",
                ),
            )
        )
    return models


def _upscaler(settings: Settings) -> list[tuple[str, ModelEntry]]:
    if settings.upscaler_path is None:
        return []
    name = settings.upscaler_path.name
    known = next((e for e in ENTRIES if e.kind == "url" and name in e.files), None)
    return [("upscaler", known or custom(str(settings.upscaler_path), "upscaler", "HEADSHOTS_UPSCALER_PATH"))]


def configured_models(settings: Settings) -> list[ConfiguredModel]:
    """Every model these settings make the worker load, with its licence."""
    explicit = settings.explicit_fields if settings.model_preset else frozenset()
    pairs = [*_face_models(settings), *_generation_models(settings), *_upscaler(settings)]
    return [
        ConfiguredModel(role, model, model.source, any(f in explicit for f in ROLE_FIELDS[role]))
        for role, model in pairs
    ]


def configured_verdict(models: list[ConfiguredModel]) -> Verdict:
    return overall_verdict([m.model for m in models])


def licence_lines(settings: Settings) -> list[str]:
    """One line per model for the start-up log: role, model, licence, verdict, override."""
    return [
        f"{m.role}: {m.model.title} [{m.source}] licence {m.model.licence.name} -> {m.model.licence.verdict}"
        + (" (set by an override of the preset)" if m.overridden else "")
        for m in configured_models(settings)
    ]


class LicenceRefusalError(RuntimeError):
    """`HEADSHOTS_COMMERCIAL=true` and a configured model's licence does not allow it."""


def check_commercial(settings: Settings) -> None:
    """Raise `LicenceRefusalError` naming each model that is not cleared for commercial use."""
    if not settings.commercial:
        return
    blocked = [m for m in configured_models(settings) if m.model.licence.verdict != "commercial"]
    if not blocked:
        return
    lines = [
        f"  {m.role}: {m.model.title} ({m.source}) is {m.model.licence.verdict}: {m.model.licence.name}"
        + (f" <{m.model.licence.url}>" if m.model.licence.url else "")
        for m in blocked
    ]
    name = settings.model_preset or "custom settings"
    raise LicenceRefusalError(
        f"HEADSHOTS_COMMERCIAL=true but the model set '{name}' is not cleared for commercial use:\n"
        + "\n".join(lines)
        + "\nUse HEADSHOTS_MODEL_PRESET=commercial-flux2-klein (see `headshots models`), or set "
        "HEADSHOTS_COMMERCIAL=false for research and personal use."
    )


def announce(settings: Settings) -> str | None:
    """Log the model set and its licence verdict; return the refusal message, if any."""
    import logging

    log = logging.getLogger("bot.models")
    models = configured_models(settings)
    log.info(
        "model preset %s: licence verdict %s (commercial use %s)",
        settings.model_preset or "(none: individual settings)",
        configured_verdict(models),
        "required" if settings.commercial else "not required",
    )
    for line in licence_lines(settings):
        log.info("model %s", line)
    try:
        check_commercial(settings)
    except LicenceRefusalError as exc:
        log.error("%s", exc)
        return str(exc)
    return None

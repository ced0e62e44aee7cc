"""Named model presets: a whole, coherent set of models with one licence verdict.

A preset names, per role (`engine.catalogue.entries.ROLES`), the catalogued models it loads,
and the engine switches that go with them (generation backend, identity method, face
backend). `HEADSHOTS_MODEL_PRESET` picks one; individual settings still override it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from engine.catalogue.entries import ROLES, ModelEntry, entry
from engine.catalogue.licences import Verdict

VERDICT_ORDER: dict[Verdict, int] = {"commercial": 0, "unknown": 1, "restricted": 2, "research-only": 3}


def overall_verdict(models: Iterator[ModelEntry] | list[ModelEntry]) -> Verdict:
    """The weakest verdict of a set of models: one research-only model makes the set research-only."""
    worst: Verdict = "commercial"
    for model in models:
        if VERDICT_ORDER[model.licence.verdict] > VERDICT_ORDER[worst]:
            worst = model.licence.verdict
    return worst


@dataclass(frozen=True)
class Preset:
    """A named set of models and the switches that make them one working pipeline."""

    name: str
    summary: str
    backend: str
    """Generation backend: ``diffusers`` (SDXL) or ``flux2``."""
    identity: str
    """How identity is carried: ``faceid``, ``instantid`` or ``references`` (the selfies themselves)."""
    face_backend: str
    """Face analyser for assessment, alignment and ranking: ``insightface``, ``dlib`` or ``dlib5``."""
    models: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    grading_face_backend: str = "auto"
    """Face model that grades likeness in ranking (`Settings.grading_face_backend`)."""
    insightface_pack: str = ""
    fast: bool = False
    control_union: bool = False
    """Every control kind from the one union ControlNet (`Settings.generation_control_union`)."""
    notes: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.models) - set(ROLES)
        if unknown:
            raise ValueError(f"preset {self.name}: unknown roles {sorted(unknown)} (roles: {ROLES})")
        for keys in self.models.values():
            for key in keys:
                entry(key)

    def entries(self) -> list[tuple[str, ModelEntry]]:
        """(role, model) for every model, in role order."""
        return [(role, entry(key)) for role in ROLES for key in self.models.get(role, ())]

    @property
    def verdict(self) -> Verdict:
        return overall_verdict([model for _role, model in self.entries()])

    @property
    def size_mb(self) -> int:
        """Disk needed, counting a model shared by two roles once."""
        return sum({model.key: model.size_mb for _role, model in self.entries()}.values())


def _roles(**roles: tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType(roles)


_FACEID = Preset(
    "research-sdxl-faceid",
    "SDXL + IP-Adapter-FaceID from an ArcFace embedding, openpose ControlNet, Lightning LoRA.",
    backend="diffusers",
    identity="faceid",
    face_backend="insightface",
    grading_face_backend="dlib",
    insightface_pack="buffalo_l",
    fast=True,
    models=_roles(
        base=("sdxl-base",),
        identity=("ip-adapter-faceid-sdxl",),
        control=("controlnet-openpose-sdxl-xinsir",),
        face_conditioning=("insightface-buffalo_l",),
        face_ranking=("dlib-hog-detector", "dlib-landmarks-68", "dlib-resnet-v1"),
        upscaler=("real-esrgan-x2plus",),
        fast_lora=("sdxl-lightning-8step",),
    ),
    notes="Research and personal use only: FaceID and the InsightFace packs are non-commercial.",
)
_UNION = dataclasses.replace(
    _FACEID,
    name="research-sdxl-faceid-union",
    summary="As research-sdxl-faceid, with xinsir's union ControlNet serving every control kind "
    "(openpose, depth, canny) from one set of weights.",
    control_union=True,
    models=MappingProxyType({**_FACEID.models, "control": ("controlnet-union-sdxl-xinsir",)}),
    notes="Research and personal use only (FaceID, InsightFace). FaceID only: the union pipeline "
    "cannot run InstantID's IdentityNet.",
)

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        _FACEID,
        _UNION,
        Preset(
            "research-sdxl-instantid",
            "SDXL + InstantID (IdentityNet + its identity adapter), the strongest zero-shot SDXL identity.",
            backend="diffusers",
            identity="instantid",
            face_backend="insightface",
            grading_face_backend="dlib",
            insightface_pack="antelopev2",
            fast=True,
            models=_roles(
                base=("sdxl-base",),
                identity=("instantid-ip-adapter",),
                control=("instantid-controlnet", "controlnet-openpose-sdxl-xinsir"),
                face_conditioning=("insightface-antelopev2",),
                face_ranking=("dlib-hog-detector", "dlib-landmarks-68", "dlib-resnet-v1"),
                upscaler=("real-esrgan-x2plus",),
                fast_lora=("sdxl-lightning-8step",),
            ),
            notes="Research and personal use only: antelopev2 (which InstantID needs) is non-commercial.",
        ),
        Preset(
            "commercial-flux2-klein",
            "FLUX.2 [klein] 4B conditioned on the person's best selfies; dlib 5-point + ResNet faces.",
            backend="flux2",
            identity="references",
            face_backend="dlib5",
            grading_face_backend="dlib5",
            models=_roles(
                base=("flux2-klein-4b",),
                face_conditioning=("dlib-hog-detector", "dlib-landmarks-5"),
                face_ranking=("dlib-resnet-v1",),
                upscaler=("real-esrgan-x2plus",),
            ),
            notes=(
                "Every model's licence allows commercial use. Ranking uses dlib's public-domain ResNet "
                "(99.38% on LFW), weaker than ArcFace; see docs/models.md for its training-data caveat."
            ),
        ),
    )
}
COMMERCIAL_PRESET = "commercial-flux2-klein"


def preset(name: str) -> Preset:
    if name not in PRESETS:
        raise KeyError(f"unknown model preset {name!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[name]

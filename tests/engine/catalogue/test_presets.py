"""The preset registry: every model is catalogued with a licence, and the commercial preset
holds only models whose recorded licence allows commercial use."""

from __future__ import annotations

import pytest

from engine.catalogue.entries import CATALOGUE, ROLES
from engine.catalogue.licences import Licence
from engine.catalogue.presets import COMMERCIAL_PRESET, PRESETS, Preset, preset


def test_commercial_preset_names_only_commercial_models() -> None:
    chosen = preset(COMMERCIAL_PRESET)
    offending = [
        (role, model.key, model.licence.verdict)
        for role, model in chosen.entries()
        if model.licence.verdict != "commercial"
    ]
    assert offending == []
    assert chosen.verdict == "commercial"
    # It must cover generation, alignment and ranking, or "commercial" would be vacuous.
    assert {"base", "face_conditioning", "face_ranking"} <= set(chosen.models)


def test_one_research_model_makes_a_preset_research_only() -> None:
    assert preset("research-sdxl-faceid").verdict == "research-only"
    assert preset("research-sdxl-instantid").verdict == "research-only"
    mixed = Preset(
        "mixed",
        "",
        "flux2",
        "references",
        "dlib",
        models={"base": ("flux2-klein-4b",), "face_ranking": ("insightface-buffalo_l",)},
    )
    assert mixed.verdict == "research-only"


def test_the_flagged_models_are_recorded_as_not_commercial() -> None:
    for key in (
        "ip-adapter-faceid-sdxl",
        "insightface-buffalo_l",
        "insightface-antelopev2",
        "dlib-landmarks-68",
    ):
        assert CATALOGUE[key].licence.verdict == "research-only", key
    assert CATALOGUE["instantid-controlnet"].licence.verdict == "research-only"


def test_every_catalogued_model_has_a_source_and_a_licence_link() -> None:
    for model in CATALOGUE.values():
        assert model.source, model.key
        if model.licence.verdict != "unknown":
            assert model.licence.url.startswith("https://"), model.key
        if model.kind in {"hf", "pip", "url"}:
            assert model.files, model.key
            assert model.size_mb > 0, model.key


def test_presets_use_known_roles_and_models() -> None:
    for chosen in PRESETS.values():
        assert set(chosen.models) <= set(ROLES)
        assert chosen.size_mb > 0
    with pytest.raises(KeyError, match="no model"):
        Preset("bad", "", "flux2", "references", "dlib5", models={"base": ("no-such-model",)})
    with pytest.raises(ValueError, match="unknown roles"):
        Preset("bad", "", "flux2", "references", "dlib5", models={"colour": ()})
    with pytest.raises(KeyError, match="unknown model preset"):
        preset("nope")


def test_a_licence_needs_a_known_verdict() -> None:
    with pytest.raises(ValueError, match="verdict"):
        Licence("x", "", "maybe")  # type: ignore[arg-type]

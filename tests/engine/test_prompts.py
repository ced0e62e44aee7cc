"""Prompt builder: attributes only when sure, deterministic plans, guards in the negatives."""

from __future__ import annotations

import numpy as np
import pytest

from engine.prompts import (
    ATTRIBUTE_CONFIDENCE,
    COMMON_NEGATIVE,
    build_request,
    describe_subject,
    plan_candidates,
    subject_traits,
)
from engine.styles import StyleLibrary, StyleTemplate
from engine.types import Attribute, FaceCrop, IdentityProfile

SURE = ATTRIBUTE_CONFIDENCE + 0.1
UNSURE = ATTRIBUTE_CONFIDENCE - 0.1


@pytest.fixture(scope="module")
def corporate() -> StyleTemplate:
    return StyleLibrary.builtin().get("corporate")


def test_subject_uses_only_confident_attributes() -> None:
    attributes = [
        Attribute("gender", "woman", SURE),
        Attribute("age", "40-49", SURE),
        Attribute("glasses", "yes", SURE),
        Attribute("beard", "yes", UNSURE),
        Attribute("hair", "long curly", SURE),
    ]
    assert (
        describe_subject(subject_traits(attributes)) == "a woman in her 40s with glasses and long curly hair"
    )
    unsure = [Attribute(a.name, a.value, UNSURE) for a in attributes]
    assert describe_subject(subject_traits(unsure)) == "a person"


def test_glasses_are_guarded_both_ways(corporate: StyleTemplate) -> None:
    with_glasses = plan_candidates(corporate, [Attribute("glasses", "yes", SURE)], 1, seed=1)[0]
    assert "with glasses" in with_glasses.prompt
    assert "missing glasses" in with_glasses.negative_prompt
    without = plan_candidates(corporate, [Attribute("glasses", "no", SURE)], 1, seed=1)[0]
    assert "glasses, eyewear" in without.negative_prompt
    unknown = plan_candidates(corporate, [Attribute("glasses", "no", UNSURE)], 1, seed=1)[0]
    assert "glasses" not in unknown.negative_prompt
    for phrase in ("plastic skin", "oversaturated", "extra fingers", "asymmetric eyes", "text", "watermark"):
        assert phrase in COMMON_NEGATIVE
        assert phrase in unknown.negative_prompt


def test_plan_is_deterministic_for_a_seed_and_covers_the_axes(corporate: StyleTemplate) -> None:
    attributes = [Attribute("gender", "man", SURE)]
    first = plan_candidates(corporate, attributes, 12, seed=42)
    again = plan_candidates(corporate, attributes, 12, seed=42)
    other = plan_candidates(corporate, attributes, 12, seed=43)
    assert [(s.seed, s.prompt) for s in first] == [(s.seed, s.prompt) for s in again]
    assert [s.seed for s in first] != [s.seed for s in other]
    assert len({s.seed for s in first}) == 12
    for axis, values in corporate.variations.items():
        used = [spec.params["variation"][axis] for spec in first]
        assert set(used) == set(values), axis
        counts = [used.count(value) for value in values]
        assert max(counts) - min(counts) <= 1, axis
    assert all("{" not in spec.prompt and "a man" in spec.prompt for spec in first)
    assert all(spec.params["style"] == "corporate" for spec in first)


def test_plan_attaches_control_images_from_the_selfies(
    corporate: StyleTemplate, crops: list[FaceCrop]
) -> None:
    specs = plan_candidates(corporate, [], 4, seed=3, reference_faces=crops)
    assert [s.params["reference"] for s in specs] == ["selfie_01.jpg", "selfie_02.jpg"] * 2
    assert all(set(s.control_images) == {"openpose"} for s in specs)
    first, second = (np.asarray(s.control_images["openpose"]) for s in specs[:2])
    assert first.any()
    assert not np.array_equal(first, second)


def test_build_request_takes_the_style_settings(corporate: StyleTemplate, crops: list[FaceCrop]) -> None:
    identity = IdentityProfile(np.full(4, 0.5, dtype=np.float32), "dlib", 0.9, ("a",), (1.0,))
    specs = plan_candidates(corporate, [], 2, seed=0)
    request = build_request(corporate, specs, identity, crops, width=512, height=512)
    assert request.steps == corporate.steps
    assert request.control_weights == {"openpose": 0.6}
    assert request.control_ends == {"openpose": 0.6}
    assert request.identity_scale == corporate.identity_scale
    assert len(request.candidates) == 2


def test_count_must_be_positive(corporate: StyleTemplate) -> None:
    with pytest.raises(ValueError, match="count"):
        plan_candidates(corporate, [], 0, seed=0)

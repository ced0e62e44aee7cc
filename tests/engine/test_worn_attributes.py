"""Glasses and facial hair, measured with a confidence, and what the prompt does with them:
someone who wears glasses keeps them in every prompt unless they say otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from engine.attributes import with_stated
from engine.intake import Assessment, Assessor
from engine.prompts import ATTRIBUTE_CONFIDENCE, plan_candidates
from engine.styles import StyleLibrary
from engine.types import Attribute
from tests.engine import degrade

PEOPLE = [
    "selfie_01.jpg",
    "selfie_03.jpg",
    "selfie_05.jpg",
    "selfie_08.jpg",
    "obama_2.jpg",
    "rose_1.jpg",
    "kit_1.jpg",
]


def _attribute(attributes: tuple[Attribute, ...], name: str) -> Attribute:
    return next(a for a in attributes if a.name == name)


@pytest.mark.parametrize("name", PEOPLE)
def test_glasses_are_seen_and_their_absence_never_claimed(
    assessor: Assessor, assessed_faces: dict[str, Assessment], faces_dir: Path, name: str
) -> None:
    bare = _attribute(assessed_faces[name].signature.attributes, "glasses")
    assert bare.confidence < ATTRIBUTE_CONFIDENCE
    face = assessed_faces[name].assessed.face  # type: ignore[union-attr]
    assert face is not None
    assert face.landmarks_68 is not None
    photo = Image.open(next(faces_dir.glob(f"*/{name}"))).convert("RGB")
    worn = assessor.assess(degrade.jpeg_bytes(degrade.glasses(photo, face.landmarks_68), 92), name)
    assert worn.report.ok, worn.report.codes
    glasses = _attribute(worn.signature.attributes, "glasses")
    assert (glasses.value, glasses.confidence >= ATTRIBUTE_CONFIDENCE) == ("yes", True)


def test_a_beard_is_seen_and_a_shaven_face_is_not_claimed(assessed_faces: dict[str, Assessment]) -> None:
    for name in ("kit_1.jpg", "kit_2.jpg"):
        beard = _attribute(assessed_faces[name].signature.attributes, "facial_hair")
        assert (beard.value, beard.confidence >= ATTRIBUTE_CONFIDENCE) == ("beard", True)
    for name in ("selfie_02.jpg", "obama_1.jpg", "biden_2.jpg", "rose_2.jpg"):
        beard = _attribute(assessed_faces[name].signature.attributes, "facial_hair")
        assert beard.confidence < ATTRIBUTE_CONFIDENCE


def test_glasses_stay_in_the_prompt_unless_the_person_says_otherwise() -> None:
    template = StyleLibrary.builtin().get("corporate")
    measured = (Attribute("glasses", "yes", 0.93), Attribute("facial_hair", "none", 0.5))
    spec = plan_candidates(template, measured, 1, seed=1)[0]
    assert "glasses" in spec.prompt
    assert "no glasses" in spec.negative_prompt
    stated = with_stated(measured, [Attribute("glasses", "no", 0.0)])
    spec = plan_candidates(template, stated, 1, seed=1)[0]
    assert "glasses" not in spec.prompt
    assert "glasses, eyewear" in spec.negative_prompt

"""Choosing and cutting the selfies a reference-image backend is shown, on real photos."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.generation.flux2_prompt import descriptive_prompt
from engine.generation.references import MAX_YAW, choose_references, usable
from engine.intake import Assessment
from engine.types import AssessedPhoto
from tests.engine.conftest import synthetic_crop


@pytest.fixture(scope="module")
def person_a(assessed_faces: dict[str, Assessment]) -> list[AssessedPhoto]:
    chosen = [assessed_faces[f"selfie_0{i}.jpg"].assessed for i in range(1, 9)]
    return [a for a in chosen if a is not None and a.face is not None]


def test_picks_distinct_sharp_frontal_selfies_as_aligned_crops(person_a: list[AssessedPhoto]) -> None:
    crops = choose_references(person_a, (), count=4, size=128)
    assert 2 <= len(crops) <= 4
    assert len({c.source_name for c in crops}) == len(crops)
    by_name = {a.photo.name: a for a in person_a}
    for crop in crops:
        assert crop.image.size == (128, 128)
        assert crop.face.roll == 0.0  # aligned: eyes levelled
        face = by_name[crop.source_name].face
        assert face is not None
        assert abs(face.yaw) <= MAX_YAW
    assert crops[0].source_name == person_a[0].photo.name  # the best selfie leads


def test_a_repeated_shot_is_not_a_second_reference(person_a: list[AssessedPhoto]) -> None:
    best = person_a[0]
    crops = choose_references([best, best, *person_a[1:]], (), count=3, size=64)
    assert [c.source_name for c in crops].count(best.photo.name) == 1


def test_turned_and_blurred_selfies_are_left_out(person_a: list[AssessedPhoto]) -> None:
    assert person_a[0].face is not None
    turned = replace(person_a[0], face=replace(person_a[0].face, yaw=70.0))
    blurred = replace(person_a[1], report=replace(person_a[1].report, sharpness=0.0))
    kept = usable([turned, blurred, *person_a[2:]])
    assert turned not in kept
    assert blurred not in kept


def test_without_assessed_selfies_the_request_crops_are_used() -> None:
    crops = choose_references(
        (), [synthetic_crop("a.jpg"), synthetic_crop("b.jpg", shift=8)], count=1, size=64
    )
    assert [c.source_name for c in crops] == ["a.jpg"]
    assert crops[0].image.size == (64, 64)
    with pytest.raises(ValueError, match="count"):
        choose_references((), (), count=0, size=64)


def test_style_prompt_becomes_sentences_about_the_referenced_person() -> None:
    prompt = descriptive_prompt(
        "professional corporate headshot photograph of a woman, a warm friendly smile, "
        "wearing a dark blazer over a crisp white blouse, a plain mid-grey studio backdrop, "
        "soft butterfly lighting, head and shoulders, 85mm lens at f/4",
        references=3,
    )
    assert prompt.startswith(
        "A professional corporate headshot photograph of a woman: the same person as in the reference photos"
    )
    assert "They are wearing a dark blazer over a crisp white blouse." in prompt
    assert "They have a warm friendly smile." in prompt
    assert "Behind them is a plain mid-grey studio backdrop." in prompt
    assert prompt.count(".") >= 5
    with pytest.raises(ValueError, match="empty"):
        descriptive_prompt(" , ")

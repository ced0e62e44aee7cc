"""Attributes: what the backend says, summarised over a set; nothing invented."""

from __future__ import annotations

import json

from engine.attributes import summarise
from engine.intake import Assessment
from engine.types import Attribute, PhotoRecord


def test_dlib_photos_carry_only_measured_attributes(assessed_faces: dict[str, Assessment]) -> None:
    """dlib has no age or gender model: only the measured glasses and facial hair appear,
    and only on photos with one face big enough to measure."""
    for result in assessed_faces.values():
        names = {a.name for a in result.signature.attributes}
        assert names <= {"glasses", "facial_hair"}
        if result.report.faces != 1:
            assert names == set()


def test_summary_takes_the_common_value_and_discounts_disagreement() -> None:
    photos = [
        [Attribute("gender_presentation", "feminine", 0.9), Attribute("age_range", "30-40", 0.6)],
        [Attribute("gender_presentation", "feminine", 0.7), Attribute("age_range", "30-40", 0.6)],
        [Attribute("gender_presentation", "masculine", 0.6), Attribute("age_range", "25-35", 0.6)],
        [],
    ]
    summary = {a.name: a for a in summarise(photos)}
    assert summary["gender_presentation"].value == "feminine"
    assert summary["gender_presentation"].confidence == round(0.8 * 2 / 3, 3)
    assert summary["age_range"].value == "30-40"
    assert summarise([]) == ()


def test_attributes_survive_the_json_round_trip() -> None:
    signature = PhotoRecord(
        name="a.jpg",
        ok=True,
        codes=(),
        embedding=(1.0, 0.0),
        attributes=(Attribute("age_range", "30-40", 0.6),),
    )
    again = PhotoRecord.from_json(json.loads(json.dumps(signature.to_json())))
    assert again == signature

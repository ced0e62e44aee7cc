"""Covered faces, as users send them: sunglasses, a lock of hair over an eye, a phone or a
mask over the mouth. Each is named with advice; the uncovered originals never are."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from engine.intake import Assessment, Assessor
from tests.engine import degrade

SINGLE = [
    "selfie_01.jpg", "selfie_02.jpg", "selfie_03.jpg", "selfie_05.jpg", "selfie_06.jpg",
    "selfie_08.jpg", "obama_1.jpg", "obama_2.jpg", "biden_1.jpg", "rose_1.jpg", "rose_2.jpg", "kit_1.jpg",
]  # fmt: skip


def _covered(
    assessor: Assessor, assessed: Assessment, faces_dir: Path, draw: Callable[..., Image.Image]
) -> list[str]:
    face = assessed.assessed.face if assessed.assessed is not None else None
    assert face is not None
    assert face.landmarks_68 is not None
    path = next(faces_dir.glob(f"*/{assessed.report.name}"))
    changed = draw(Image.open(path).convert("RGB"), face.landmarks_68)
    return assessor.assess(degrade.jpeg_bytes(changed, 92), assessed.report.name).report.codes


def test_uncovered_photos_are_not_called_covered(assessed_faces: dict[str, Assessment]) -> None:
    for name, assessed in assessed_faces.items():
        assert "sunglasses" not in assessed.report.codes, name
        assert "face_occluded" not in assessed.report.codes, name


@pytest.mark.parametrize("name", SINGLE)
def test_sunglasses_are_named(
    assessor: Assessor, assessed_faces: dict[str, Assessment], faces_dir: Path, name: str
) -> None:
    codes = _covered(assessor, assessed_faces[name], faces_dir, degrade.sunglasses)
    assert "sunglasses" in codes


@pytest.mark.parametrize(
    "occluder", ["phone over mouth", "mask", "hair over one eye"], ids=["phone", "mask", "hair"]
)
def test_a_covered_mouth_or_eye_is_never_a_good_photo(
    assessor: Assessor, assessed_faces: dict[str, Assessment], faces_dir: Path, occluder: str
) -> None:
    named = 0
    for name in SINGLE:
        codes = _covered(assessor, assessed_faces[name], faces_dir, degrade.OCCLUDERS[occluder])
        assert codes, f"{occluder} on {name} passed as a good photo"
        named += "face_occluded" in codes
    # HOG loses some masked or hair-covered faces altogether (then: no_face); most are named.
    assert named >= len(SINGLE) * 2 // 3, f"{occluder}: face_occluded on {named} of {len(SINGLE)}"


def test_the_advice_says_what_to_move(
    assessor: Assessor, assessed_faces: dict[str, Assessment], faces_dir: Path
) -> None:
    selfie = assessed_faces["selfie_02.jpg"]
    photo = Image.open(next(faces_dir.glob("*/selfie_02.jpg"))).convert("RGB")
    assert selfie.assessed is not None
    assert selfie.assessed.face is not None
    points = selfie.assessed.face.landmarks_68
    assert points is not None
    messages = {
        label: [
            i.message for i in assessor.assess(degrade.jpeg_bytes(draw(photo, points), 92), "p").report.issues
        ]
        for label, draw in degrade.OCCLUDERS.items()
    }
    assert any("sunglasses" in m for m in messages["sunglasses"])
    assert any("eyes" in m for m in messages["hair over one eye"])
    assert any("mouth" in m for m in messages["phone over mouth"])

"""Aligned headshot crops: levelled eyes, the face where a headshot puts it, both sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.crops import CROP_SIZES, crop_face, headshot_crops
from engine.faces import DlibFaceAnalyzer
from engine.intake import Assessor
from engine.types import as_array
from tests.engine import degrade


@pytest.fixture(scope="module")
def selfie(assessor: Assessor, person_a_paths: list[Path]) -> object:
    return assessor.assess(person_a_paths[1].read_bytes(), "selfie_02.jpg").assessed


def test_crops_at_512_and_1024(selfie: object, dlib_analyzer: DlibFaceAnalyzer) -> None:
    assert selfie is not None
    crops = headshot_crops(selfie.photo, selfie.face)  # type: ignore[attr-defined]
    assert tuple(c.size for c in crops) == CROP_SIZES == (512, 1024)
    for crop in crops:
        assert crop.image.size == (crop.size, crop.size)
        assert crop.source_name == "selfie_02.jpg"
        faces = dlib_analyzer.detect(as_array(crop.image))
        assert len(faces) == 1
        face = faces[0]
        # Headshot framing: face centred, about half the frame wide, eyes in the upper half, level.
        centre_x = (face.bbox[0] + face.bbox[2]) / 2
        assert abs(centre_x - crop.size / 2) < 0.08 * crop.size
        assert 0.3 * crop.size < face.width < 0.6 * crop.size
        eyes_y = (face.landmarks[0][1] + face.landmarks[1][1]) / 2
        assert 0.25 * crop.size < eyes_y < 0.5 * crop.size
        assert abs(face.roll) < 3


def test_crop_levels_a_tilted_head(
    assessor: Assessor, person_a_paths: list[Path], dlib_analyzer: DlibFaceAnalyzer
) -> None:
    from PIL import Image

    tilted = degrade.rotate(Image.open(person_a_paths[1]).convert("RGB"), 25)
    assessed = assessor.assess(degrade.jpeg_bytes(tilted, 92), "tilted.jpg").assessed
    assert assessed is not None
    assert assessed.face is not None
    assert abs(assessed.face.roll) > 20
    crop = crop_face(assessed.photo, assessed.face, 512)
    assert abs(dlib_analyzer.detect(as_array(crop.image))[0].roll) < 3


def test_crop_from_array_and_tiny_size_refused(selfie: object) -> None:
    crop = crop_face(np.asarray(selfie.photo.image), selfie.face, 64)  # type: ignore[attr-defined]
    assert crop.image.size == (64, 64)
    with pytest.raises(ValueError, match="size"):
        crop_face(selfie.photo, selfie.face, 8)  # type: ignore[attr-defined]

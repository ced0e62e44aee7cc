"""Quality verdicts on the real shared photos and on degraded copies made here."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from engine.faces import DlibFaceAnalyzer
from engine.intake import Assessment, Assessor
from engine.quality import assess_quality, eye_aspect_ratio
from engine.types import IssueCode
from tests.engine import degrade

GOOD = ("selfie_02.jpg", "selfie_05.jpg")
Originals = dict[str, tuple[Image.Image, float, float, tuple[float, float, float, float]]]


def codes(result: Assessment) -> set[str]:
    return set(result.report.codes)


def test_good_person_a_photos_pass(assessed_faces: dict[str, Assessment]) -> None:
    for name in (
        "selfie_01.jpg",
        "selfie_02.jpg",
        "selfie_03.jpg",
        "selfie_05.jpg",
        "selfie_06.jpg",
        "selfie_08.jpg",
    ):
        report = assessed_faces[name].report
        assert report.ok, (name, report.codes)
        assert report.faces == 1
        assert report.sharpness is not None
        assert report.sharpness >= 0.7
        assert report.face_px is not None
        assert report.face_px >= 112


def test_small_person_a_photos_are_low_resolution_only(assessed_faces: dict[str, Assessment]) -> None:
    for name in ("selfie_04.jpg", "selfie_07.jpg"):
        assert assessed_faces[name].report.codes == ["low_resolution"]


@pytest.mark.parametrize("name", ["two_people.jpg", "couple.jpg", "selfie_many_people.jpg"])
def test_group_photos_are_multiple_faces(assessed_faces: dict[str, Assessment], name: str) -> None:
    report = assessed_faces[name].report
    assert IssueCode.MULTIPLE_FACES.value in report.codes
    assert report.faces >= 2
    assert assessed_faces[name].signature.embedding is None


def test_many_people_counts_four(assessed_faces: dict[str, Assessment]) -> None:
    assert assessed_faces["selfie_many_people.jpg"].report.faces >= 4


def test_240p_is_flagged_small(assessed_faces: dict[str, Assessment]) -> None:
    report = assessed_faces["obama_240p.jpg"].report
    assert {"low_resolution", "face_too_small"} <= set(report.codes)
    assert report.face_px is not None
    assert report.face_px < 112
    assert "pixels wide" in next(i.message for i in report.issues if i.code is IssueCode.FACE_TOO_SMALL)


def test_partial_face_is_cut_off(assessed_faces: dict[str, Assessment]) -> None:
    assert "face_cut_off" in assessed_faces["obama_partial_face.jpg"].report.codes


@pytest.mark.parametrize("make", [skdata.chelsea, skdata.coffee])
def test_no_human_face(assessor: Assessor, make: object) -> None:
    image = Image.fromarray(make())  # type: ignore[operator]
    result = assessor.assess(degrade.jpeg_bytes(image, 90), "cat.jpg")
    assert "no_face" in codes(result)
    assert result.report.faces == 0
    assert result.signature.embedding is None


@pytest.fixture(scope="module")
def originals(faces_dir: Path, dlib_analyzer: DlibFaceAnalyzer) -> Originals:
    """(image, face width, nose x, face box) of the good photos the degradations start from."""
    out: Originals = {}
    for name in GOOD:
        image = Image.open(faces_dir / "person_a" / name).convert("RGB")
        face = dlib_analyzer.detect(np.asarray(image))[0]
        out[name] = (image, face.width, float(face.landmarks[2][0]), face.bbox)
    return out


def degraded(assessor: Assessor, image: Image.Image, quality: int = 92) -> set[str]:
    return codes(assessor.assess(degrade.jpeg_bytes(image, quality), "degraded.jpg"))


@pytest.mark.parametrize("name", GOOD)
def test_blur_is_blurry(assessor: Assessor, originals: Originals, name: str) -> None:
    image, width, _nose, _box = originals[name]
    assert "blurry" in degraded(assessor, degrade.blur(image, width, 0.02))


def test_blurred_background_is_fine(assessor: Assessor, originals: Originals) -> None:
    image, _width, _nose, (x0, y0, x1, y1) = originals["selfie_02.jpg"]
    soft = degrade.blur(image, 300, 0.05)
    pad = 0.4 * (x1 - x0)
    left, top = round(x0 - pad), round(y0 - pad)
    soft.paste(image.crop((left, top, round(x1 + pad), round(y1 + pad))), (left, top))
    assert "blurry" not in degraded(assessor, soft)


@pytest.mark.parametrize("name", GOOD)
def test_jpeg_quality_5_is_flagged(assessor: Assessor, originals: Originals, name: str) -> None:
    image = originals[name][0]
    result = assessor.assess(degrade.jpeg_bytes(image, 5), "q5.jpg")
    assert "blurry" in codes(result)
    assert "compressed" in result.report.issues[0].message


@pytest.mark.parametrize("name", GOOD)
def test_darkness_is_too_dark(assessor: Assessor, originals: Originals, name: str) -> None:
    assert "too_dark" in degraded(assessor, degrade.exposure(originals[name][0], 0.08))


@pytest.mark.parametrize("name", GOOD)
def test_overexposure_is_overexposed(assessor: Assessor, originals: Originals, name: str) -> None:
    assert "overexposed" in degraded(assessor, degrade.exposure(originals[name][0], 3.5))


@pytest.mark.parametrize("name", GOOD)
def test_backlight_is_backlit(assessor: Assessor, originals: Originals, name: str) -> None:
    image, _w, _n, box = originals[name]
    found = degraded(assessor, degrade.backlight(image, box))
    assert "backlit" in found
    assert "too_dark" not in found


@pytest.mark.parametrize("name", GOOD)
def test_side_light_is_harsh_shadow(assessor: Assessor, originals: Originals, name: str) -> None:
    image, _w, nose, _box = originals[name]
    assert "harsh_shadow" in degraded(assessor, degrade.side_shadow(image, nose))


@pytest.mark.parametrize(("degrees", "expected"), [(90, -90), (-90, 90), (60, -60), (180, 180)])
def test_rotation_past_45_is_pose_too_extreme(
    assessor: Assessor, originals: Originals, degrees: int, expected: int
) -> None:
    result = assessor.assess(
        degrade.jpeg_bytes(degrade.rotate(originals["selfie_02.jpg"][0], degrees), 92), "r.jpg"
    )
    assert "pose_too_extreme" in codes(result)
    assert result.report.roll is not None
    assert (result.report.roll - expected + 180) % 360 - 180 == pytest.approx(0, abs=8)
    message = next(i.message for i in result.report.issues if i.code.value == "pose_too_extreme")
    words = {60: "tilted sideways about 60 degrees", 90: "photo is sideways", 180: "photo is upside down"}
    assert words[abs(degrees)] in message


def test_small_tilt_is_fine(assessor: Assessor, originals: Originals) -> None:
    result = assessor.assess(
        degrade.jpeg_bytes(degrade.rotate(originals["selfie_02.jpg"][0], 20), 92), "r.jpg"
    )
    assert result.report.ok
    assert result.report.roll == pytest.approx(-20, abs=5)


def test_head_turn_sign_follows_the_image(dlib_analyzer: DlibFaceAnalyzer, faces_dir: Path) -> None:
    # kit_2 turns about 45 degrees; its mirror image turns the other way by the same amount.
    image = np.asarray(Image.open(faces_dir / "people" / "kit_2.jpg").convert("RGB"))
    face = dlib_analyzer.detect(image)[0]
    mirrored = dlib_analyzer.detect(np.ascontiguousarray(image[:, ::-1]))[0]
    assert abs(face.yaw) > 35
    assert mirrored.yaw == pytest.approx(-face.yaw, abs=5)


def test_turned_head_is_reported_with_its_angle(dlib_analyzer: DlibFaceAnalyzer, faces_dir: Path) -> None:
    image = np.asarray(Image.open(faces_dir / "people" / "kit_2.jpg").convert("RGB"))
    face = dlib_analyzer.detect(image)[0]
    turned = dataclasses.replace(face, yaw=-60.0)
    report = assess_quality("kit_2.jpg", image, [turned])
    assert "pose_too_extreme" in report.codes
    assert "Face the camera: your head is turned about 60 degrees." in [i.message for i in report.issues]


def test_closed_eyes_are_flagged(dlib_analyzer: DlibFaceAnalyzer, faces_dir: Path) -> None:
    image = np.asarray(Image.open(faces_dir / "person_a" / "selfie_05.jpg").convert("RGB"))
    face = dlib_analyzer.detect(image)[0]
    assert face.landmarks_68 is not None
    assert eye_aspect_ratio(face.landmarks_68) > 0.2
    closed = face.landmarks_68.copy()
    for eye in (slice(36, 42), slice(42, 48)):
        closed[eye, 1] = closed[eye, 1].mean()  # lids meet: the eye outline flattens to a line
    report = assess_quality("closed.jpg", image, [dataclasses.replace(face, landmarks_68=closed)])
    assert report.codes == ["eyes_closed"]

"""The pose plan follows each candidate's framing: a close-up, head-and-shoulders and
chest-up candidate get skeletons, keypoints and edges scaled and placed for that frame,
drawn from a real selfie of person_a."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine.conditioning import canny_image, face_region_mask, keypoints_image, pose_image, pose_joints
from engine.crops import crop_face
from engine.framing import EYE_LINE, ZOOMS, framed, zoom_for, zoom_of
from engine.intake import Assessor
from engine.prompts import plan_candidates
from engine.styles import StyleLibrary
from engine.types import FaceCrop

SIDE = 512


@pytest.fixture(scope="module")
def person_a_crop(assessor: Assessor, person_a_paths: list[Path]) -> FaceCrop:
    assessed = assessor.assess(person_a_paths[0].read_bytes(), person_a_paths[0].name).assessed
    assert assessed is not None
    assert assessed.face is not None
    return crop_face(assessed.photo, assessed.face, SIDE)


def eyes_and_unit(crop: FaceCrop) -> tuple[np.ndarray, float]:
    points = np.asarray(crop.face.landmarks, dtype=np.float64)
    eyes, mouth = (points[0] + points[1]) / 2, (points[3] + points[4]) / 2
    return eyes, float(np.linalg.norm(mouth - eyes))


def lit_box(image: object) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the drawn pixels."""
    lit = np.asarray(image).max(axis=-1) > 0
    rows, cols = np.flatnonzero(lit.any(axis=1)), np.flatnonzero(lit.any(axis=0))
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


@pytest.mark.parametrize("zoom", list(ZOOMS))
def test_each_framing_places_and_scales_the_face_for_its_frame(person_a_crop: FaceCrop, zoom: str) -> None:
    moved = framed(person_a_crop, zoom)
    eyes, unit = eyes_and_unit(moved)
    assert unit == pytest.approx(SIDE / ZOOMS[zoom], rel=1e-3)
    assert eyes == pytest.approx([SIDE / 2, SIDE * EYE_LINE], abs=0.5)
    # The box and the pixels moved with the landmarks: the face's edges are still inside its oval.
    edges = np.asarray(canny_image(moved))[:, :, 0] > 0
    assert edges.sum() > 100
    assert not edges[~face_region_mask(moved)].any()


def test_a_wider_framing_draws_a_smaller_head_with_the_shoulders_in_view(person_a_crop: FaceCrop) -> None:
    close, head, chest = (pose_image(framed(person_a_crop, zoom)) for zoom in ("close", "head", "chest"))
    spans = []
    for image in (close, head, chest):
        _top, bottom, left, right = lit_box(image)
        spans.append(right - left)
        assert bottom < SIDE - 1  # shoulders fall inside the frame, not cut by its edge
    assert spans[0] > spans[1] > spans[2]
    assert spans[0] / spans[2] == pytest.approx(ZOOMS["chest"] / ZOOMS["close"], rel=0.08)
    # The unframed crop (5.5 eye-to-mouth distances tall) draws a bigger head than any framing.
    joints = pose_joints(person_a_crop, SIDE)
    assert joints[5][0] - joints[2][0] > spans[0] * 0.9
    # The InstantID keypoints follow the same frame as the skeleton.
    kps = [lit_box(keypoints_image(framed(person_a_crop, zoom))) for zoom in ("close", "chest")]
    assert kps[0][3] - kps[0][2] > kps[1][3] - kps[1][2]


def test_the_plan_draws_every_candidate_in_its_own_framing(person_a_crop: FaceCrop) -> None:
    corporate = StyleLibrary.builtin().get("corporate")
    specs = plan_candidates(corporate, [], 6, seed=5, reference_faces=[person_a_crop])
    zooms = {zoom_for(spec.params["variation"]["framing"]) for spec in specs}
    assert zooms == {"head", "chest"}  # corporate offers head-and-shoulders and chest-up
    for spec in specs:
        zoom = zoom_for(spec.params["variation"]["framing"])
        assert zoom_of(spec.params) == zoom
        expected = pose_image(framed(person_a_crop, zoom))
        assert np.array_equal(np.asarray(spec.control_images["openpose"]), np.asarray(expected))
    chest = next(s for s in specs if zoom_of(s.params) == "chest")
    head = next(s for s in specs if zoom_of(s.params) == "head")
    chest_box, head_box = lit_box(chest.control_images["openpose"]), lit_box(head.control_images["openpose"])
    assert chest_box[3] - chest_box[2] < head_box[3] - head_box[2]


def test_unknown_zoom_leaves_the_crop_and_camera_zoom_wins(person_a_crop: FaceCrop) -> None:
    assert framed(person_a_crop, None) is person_a_crop
    assert framed(person_a_crop, "fisheye") is person_a_crop
    params = {"camera": {"zoom": "close"}, "variation": {"framing": "chest-up framing"}}
    assert zoom_of(params) == "close"
    assert zoom_of({"variation": {"framing": "chest-up framing"}}) == "chest"
    assert zoom_of({}) == "head"
    four_points = replace(
        person_a_crop, face=replace(person_a_crop.face, landmarks=person_a_crop.face.landmarks[:4])
    )
    with pytest.raises(ValueError, match="5 landmarks"):
        framed(four_points, "head")

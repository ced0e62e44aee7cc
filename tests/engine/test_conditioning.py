"""Conditioning images carry pose, never the selfie's background, clothes or padding."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.conditioning import (
    canny_image,
    control_images,
    face_region_mask,
    keypoints_image,
    make_control_image,
    pose_image,
    reference_for,
)
from engine.crops import PAD_FILL, crop_face
from engine.intake import Assessor
from engine.types import FaceCrop, as_array


@pytest.fixture(scope="module")
def person_a_crop(assessor: Assessor, person_a_paths: list[Path]) -> FaceCrop:
    assessed = assessor.assess(person_a_paths[0].read_bytes(), person_a_paths[0].name).assessed
    assert assessed is not None
    assert assessed.face is not None
    return crop_face(assessed.photo, assessed.face, 1024)


def test_edges_of_a_real_selfie_stay_inside_the_face(person_a_crop: FaceCrop) -> None:
    edges = np.asarray(canny_image(person_a_crop))[:, :, 0]
    inside = face_region_mask(person_a_crop)
    everything = cv2.Canny(cv2.cvtColor(as_array(person_a_crop.image), cv2.COLOR_RGB2GRAY), 100, 200)
    # The selfie has plenty of edges outside the face (backdrop, clothes, hair) ...
    assert (everything[~inside] > 0).sum() > 2000
    # ... and the control image has none of them, but keeps the face's own.
    assert not edges[~inside].any()
    assert (edges[inside] > 0).sum() > 200
    assert inside.mean() < 0.35


def test_pose_and_keypoint_images_hold_no_selfie_pixels(person_a_crop: FaceCrop) -> None:
    for image in (keypoints_image(person_a_crop), pose_image(person_a_crop)):
        pixels = np.asarray(image)
        lit = pixels.max(axis=-1) > 0
        assert 0 < lit.mean() < 0.1
        # Only drawn colours: no photo texture survives (a photo has thousands of colours).
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) < 200


def test_padding_draws_no_streaks(assessor: Assessor, person_a_paths: list[Path]) -> None:
    assessed = assessor.assess(person_a_paths[0].read_bytes(), "a.jpg").assessed
    assert assessed is not None
    assert assessed.face is not None
    # Cut the photo so the face sits at its edge: the crop must run past it.
    image = as_array(assessed.photo.image)
    x0 = int(assessed.face.bbox[0])
    cut = np.ascontiguousarray(image[:, max(0, x0 - 10) :])
    from dataclasses import replace

    shifted = replace(
        assessed.face,
        bbox=(10.0, assessed.face.bbox[1], assessed.face.bbox[2] - max(0, x0 - 10), assessed.face.bbox[3]),
        landmarks=assessed.face.landmarks - np.array([max(0, x0 - 10), 0], np.float32),
    )
    crop = crop_face(cut, shifted, 512)
    pixels = as_array(crop.image)
    fill = np.all(pixels == PAD_FILL, axis=-1)
    assert fill[:, :40].mean() > 0.9  # the part beyond the photo is flat grey, not smeared edge pixels
    edges = np.asarray(canny_image(crop))[:, :, 0]
    assert not edges[:, :60].any()


def test_keypoints_are_drawn_as_instantid_does(crops: list[FaceCrop]) -> None:
    crop = crops[0]
    image = np.asarray(keypoints_image(crop, size=1024))
    assert image.shape == (1024, 1024, 3)
    points = crop.face.landmarks * 8
    for (x, y), colour in zip(points, [(255, 0, 0), (0, 255, 0), (0, 0, 255)], strict=False):
        assert tuple(image[int(y), int(x)]) == colour
    # A stick from the left eye to the nose: 60 % of the eye's red, 4 px half-width (9 px across).
    eye, nose = points[0], points[2]
    mid = ((eye + nose) / 2).astype(int)
    direction = (nose - eye) / np.linalg.norm(nose - eye)
    normal = np.array([-direction[1], direction[0]])
    across = [tuple(image[int(mid[1] + t * normal[1]), int(mid[0] + t * normal[0])]) for t in range(-8, 9)]
    assert (153, 0, 0) in across
    assert 7 <= sum(1 for c in across if c == (153, 0, 0)) <= 10
    assert not image[:20, :20].any()


def test_images_move_with_the_face(crops: list[FaceCrop]) -> None:
    for make in (canny_image, keypoints_image, pose_image):
        left, right = (np.asarray(make(crop)) for crop in crops)
        assert left.shape == (128, 128, 3)
        assert left.any()
        assert not np.array_equal(left, right), make.__name__


def test_every_image_of_a_candidate_comes_from_one_reference(crops: list[FaceCrop]) -> None:
    made = control_images(["canny", "openpose", "instantid", "depth"], crops[1])
    assert set(made) == {"canny", "openpose", "instantid"}
    for kind, image in made.items():
        assert np.array_equal(np.asarray(image), np.asarray(make_control_image(kind, crops[1])))
    assert reference_for("selfie_02.jpg", crops, 0) is crops[1]
    assert reference_for("unknown.jpg", crops, 3) is crops[1]


def test_depth_is_not_available_and_unknown_kinds_fail(crops: list[FaceCrop]) -> None:
    assert make_control_image("depth", crops[0]) is None
    with pytest.raises(ValueError, match="scribble"):
        make_control_image("scribble", crops[0])

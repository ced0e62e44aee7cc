"""Conditioning images come from the selfie crops and follow the landmarks."""

from __future__ import annotations

import numpy as np
import pytest

from engine.conditioning import canny_image, keypoints_image, make_control_image, openpose_head_image
from engine.types import FaceCrop


def test_keypoints_are_drawn_where_the_landmarks_are(crops: list[FaceCrop]) -> None:
    crop = crops[0]
    image = np.asarray(keypoints_image(crop, size=256))
    assert image.shape == (256, 256, 3)
    for (x, y), colour in zip(crop.face.landmarks * 2, [(255, 0, 0), (0, 255, 0), (0, 0, 255)], strict=False):
        assert tuple(image[int(y), int(x)]) == colour
    assert not image[:20, :20].any()


def test_images_move_with_the_face(crops: list[FaceCrop]) -> None:
    for make in (canny_image, keypoints_image, openpose_head_image):
        left, right = (np.asarray(make(crop)) for crop in crops)
        assert left.shape == (128, 128, 3)
        assert left.any()
        assert not np.array_equal(left, right), make.__name__


def test_depth_is_not_available_and_unknown_kinds_fail(crops: list[FaceCrop]) -> None:
    assert make_control_image("depth", crops[0]) is None
    with pytest.raises(ValueError, match="scribble"):
        make_control_image("scribble", crops[0])

"""ControlNet conditioning images made from the user's own aligned selfie crops.

Pose comes from the person's real selfies instead of a stock pose, so the generated head
sits the way theirs does. `FaceCrop.face` is read in crop pixel coordinates (the aligner
records the face as it lies in the crop). Depth needs a depth-estimation model we do not
ship; `make_control_image("depth", ...)` returns None and styles simply skip it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from engine.types import FaceCrop, FloatArray, as_array

CANNY_LOW, CANNY_HIGH = 100, 200
KEYPOINT_COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255))
"""InstantID's colour per landmark: left eye, right eye, nose, left mouth, right mouth."""
_LIMBS = ((0, 2), (1, 2), (3, 2), (4, 2))
_OPENPOSE_HEAD = ((0, 0, 255), (255, 0, 170), (170, 0, 255), (255, 0, 85), (255, 0, 255))


def canny_image(crop: FaceCrop, size: int | None = None) -> Image.Image:
    """Edges of the crop (white on black, RGB), the canny ControlNet's input."""
    gray = cv2.cvtColor(as_array(crop.image), cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(gray, CANNY_LOW, CANNY_HIGH)
    image = Image.fromarray(np.stack([edges] * 3, axis=-1))
    return image if size is None else image.resize((size, size), Image.Resampling.BILINEAR)


def _scaled_landmarks(crop: FaceCrop, size: int) -> FloatArray:
    points = np.asarray(crop.face.landmarks, dtype=np.float32).reshape(-1, 2)
    if points.shape[0] < 5:
        raise ValueError(f"keypoint images need 5 landmarks, the crop has {points.shape[0]}")
    scale = size / float(crop.image.width)
    return points[:5] * scale


def keypoints_image(crop: FaceCrop, size: int | None = None) -> Image.Image:
    """The five face landmarks drawn InstantID-style (coloured sticks to the nose, dots)."""
    side = size or crop.image.width
    points = _scaled_landmarks(crop, side)
    canvas = np.zeros((side, side, 3), dtype=np.uint8)
    stick = max(2, side // 128)
    for start, end in _LIMBS:
        (x0, y0), (x1, y1) = points[start], points[end]
        length = float(math.hypot(x1 - x0, y1 - y0))
        angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
        polygon = cv2.ellipse2Poly(
            (int((x0 + x1) / 2), int((y0 + y1) / 2)), (int(length / 2), stick), int(angle), 0, 360, 1
        )
        colour = tuple(int(c * 0.6) for c in KEYPOINT_COLOURS[start])
        cv2.fillConvexPoly(canvas, np.asarray(polygon, dtype=np.int32), colour)
    for (x, y), colour in zip(points, KEYPOINT_COLOURS, strict=True):
        cv2.circle(canvas, (int(x), int(y)), max(3, side // 100), colour, -1)
    return Image.fromarray(canvas)


def openpose_head_image(crop: FaceCrop, size: int | None = None) -> Image.Image:
    """An OpenPose-style head skeleton (nose, eyes, neck) from the landmarks: enough for the
    openpose ControlNet to hold the head's position and tilt; the body is left free."""
    side = size or crop.image.width
    points = _scaled_landmarks(crop, side)
    left_eye, right_eye, nose = points[0], points[1], points[2]
    mouth = (points[3] + points[4]) / 2
    neck = nose + (mouth - nose) * 3.0
    joints = (nose, left_eye, right_eye, neck)
    canvas = np.zeros((side, side, 3), dtype=np.uint8)
    width = max(2, side // 96)
    for index, joint in enumerate(joints[1:], start=1):
        cv2.line(
            canvas, tuple(int(v) for v in nose), tuple(int(v) for v in joint), _OPENPOSE_HEAD[index], width
        )
    for joint, colour in zip(joints, _OPENPOSE_HEAD, strict=False):
        cv2.circle(canvas, (int(joint[0]), int(joint[1])), width + 2, colour, -1)
    return Image.fromarray(canvas)


def make_control_image(kind: str, crop: FaceCrop, size: int | None = None) -> Image.Image | None:
    """The conditioning image for ControlNet `kind`, or None when we cannot make one (depth)."""
    if kind == "canny":
        return canny_image(crop, size)
    if kind == "instantid":
        return keypoints_image(crop, size)
    if kind == "openpose":
        return openpose_head_image(crop, size)
    if kind == "depth":
        return None
    raise ValueError(f"unknown ControlNet kind {kind!r}")

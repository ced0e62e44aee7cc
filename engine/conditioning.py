"""ControlNet conditioning images made from the user's own aligned selfie crops.

What a control image carries the model copies, so these carry pose and nothing else: the
face's five keypoints drawn as InstantID draws them, a head-and-shoulders OpenPose skeleton
placed from the keypoints, and, when a style asks for edges, only the edges inside the face
oval (never the selfie's backdrop, lettering, clothes or jewellery). `FaceCrop.face` is read
in crop pixel coordinates (the aligner records the face as it lies in the crop). Depth needs a
depth-estimation model we do not ship; `make_control_image("depth", ...)` returns None and
styles simply skip it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.crops import PAD_FILL
from engine.types import FaceCrop, FloatArray, as_array

CANNY_LOW, CANNY_HIGH = 100, 200
FACE_OVAL_MARGIN = 1.1
"""The edge control's oval, in half-sizes of the face box: the face and jaw, not the hair,
the neckline or what is behind the head."""
KEYPOINT_COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255))
"""InstantID's colour per landmark: left eye, right eye, nose, left mouth, right mouth."""
KEYPOINT_STICK, KEYPOINT_DOT, KEYPOINT_CANVAS = 4, 10, 1024
"""InstantID's `draw_kps`: 4 px half-width sticks and 10 px dots, drawn on a ~1024 px image;
other sizes scale from there."""
_LIMBS = ((0, 2), (1, 2), (3, 2), (4, 2))
OPENPOSE_COLOURS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip
"""OpenPose's body palette: limb i of its 17-limb list is drawn in colour i."""
_POSE_LIMBS = ((0, 1, 2), (1, 1, 5), (12, 1, 0), (13, 0, 14), (14, 14, 16), (15, 0, 15), (16, 15, 17))
"""(OpenPose limb index, joint, joint) for the head and shoulders: neck-shoulders, neck-nose,
nose-eyes, eyes-ears (joints: 0 nose, 1 neck, 2/5 right/left shoulder, 14-17 eyes and ears)."""
SHOULDER_SPAN = 2.3
"""Half the shoulder width in eye-to-mouth distances (adult proportions, squared to camera)."""
CONTROL_KINDS = ("canny", "openpose", "instantid", "depth")


def _side(crop: FaceCrop, size: int | None) -> int:
    return size or crop.image.width


def _scaled_landmarks(crop: FaceCrop, size: int) -> FloatArray:
    points = np.asarray(crop.face.landmarks, dtype=np.float32).reshape(-1, 2)
    if points.shape[0] < 5:
        raise ValueError(f"keypoint images need 5 landmarks, the crop has {points.shape[0]}")
    return points[:5] * (size / float(crop.image.width))


def face_region_mask(crop: FaceCrop, size: int | None = None) -> NDArray[np.bool_]:
    """True inside the face oval (from the face box, in crop pixels scaled to `size`)."""
    side = _side(crop, size)
    scale = side / float(crop.image.width)
    x0, y0, x1, y1 = (v * scale for v in crop.face.bbox)
    mask = np.zeros((side, side), dtype=np.uint8)
    centre = (round((x0 + x1) / 2), round((y0 + y1) / 2))
    axes = (max(1, round((x1 - x0) / 2 * FACE_OVAL_MARGIN)), max(1, round((y1 - y0) / 2 * FACE_OVAL_MARGIN)))
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, -1)
    return mask.astype(bool)


def _padding_mask(rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Where the crop ran past the photo (the neutral fill), grown by a few pixels so the
    edge between photo and fill is ignored too."""
    fill = np.all(rgb == PAD_FILL, axis=-1).astype(np.uint8)
    fill = cv2.morphologyEx(fill, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.dilate(fill, np.ones((7, 7), np.uint8)).astype(bool)


def canny_image(crop: FaceCrop, size: int | None = None) -> Image.Image:
    """Edges inside the face oval only (white on black, RGB), the canny ControlNet's input:
    the face's structure without the selfie's background, clothes or padding."""
    side = _side(crop, size)
    rgb = as_array(crop.image)
    if rgb.shape[0] != side:
        rgb = np.asarray(crop.image.resize((side, side), Image.Resampling.BILINEAR))
    edges = cv2.Canny(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), CANNY_LOW, CANNY_HIGH)
    edges[~face_region_mask(crop, side) | _padding_mask(rgb)] = 0
    return Image.fromarray(np.stack([edges] * 3, axis=-1))


def _stick(
    canvas: NDArray[np.uint8], start: FloatArray, end: FloatArray, width: int, colour: tuple[int, ...]
) -> None:
    (x0, y0), (x1, y1) = start, end
    length = float(math.hypot(x1 - x0, y1 - y0))
    angle = math.degrees(math.atan2(y0 - y1, x0 - x1))
    polygon = cv2.ellipse2Poly(
        (int((x0 + x1) / 2), int((y0 + y1) / 2)), (int(length / 2), width), int(angle), 0, 360, 1
    )
    cv2.fillConvexPoly(canvas, np.asarray(polygon, dtype=np.int32), colour)


def keypoints_image(crop: FaceCrop, size: int | None = None) -> Image.Image:
    """The five face landmarks drawn as InstantID's `draw_kps` does: sticks from eyes and
    mouth corners to the nose in the start point's colour at 60 %, then full-colour dots."""
    side = _side(crop, size)
    points = _scaled_landmarks(crop, side)
    scale = side / KEYPOINT_CANVAS
    sticks = np.zeros((side, side, 3), dtype=np.uint8)
    for start, end in _LIMBS:
        _stick(
            sticks, points[start], points[end], max(1, round(KEYPOINT_STICK * scale)), KEYPOINT_COLOURS[start]
        )
    canvas = (sticks.astype(np.float32) * 0.6).astype(np.uint8)
    for (x, y), colour in zip(points, KEYPOINT_COLOURS, strict=True):
        cv2.circle(canvas, (int(x), int(y)), max(1, round(KEYPOINT_DOT * scale)), colour, -1)
    return Image.fromarray(canvas)


def pose_joints(crop: FaceCrop, size: int) -> dict[int, FloatArray]:
    """OpenPose joints for a head-and-shoulders pose from the five landmarks: the head as in
    the selfie (position, tilt, turn), shoulders level and square, as a headshot sits."""
    points = _scaled_landmarks(crop, size)
    right_eye, left_eye, nose = points[0], points[1], points[2]
    mouth = (points[3] + points[4]) / 2
    eyes = (right_eye + left_eye) / 2
    unit = max(float(np.linalg.norm(mouth - eyes)), 1.0)
    neck = eyes + (mouth - eyes) * 3.2
    across = np.array([unit * SHOULDER_SPAN, unit * 0.35], dtype=np.float32)
    return {
        0: nose,
        1: neck,
        2: neck + across * np.array([-1.0, 1.0], dtype=np.float32),
        5: neck + across,
        14: right_eye,
        15: left_eye,
        16: right_eye + (right_eye - left_eye) * 0.6,
        17: left_eye + (left_eye - right_eye) * 0.6,
    }


def pose_image(crop: FaceCrop, size: int | None = None) -> Image.Image:
    """The OpenPose ControlNet's input: a head-and-shoulders skeleton in OpenPose's colours
    (sticks blended at 60 %, joints as dots), on black; nothing of the selfie's pixels."""
    side = _side(crop, size)
    joints = pose_joints(crop, side)
    width = max(2, round(4 * side / 512))
    canvas = np.zeros((side, side, 3), dtype=np.uint8)
    for limb, a, b in _POSE_LIMBS:
        layer = canvas.copy()
        _stick(layer, joints[a], joints[b], width, OPENPOSE_COLOURS[limb])
        canvas = np.asarray(cv2.addWeighted(canvas, 0.4, layer, 0.6, 0), dtype=np.uint8)
    for joint, (x, y) in joints.items():
        cv2.circle(canvas, (int(x), int(y)), width, OPENPOSE_COLOURS[joint], -1)
    return Image.fromarray(canvas)


def make_control_image(kind: str, crop: FaceCrop, size: int | None = None) -> Image.Image | None:
    """The conditioning image for ControlNet `kind`, or None when we cannot make one (depth)."""
    if kind == "canny":
        return canny_image(crop, size)
    if kind == "instantid":
        return keypoints_image(crop, size)
    if kind == "openpose":
        return pose_image(crop, size)
    if kind == "depth":
        return None
    raise ValueError(f"unknown ControlNet kind {kind!r}; choose from {', '.join(CONTROL_KINDS)}")


def control_images(kinds: Iterable[str], crop: FaceCrop, size: int | None = None) -> dict[str, Image.Image]:
    """Every image of one candidate, all from one pose reference (`crop`), so the keypoints,
    the skeleton and the edges agree; kinds without an image (depth) are left out."""
    made = {kind: make_control_image(kind, crop, size) for kind in dict.fromkeys(kinds)}
    return {kind: image for kind, image in made.items() if image is not None}


def reference_for(name: object, references: Sequence[FaceCrop], index: int) -> FaceCrop:
    """The pose reference a candidate was planned with (`params["reference"]`, a selfie's
    name), else the `index`-th reference cycling: one rule for every control image."""
    if not references:
        raise ValueError("references must hold at least one aligned selfie")
    for crop in references:
        if crop.source_name == name:
            return crop
    return references[index % len(references)]

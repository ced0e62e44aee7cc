"""Gentle retouch: soften blemishes on skin and lighten under the eyes, nothing else.

Only skin is touched: the face hull from the landmarks, minus eyes, brows and mouth, and
only pixels of skin colour. The smoothing is edge-preserving (bilateral) and the finest
texture is left alone, so pores stay and the face keeps its shape; the identity check in
ranking (and the tests) hold this to the face backend's match threshold.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.types import Face, FloatArray, ImageArray

MAX_SMOOTHING = 0.8
"""At retouch strength 1, the share of the bilateral result blended into skin."""
SMOOTH_FACE_PX = 256
"""Face width at which blemishes are smoothed; finer texture is never touched."""
UNDER_EYE_LIFT = 0.08
"""At strength 1, how much the under-eye area is brightened (fraction of its luma)."""


def skin_mask(image: ImageArray, face: Face) -> FloatArray:
    """Soft mask (HxW float32) of the face's skin: landmark hull, skin colours, features cut out."""
    height, width = image.shape[:2]
    mask = np.zeros((height, width), np.uint8)
    points = face.landmarks_68 if face.landmarks_68 is not None else None
    if points is not None:
        hull = cv2.convexHull(points.astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 255)
        # Extend upwards to the forehead (the 68 points stop at the brows).
        brow_top = float(points[17:27, 1].min())
        chin_to_brow = float(points[8, 1]) - brow_top
        centre = (round(float(points[17:27, 0].mean())), round(brow_top))
        axes = (round(float(points[26, 0] - points[17, 0]) / 2), round(0.3 * chin_to_brow))
        cv2.ellipse(mask, centre, axes, 0, 180, 360, 255, -1)
        for feature in (points[36:42], points[42:48], points[48:60], points[17:22], points[22:27]):
            cv2.fillConvexPoly(mask, cv2.convexHull(feature.astype(np.int32)), 0)
        cut = max(2, round(0.04 * face.width))
        features = np.zeros_like(mask)
        for feature in (points[36:42], points[42:48], points[48:60]):
            cv2.fillConvexPoly(features, cv2.convexHull(feature.astype(np.int32)), 255)
        features = np.asarray(cv2.dilate(features, np.ones((cut, cut), np.uint8)), np.uint8)
        mask[features > 0] = 0
    else:
        x0, y0, x1, y1 = face.bbox
        centre = (round((x0 + x1) / 2), round((y0 + y1) / 2))
        cv2.ellipse(mask, centre, (round(0.4 * face.width), round(0.5 * face.height)), 0, 0, 360, 255, -1)
    ycc = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)
    skin_colour = cv2.inRange(ycc, np.array((30, 133, 77), np.uint8), np.array((255, 180, 130), np.uint8))
    combined = cv2.bitwise_and(mask, skin_colour).astype(np.float32) / 255.0
    sigma = max(1.0, 0.02 * face.width)
    return cv2.GaussianBlur(combined, (0, 0), sigma)  # type: ignore[return-value]


def _region(face: Face, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = face.bbox
    pad_x, pad_y = 0.25 * face.width, 0.4 * face.height
    return (
        max(0, int(x0 - pad_x)),
        max(0, int(y0 - pad_y)),
        min(shape[1], int(x1 + pad_x) + 1),
        min(shape[0], int(y1 + pad_y) + 1),
    )


def retouch(image: ImageArray, face: Face, strength: float) -> ImageArray:
    """Blemish smoothing on skin and an under-eye lift, scaled by `strength` (0-1)."""
    if strength <= 0 or face.width < 16:
        return image
    x0, y0, x1, y1 = _region(face, image.shape)
    local = _shifted(face, x0, y0)
    patch = image[y0:y1, x0:x1]
    mask = skin_mask(patch, local) * min(1.0, strength) * MAX_SMOOTHING
    patch_f = patch.astype(np.float32)
    # Smooth at a scale where the face is about 256 px wide, and add back only the change:
    # blemishes (face-scale spots) go, pores (finer than that scale) stay untouched.
    scale = min(1.0, SMOOTH_FACE_PX / face.width)
    size = (max(1, round(patch.shape[1] * scale)), max(1, round(patch.shape[0] * scale)))
    small = cv2.resize(patch, size, interpolation=cv2.INTER_AREA)
    smooth = cv2.bilateralFilter(small, d=7, sigmaColor=18, sigmaSpace=3)
    change = smooth.astype(np.float32) - small.astype(np.float32)
    change = np.asarray(
        cv2.resize(change, (patch.shape[1], patch.shape[0]), interpolation=cv2.INTER_LINEAR), np.float32
    )
    result = patch_f + mask[..., None] * change
    result = _lift_under_eyes(result, local, strength)
    out = image.copy()
    out[y0:y1, x0:x1] = np.clip(result, 0, 255).astype(np.uint8)
    return out


def _lift_under_eyes(patch: FloatArray, face: Face, strength: float) -> FloatArray:
    left_eye, right_eye = face.landmarks[0], face.landmarks[1]
    span = float(np.linalg.norm(right_eye - left_eye))
    if span < 8:
        return patch
    weight = np.zeros(patch.shape[:2], np.float32)
    for eye in (left_eye, right_eye):
        centre = (round(float(eye[0])), round(float(eye[1]) + 0.28 * span))
        cv2.ellipse(weight, centre, (round(0.3 * span), round(0.1 * span)), 0, 0, 360, 1.0, -1)
    weight = np.asarray(cv2.GaussianBlur(weight, (0, 0), 0.06 * span), np.float32)
    gain = 1.0 + UNDER_EYE_LIFT * min(1.0, strength) * weight
    return patch * gain[..., None]


def _shifted(face: Face, dx: int, dy: int) -> Face:
    offset = np.array([dx, dy], np.float32)
    x0, y0, x1, y1 = face.bbox
    return Face(
        bbox=(x0 - dx, y0 - dy, x1 - dx, y1 - dy),
        score=face.score,
        landmarks=face.landmarks - offset,
        yaw=face.yaw,
        pitch=face.pitch,
        roll=face.roll,
        landmarks_68=None if face.landmarks_68 is None else face.landmarks_68 - offset,
    )

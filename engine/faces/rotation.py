"""Find faces in a photo that is sideways, upside down or steeply tilted.

Face detectors (HOG, SCRFD) only find roughly upright faces. When a photo has none, we look
again at turned copies and map the faces back, so the user hears "your head is tilted about
90 degrees" (a photo saved sideways) instead of "no face found".
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from engine.faces.pose import roll_from_eyes
from engine.types import Face, FaceAnalyzer, FloatArray, ImageArray

SEARCH_ANGLES = (90.0, -90.0, 45.0, -45.0, 180.0)
"""Counter-clockwise turns to try (sideways photos saved without EXIF are the common case)."""
SEARCH_SIDE = 320


def shrunk(image: ImageArray, side: int) -> tuple[ImageArray, float]:
    """`image` scaled down (never up) so its long side is at most `side`, and the scale."""
    height, width = image.shape[:2]
    scale = min(1.0, side / max(height, width))
    if scale >= 1.0:
        return image, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small: ImageArray = cv2.resize(image, size, interpolation=cv2.INTER_AREA)  # type: ignore[assignment]
    return small, scale


def _rotation(image: ImageArray, angle: float) -> tuple[ImageArray, FloatArray]:
    """The image turned `angle` degrees counter-clockwise on a canvas that fits it, and the 2x3 map."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = round(height * sin + width * cos), round(height * cos + width * sin)
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    turned: ImageArray = cv2.warpAffine(  # type: ignore[assignment]
        image, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return turned, matrix.astype(np.float32)


def _map_points(points: FloatArray, inverse: FloatArray) -> FloatArray:
    return (points @ inverse[:, :2].T + inverse[:, 2]).astype(np.float32)


def _map_face(face: Face, inverse: FloatArray) -> Face:
    landmarks = _map_points(face.landmarks, inverse)
    dense = _map_points(face.landmarks_68, inverse) if face.landmarks_68 is not None else None
    x0, y0, x1, y1 = face.bbox
    corners = _map_points(np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float32), inverse)
    # The box must stay the face's size, not grow with the turn: keep its width and height.
    centre = corners.mean(axis=0)
    size = float(np.linalg.norm(inverse[:, 0]))
    half_w, half_h = face.width * size / 2, face.height * size / 2
    return dataclasses.replace(
        face,
        bbox=(
            float(centre[0] - half_w),
            float(centre[1] - half_h),
            float(centre[0] + half_w),
            float(centre[1] + half_h),
        ),
        landmarks=landmarks,
        landmarks_68=dense,
        roll=roll_from_eyes(landmarks[0], landmarks[1]),
    )


def detect_upright(analyzer: FaceAnalyzer, image: ImageArray) -> list[Face]:
    """Faces of the turned copy with the most confident detection, in the original's coordinates.

    Searches a copy at most `SEARCH_SIDE` pixels long (a turned face is reported, not
    embedded, so coarse landmarks are enough) and tries every angle: a detector sometimes
    fires on an upside-down face, with a worse score than on the upright copy.
    """
    small, scale = shrunk(image, SEARCH_SIDE)
    best: tuple[float, list[Face], FloatArray] | None = None
    for angle in SEARCH_ANGLES:
        turned, matrix = _rotation(small, angle)
        faces = analyzer.detect(turned)
        if faces and (best is None or faces[0].score > best[0]):
            best = (faces[0].score, faces, matrix)
    if best is None:
        return []
    _score, faces, matrix = best
    inverse = cv2.invertAffineTransform(matrix).astype(np.float32) / np.float32(scale)
    return [_map_face(face, inverse) for face in faces]

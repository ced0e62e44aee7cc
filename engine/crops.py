"""Aligned headshot crops (512 and 1024 px squares) from a face's landmarks.

The crop is a similarity transform: it levels the eyes (undoing roll), scales so the
eye-to-mouth distance is a fixed fraction of the side, and places the face where a
headshot photographer would (hair and a little shoulder in frame). Generation uses these as
identity references, ranking compares candidates with them.
"""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.types import Face, FaceCrop, FloatArray, ImageArray, Photo, as_array

CROP_SIZES = (512, 1024)
SIDE_PER_EYE_MOUTH = 5.5
"""Crop side in eye-to-mouth distances: brows to chin is about 2.5 of them, so the face fills
about half the frame, the portrait framing of a headshot."""
PAD_FILL = 127
"""Grey that fills a crop where it runs past the photo's edge: repeating the edge pixels
instead draws streaks that an edge control and the diffusion model both copy."""
CENTRE_BELOW_EYES = 0.8
"""Crop centre along the eye-to-mouth line (0 = eyes, 1 = mouth): leaves room for hair above."""


def crop_box(face: Face) -> tuple[float, float, float, float]:
    """(centre x, centre y, side, angle in degrees) of the headshot square in image pixels."""
    left_eye, right_eye, _nose, mouth_left, mouth_right = (
        np.asarray(p, dtype=np.float64) for p in face.landmarks
    )
    eyes = (left_eye + right_eye) / 2
    mouth = (mouth_left + mouth_right) / 2
    eye_mouth = float(np.linalg.norm(mouth - eyes))
    eye_span = float(np.linalg.norm(right_eye - left_eye))
    # Eye-to-mouth barely changes as the head turns; the eye span is the fallback for odd landmarks.
    scale = max(eye_mouth, 0.8 * eye_span, 1.0)
    centre = eyes + CENTRE_BELOW_EYES * (mouth - eyes)
    angle = math.degrees(math.atan2(right_eye[1] - left_eye[1], right_eye[0] - left_eye[0]))
    return float(centre[0]), float(centre[1]), SIDE_PER_EYE_MOUTH * scale, angle


def crop_face(
    photo: Photo | Image.Image | ImageArray, face: Face, size: int = 1024, *, margin: float = 1.0
) -> FaceCrop:
    """The aligned `size` x `size` headshot of `face`; areas beyond the photo are
    neutral grey (`PAD_FILL`).

    `margin` widens the square around the same centre (1.5 frames face and shoulders, what
    studio training learns from)."""
    if size < 16:
        msg = f"size must be at least 16 pixels, got {size}"
        raise ValueError(msg)
    if isinstance(photo, Photo):
        array, name = as_array(photo.image), photo.name
    elif isinstance(photo, Image.Image):
        array, name = as_array(photo), ""
    else:
        array, name = photo, ""
    if margin <= 0:
        msg = f"margin must be positive, got {margin}"
        raise ValueError(msg)
    factor = 1.0
    cx, cy, side, angle = crop_box(face)
    side *= margin
    shrink = side / size
    if shrink > 2.0:
        # warpAffine does not antialias; pre-shrink the source so the final resample is < 2x.
        factor = 2.0 / shrink
        small: ImageArray = cv2.resize(  # type: ignore[assignment]
            array,
            (max(1, round(array.shape[1] * factor)), max(1, round(array.shape[0] * factor))),
            interpolation=cv2.INTER_AREA,
        )
        array, cx, cy, side = small, cx * factor, cy * factor, side * factor
    scale = size / side
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    matrix[0, 2] += size / 2 - cx
    matrix[1, 2] += size / 2 - cy
    warped = cv2.warpAffine(
        array,
        matrix,
        (size, size),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(PAD_FILL, PAD_FILL, PAD_FILL),
    )
    # The full-image transform: undo the pre-shrink, then the similarity warp.
    full = np.asarray(matrix, dtype=np.float64) @ np.diag([factor, factor, 1.0])
    moved = face_in_crop(face, full)
    return FaceCrop(image=Image.fromarray(warped, "RGB"), size=size, face=moved, source_name=name)


def _transform(points: FloatArray, matrix: NDArray[np.float64]) -> FloatArray:
    homogeneous = np.hstack([points.astype(np.float64), np.ones((len(points), 1))])
    return (homogeneous @ matrix.T).astype(np.float32)


def face_in_crop(face: Face, matrix: NDArray[np.float64]) -> Face:
    """`face` moved into the crop's pixels, so a `FaceCrop` is usable on its own
    (conditioning images draw its landmarks straight onto the crop)."""
    x0, y0, x1, y1 = face.bbox
    corners = _transform(np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float32), matrix)
    bbox = (
        float(corners[:, 0].min()),
        float(corners[:, 1].min()),
        float(corners[:, 0].max()),
        float(corners[:, 1].max()),
    )
    landmarks_68 = None if face.landmarks_68 is None else _transform(face.landmarks_68, matrix)
    return replace(
        face,
        bbox=bbox,
        landmarks=_transform(np.asarray(face.landmarks).reshape(-1, 2), matrix),
        landmarks_68=landmarks_68,
        roll=0.0,
    )


def headshot_crops(photo: Photo, face: Face) -> tuple[FaceCrop, ...]:
    """The 512 and 1024 crops of one face, smallest first."""
    return tuple(crop_face(photo, face, size) for size in CROP_SIZES)

"""How a candidate is framed, and a pose reference moved into that framing.

A style's framing text ("head and shoulders", "chest-up framing", "close-up") names a zoom;
a zoom is a frame height in eye-to-mouth distances with the eyes on one line, the same
numbers the studio preview crops by and ranking's style fit expects. `framed` moves an
aligned selfie crop into that frame, so the pose skeleton, the face keypoints and the face
edges drawn from it say "small head, shoulders in view" for a chest-up candidate and "face
fills the frame" for a close-up, instead of every candidate copying the crop's own framing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import cv2
import numpy as np
from PIL import Image

from engine.crops import PAD_FILL
from engine.types import FaceCrop, FloatArray, as_array

ZOOMS = {"close": 6.8, "head": 7.6, "chest": 9.0}
"""Frame height in eye-to-mouth distances: a close headshot, head and shoulders, chest up."""
EYE_LINE = 0.40
"""Where the eyes sit, as a fraction of the frame height from the top."""


def zoom_for(framing: str | None) -> str:
    """The zoom that matches a style's framing text ("chest-up framing" -> "chest")."""
    text = (framing or "").lower()
    if "chest" in text or "waist" in text or "bust" in text:
        return "chest"
    if "close" in text or "tight" in text:
        return "close"
    return "head"


def zoom_of(params: Mapping[str, Any]) -> str:
    """A planned candidate's zoom: its camera's (`plan_variations`), else its framing's."""
    camera = params.get("camera")
    if isinstance(camera, Mapping) and camera.get("zoom") in ZOOMS:
        return str(camera["zoom"])
    variation = params.get("variation")
    return zoom_for(str(variation.get("framing", "")) if isinstance(variation, Mapping) else None)


def _eyes_and_unit(crop: FaceCrop) -> tuple[FloatArray, float]:
    points = np.asarray(crop.face.landmarks, dtype=np.float32).reshape(-1, 2)
    if points.shape[0] < 5:
        raise ValueError(f"framing needs 5 landmarks, the crop has {points.shape[0]}")
    eyes = (points[0] + points[1]) / 2
    mouth = (points[3] + points[4]) / 2
    return eyes, max(float(np.linalg.norm(mouth - eyes)), 1.0)


def framed(crop: FaceCrop, zoom: str | None) -> FaceCrop:
    """`crop` as a candidate with `zoom` is framed: scaled so the square frame is
    `ZOOMS[zoom]` eye-to-mouth distances tall, the eyes centred on `EYE_LINE`; what lies past
    the crop is `PAD_FILL` grey (the edge control ignores it). The face's landmarks and box
    move with the pixels. An unknown or missing zoom leaves the crop as it is."""
    if zoom not in ZOOMS:
        return crop
    side = crop.image.width
    eyes, unit = _eyes_and_unit(crop)
    scale = side / (ZOOMS[zoom] * unit)
    shift = np.array([side / 2, side * EYE_LINE], dtype=np.float32) - eyes * scale
    matrix = np.array([[scale, 0.0, shift[0]], [0.0, scale, shift[1]]], dtype=np.float32)
    pixels = cv2.warpAffine(
        as_array(crop.image),
        matrix,
        (side, side),
        flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(PAD_FILL, PAD_FILL, PAD_FILL),
    )
    landmarks = np.asarray(crop.face.landmarks, dtype=np.float32).reshape(-1, 2) * scale + shift
    x0, y0, x1, y1 = crop.face.bbox
    dx, dy = float(shift[0]), float(shift[1])
    bbox = (x0 * scale + dx, y0 * scale + dy, x1 * scale + dx, y1 * scale + dy)
    landmarks_68 = crop.face.landmarks_68
    if landmarks_68 is not None:
        landmarks_68 = np.asarray(landmarks_68, dtype=np.float32) * scale + shift
    face = replace(crop.face, landmarks=landmarks, bbox=bbox, landmarks_68=landmarks_68)
    return replace(crop, image=Image.fromarray(pixels), face=face)

"""What makes two headshots "the same shot" to a person: the candidate descriptor.

A person flicking through an album sees repeats when the head sits the same way, the frame
is the same, the expression and the light are the same and the backdrop and clothes have
the same colour. `describe_shot` measures exactly those from the image and its one face, and
adds the variation parameters that made the candidate (pose reference, key light, zoom and
the style's axes). `shot_distance` turns two descriptors into a 0-1 distance that the album
selection (`engine.diversity`) and the copy-paste check (`engine.ranking`) use.

The descriptor is stored with each delivered result (`params["descriptor"]`), so "more like
#N" and "another style" can start from what the person actually saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from engine.types import Face, ImageArray, ShotDescriptor

POSE_SCALE = {"yaw": 8.0, "pitch": 8.0, "roll": 6.0}
"""Degrees at which a pose difference counts as fully different (a clearly other pose)."""
FRAMING_SCALE = {"face_x": 0.12, "eye_line": 0.10, "face_height": 0.10}
EXPRESSION_SCALE = {"mouth_open": 0.25, "smile": 0.12}
LIGHT_SCALE = 0.25
"""Left/right and top/bottom face-brightness balance difference of a clearly other light."""
COLOUR_SCALE = 40.0
"""CIELAB distance (about 40 = clearly another colour) for backdrop and attire."""
WEIGHTS = {"pose": 4.0, "framing": 1.0, "expression": 1.5, "light": 1.0, "colour": 0.75, "params": 1.0}
"""How much each aspect counts towards "a different shot"; pose most (what people notice)."""
PARAM_KEYS = ("reference", "light", "zoom")


def _mean_lab(image: ImageArray, box: tuple[int, int, int, int]) -> tuple[float, float, float]:
    x0, y0, x1, y1 = box
    height, width = image.shape[:2]
    x0, x1 = max(0, min(width - 1, x0)), max(1, min(width, x1))
    y0, y1 = max(0, min(height - 1, y0)), max(1, min(height, y1))
    region = image[y0:y1:2, x0:x1:2].reshape(-1, 3)
    if region.size == 0:
        region = image.reshape(-1, 3)
    mean = region.astype(np.float32).mean(axis=0).reshape(1, 1, 3) / 255.0
    lab = cv2.cvtColor(mean, cv2.COLOR_RGB2LAB)[0, 0]
    return float(lab[0]), float(lab[1]), float(lab[2])


def _expression(face: Face) -> tuple[float, float]:
    """Mouth opening (inner-lip gap over mouth width) and smile width (mouth over eye distance)."""
    points = face.landmarks
    eye_distance = max(float(np.linalg.norm(points[1] - points[0])), 1.0)
    mouth_width = max(float(np.linalg.norm(points[4] - points[3])), 1.0)
    opening = 0.0
    if face.landmarks_68 is not None:
        lips = face.landmarks_68
        opening = float(np.linalg.norm(lips[66] - lips[62])) / mouth_width
    return opening, mouth_width / eye_distance


def _light_balance(gray: np.ndarray, face: Face) -> tuple[float, float]:
    """(left - right) / (left + right) and (top - bottom) / (top + bottom) over the face box."""
    height, width = gray.shape[:2]
    x0, y0, x1, y1 = (int(v) for v in face.bbox)
    x0, x1 = max(0, x0), min(width, x1)
    y0, y1 = max(0, y0), min(height, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return 0.0, 0.0
    box = gray[y0:y1, x0:x1].astype(np.float32)
    mid_x, mid_y = box.shape[1] // 2, box.shape[0] // 2
    left, right = float(box[:, :mid_x].mean()), float(box[:, mid_x:].mean())
    top, bottom = float(box[:mid_y].mean()), float(box[mid_y:].mean())
    return (left - right) / max(left + right, 1.0), (top - bottom) / max(top + bottom, 1.0)


def variation_params(params: Mapping[str, Any]) -> dict[str, str]:
    """The variation choices that made a candidate: its pose reference, camera and style axes."""
    camera = dict(params.get("camera") or {})
    chosen = {"reference": params.get("reference"), "light": camera.get("light"), "zoom": camera.get("zoom")}
    chosen.update({f"variation.{k}": v for k, v in dict(params.get("variation") or {}).items()})
    return {k: str(v) for k, v in chosen.items() if v is not None}


def describe_shot(image: ImageArray, face: Face, params: Mapping[str, Any] | None = None) -> ShotDescriptor:
    """The descriptor of `image` (RGB, any size) whose one face is `face` (image coordinates)."""
    height, width = image.shape[:2]
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    eyes_y = float((face.landmarks[0][1] + face.landmarks[1][1]) / 2)
    mouth_open, smile = _expression(face)
    light_lr, light_tb = _light_balance(gray, face)
    x0, y0, x1, y1 = face.bbox
    band_h, band_w = max(2, height // 10), max(2, width // 7)
    corners = np.concatenate(
        [image[:band_h, :band_w].reshape(-1, 3), image[:band_h, -band_w:].reshape(-1, 3)]
    ).reshape(1, -1, 3)
    face_w = x1 - x0
    chest = (int(x0 - 0.5 * face_w), int(y1 + 0.45 * (y1 - y0)), int(x1 + 0.5 * face_w), height)
    return ShotDescriptor(
        yaw=float(face.yaw),
        pitch=float(face.pitch),
        roll=float(face.roll),
        face_x=float(face.landmarks[:, 0].mean()) / width,
        eye_line=eyes_y / height,
        face_height=face.height / height,
        mouth_open=mouth_open,
        smile=smile,
        light_lr=light_lr,
        light_tb=light_tb,
        backdrop_lab=_mean_lab(corners, (0, 0, corners.shape[1], 1)),
        attire_lab=_mean_lab(image, chest) if chest[1] < height - 2 else (0.0, 0.0, 0.0),
        params=variation_params(params or {}),
    )


def _part(difference: float, scale: float) -> float:
    return min(1.0, abs(difference) / scale)


def aspect_distances(first: ShotDescriptor, second: ShotDescriptor) -> dict[str, float]:
    """Per aspect (pose, framing, expression, light, colour, params), 0 = same, 1 = clearly other."""
    pose = max(_part(getattr(first, k) - getattr(second, k), s) for k, s in POSE_SCALE.items())
    framing = max(_part(getattr(first, k) - getattr(second, k), s) for k, s in FRAMING_SCALE.items())
    expression = max(_part(getattr(first, k) - getattr(second, k), s) for k, s in EXPRESSION_SCALE.items())
    light = max(_part(first.light_lr - second.light_lr, LIGHT_SCALE), _part(first.light_tb - second.light_tb,
                                                                            LIGHT_SCALE))  # fmt: skip
    colour = max(
        _part(float(np.linalg.norm(np.subtract(first.backdrop_lab, second.backdrop_lab))), COLOUR_SCALE),
        _part(float(np.linalg.norm(np.subtract(first.attire_lab, second.attire_lab))), COLOUR_SCALE),
    )
    keys = set(first.params) | set(second.params)
    params = sum(first.params.get(k) != second.params.get(k) for k in keys) / len(keys) if keys else 0.0
    return {"pose": pose, "framing": framing, "expression": expression, "light": light, "colour": colour,
            "params": params}  # fmt: skip


def shot_distance(first: ShotDescriptor, second: ShotDescriptor) -> float:
    """0 (the same shot) to 1 (different in every aspect), weighted by `WEIGHTS`."""
    parts = aspect_distances(first, second)
    return sum(WEIGHTS[k] * v for k, v in parts.items()) / sum(WEIGHTS.values())

"""Colour correction: white balance, exposure, and the style's grade, the same for every
image of an album so the set looks like one shoot.

White balance and exposure bring each candidate to fixed targets (not to each other), which
is what makes the grade that follows land the same way on every image.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.types import ImageArray

WB_GAIN_LIMITS = (0.8, 1.25)
"""Grey-world gains are clamped: a portrait against a coloured backdrop is not grey on average."""
WB_STRENGTH = 0.6
EXPOSURE_TARGET = 0.47
"""Mean luma (0-1) of a well-exposed face in a studio headshot."""
EXPOSURE_LIMITS = (0.7, 1.4)
"""At most about half a stop down or up: a bigger fix would clip highlights or lift noise."""

_GRADES: dict[str, tuple[tuple[float, float, float], float, float, float]] = {
    # name: (per-channel gain R, G, B), saturation, contrast, black lift
    "none": ((1.0, 1.0, 1.0), 1.0, 0.0, 0.0),
    "neutral": ((1.0, 1.0, 1.0), 1.0, 0.08, 0.0),
    "warm": ((1.04, 1.0, 0.94), 1.03, 0.08, 0.0),
    "cool": ((0.95, 1.0, 1.05), 0.98, 0.08, 0.0),
    "film": ((1.03, 1.0, 0.96), 0.88, 0.05, 0.04),
    "vivid": ((1.0, 1.0, 1.0), 1.18, 0.14, 0.0),
    "muted": ((1.0, 1.0, 1.0), 0.78, 0.0, 0.02),
    "mono": ((1.0, 1.0, 1.0), 0.0, 0.12, 0.0),
}
GRADES = tuple(_GRADES)


def white_balance(image: ImageArray, strength: float = WB_STRENGTH) -> ImageArray:
    """Grey-world white balance, clamped and blended by `strength` (0 = unchanged)."""
    means = image.reshape(-1, 3).astype(np.float32).mean(axis=0)
    grey = float(means.mean())
    gains = np.clip(grey / np.maximum(means, 1.0), *WB_GAIN_LIMITS)
    gains = 1.0 + strength * (gains - 1.0)
    return _apply_lut(image, [np.clip(np.arange(256) * g, 0, 255) for g in gains])


def correct_exposure(image: ImageArray, face_box: tuple[int, int, int, int] | None = None) -> ImageArray:
    """Scale brightness so the face (or the whole frame) reaches `EXPOSURE_TARGET` mean luma,
    with a gamma-like curve that protects highlights."""
    region = image
    if face_box is not None:
        x0, y0, x1, y1 = face_box
        if x1 > x0 and y1 > y0:
            region = image[y0:y1, x0:x1]
    luma = float(cv2.cvtColor(region, cv2.COLOR_RGB2GRAY).mean()) / 255.0
    if luma <= 0.01:
        return image
    gain = float(np.clip(EXPOSURE_TARGET / luma, *EXPOSURE_LIMITS))
    # Gamma moves mid-tones by `gain` while 0 and 1 stay put: no clipped highlights.
    gamma = float(np.log(min(max(luma * gain, 1e-3), 0.999)) / np.log(luma))
    curve = 255.0 * (np.arange(256) / 255.0) ** gamma
    return _apply_lut(image, [curve, curve, curve])


def apply_grade(image: ImageArray, grade: str) -> ImageArray:
    """The style's named grade: channel balance, saturation, a soft S-curve, lifted blacks."""
    if grade not in _GRADES:
        raise ValueError(f"grade must be one of {', '.join(GRADES)}, got {grade!r}")
    gains, saturation, contrast, lift = _GRADES[grade]
    x = np.arange(256, dtype=np.float32) / 255.0
    s_curve = x + contrast * np.sin(2 * np.pi * (x - 0.5)) / (2 * np.pi)
    s_curve = lift + (1 - lift) * np.clip(s_curve, 0, 1)
    graded = _apply_lut(image, [np.clip(255 * s_curve * g, 0, 255) for g in gains])
    if saturation == 1.0:
        return graded
    hsv = cv2.cvtColor(graded, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 1] = np.clip(hsv[..., 1] * saturation, 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)  # type: ignore[return-value]


def _apply_lut(image: ImageArray, curves: list[np.ndarray]) -> ImageArray:
    channels = [cv2.LUT(image[..., i], np.round(c).astype(np.uint8)) for i, c in enumerate(curves)]
    return np.dstack(channels).astype(np.uint8)

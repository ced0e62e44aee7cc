"""Degraded copies of real photos, made in code: what a bad selfie looks like to the assessor.

Used by the quality tests and by bench/measure_quality.py, which records the measurements the
thresholds in engine/quality.py come from.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

Box = tuple[float, float, float, float]


def blur(image: Image.Image, face_width: float, fraction: float = 0.02) -> Image.Image:
    """Gaussian blur with sigma a fraction of the face width (0.02 of a 300 px face = 6 px)."""
    return image.filter(ImageFilter.GaussianBlur(fraction * face_width))


def exposure(image: Image.Image, gain: float) -> Image.Image:
    """Scale linear light by `gain` (<1 darker, >1 overexposed) with sRGB-ish gamma 2.2."""
    linear = (np.asarray(image, dtype=np.float32) / 255.0) ** 2.2 * gain
    return Image.fromarray((np.clip(linear, 0, 1) ** (1 / 2.2) * 255 + 0.5).astype(np.uint8))


def backlight(image: Image.Image, face: Box, face_gain: float = 0.15) -> Image.Image:
    """Subject in shadow against a bright window: face region darkened, the rest blown out."""
    dark = np.asarray(exposure(image, face_gain), dtype=np.float32)
    bright = np.asarray(exposure(image, 4.0), dtype=np.float32)
    x0, y0, x1, y1 = face
    w, h = x1 - x0, y1 - y0
    ys, xs = np.mgrid[0 : image.height, 0 : image.width]
    inside = ((xs - (x0 + x1) / 2) / (0.9 * w)) ** 2 + ((ys - (y0 + y1) / 2) / (0.9 * h)) ** 2 <= 1.0
    out = np.where(inside[..., None], dark, bright)
    return Image.fromarray(out.astype(np.uint8))


def side_shadow(image: Image.Image, split_x: float, gain: float = 0.08) -> Image.Image:
    """Hard light from one side: everything left of `split_x` (the nose) in deep shadow."""
    arr = np.asarray(image, dtype=np.float32).copy()
    shaded = np.asarray(exposure(image, gain), dtype=np.float32)
    cut = round(split_x)
    arr[:, :cut] = shaded[:, :cut]
    return Image.fromarray(arr.astype(np.uint8))


def rotate(image: Image.Image, degrees: float) -> Image.Image:
    """Turned counter-clockwise on an expanded canvas (a photo saved sideways, a tilted camera)."""
    return image.rotate(degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=(128, 128, 128))


def jpeg_bytes(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    return Image.open(io.BytesIO(jpeg_bytes(image, quality))).convert("RGB")

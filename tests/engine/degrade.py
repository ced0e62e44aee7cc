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


def reencoded(image: Image.Image, quality: int = 60) -> Image.Image:
    """Sent through a chat app: recompressed."""
    return jpeg(image, quality)


def resized(image: Image.Image, factor: float = 0.5) -> Image.Image:
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def cropped(image: Image.Image, fraction: float = 0.04) -> Image.Image:
    """A little trimmed from every side (an editor's crop, a re-framed share)."""
    dx, dy = round(image.width * fraction), round(image.height * fraction)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def screenshot(image: Image.Image, border: float = 0.08, bar: float = 0.05) -> Image.Image:
    """A phone screenshot of the photo: black frame around it, a grey status bar on top."""
    pad_x, pad_y = round(image.width * border), round(image.height * border)
    bar_h = round(image.height * bar)
    canvas = Image.new("RGB", (image.width + 2 * pad_x, image.height + 2 * pad_y + bar_h), (0, 0, 0))
    canvas.paste((60, 60, 60), (0, 0, canvas.width, bar_h))
    canvas.paste(image, (pad_x, pad_y + bar_h))
    return canvas


def recoloured(image: Image.Image, warmth: float = 1.08, brightness: float = 1.1) -> Image.Image:
    """A mild filter: a little brighter and warmer."""
    arr = np.asarray(image, dtype=np.float32) * brightness
    arr[..., 0] *= warmth
    arr[..., 2] /= warmth
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


RESHARES = {
    "re-encoded q60": reencoded,
    "resized 0.5": resized,
    "cropped 4%": cropped,
    "screenshot": screenshot,
    "warmer, brighter": recoloured,
    "resized, cropped, recoloured, q70": lambda image: reencoded(
        recoloured(cropped(resized(image, 0.6), 0.03)), 70
    ),
    "screenshot of a q50 copy": lambda image: screenshot(reencoded(resized(image, 0.7), 50)),
}
"""What a photo looks like after passing through phones and chats (named for the docs)."""

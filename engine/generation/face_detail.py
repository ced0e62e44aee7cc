"""The face detail pass: the face redrawn at full resolution, blended back invisibly.

At 1024 px a head-and-shoulders face is ~300 px wide, so SDXL draws eyes, teeth and skin
from few latent cells (8 px each); that is where likeness and realism are lost. Like
ADetailer and every serious portrait pipeline, we find the face in each candidate, cut a
square around it, enlarge it to `size`, denoise it again at a moderate strength with the
same prompt, seed and identity conditioning, shrink it back and blend it in with a feathered
oval. Pixels outside the oval are copied unchanged, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.types import Face

CONTEXT = 1.8
"""Side of the square cut, in face-box sizes: the whole head and some background, so the
model sees where the face sits."""
FEATHER = 0.25
"""Width of the blend ramp as a fraction of the oval's radius."""


@dataclass(frozen=True)
class DetailRegion:
    """Where the face is redrawn: the square `box` (x0, y0, x1, y1) in image pixels and the
    blend weight over that box (1 inside the face oval, ramping to exactly 0 at its edge)."""

    box: tuple[int, int, int, int]
    weight: NDArray[np.float32]


def detail_region(face: Face, width: int, height: int) -> DetailRegion | None:
    """The region for `face` in a `width` x `height` image, or None if it is too small to use."""
    x0, y0, x1, y1 = face.bbox
    side = round(max(x1 - x0, y1 - y0) * CONTEXT)
    side = min(side, width, height)
    if side < 16:
        return None
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left = int(np.clip(round(cx - side / 2), 0, width - side))
    top = int(np.clip(round(cy - side / 2), 0, height - side))
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    rx = max((x1 - x0) * 0.75, 4.0)
    ry = max((y1 - y0) * 0.85, 4.0)
    distance = np.sqrt(((xx + left - cx) / rx) ** 2 + ((yy + top - cy) / ry) ** 2)
    weight = np.clip((1.0 - distance) / FEATHER, 0.0, 1.0).astype(np.float32)
    return DetailRegion((left, top, left + side, top + side), weight)


def blend(image: Image.Image, patch: Image.Image, region: DetailRegion) -> Image.Image:
    """`image` with `patch` (the redrawn box, any size) blended in by `region.weight`; every
    pixel where the weight is 0 keeps its exact original value."""
    x0, y0, x1, y1 = region.box
    original = np.asarray(image.convert("RGB")).copy()
    box = original[y0:y1, x0:x1]
    redrawn = np.asarray(patch.convert("RGB").resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS))
    weight = region.weight[..., None]
    mixed = np.rint(box * (1.0 - weight) + redrawn * weight).astype(np.uint8)
    original[y0:y1, x0:x1] = np.where(weight > 0, mixed, box)
    return Image.fromarray(original)


def cut(image: Image.Image, region: DetailRegion, size: int) -> Image.Image:
    """The region's square, enlarged to `size` for the second pass."""
    return image.convert("RGB").crop(region.box).resize((size, size), Image.Resampling.LANCZOS)


def move_face(face: Face, region: DetailRegion, size: int) -> Face:
    """`face` in the enlarged cut's pixels (for the keypoints of the IdentityNet)."""
    x0, y0, x1, _ = region.box
    scale = size / float(x1 - x0)
    points = (np.asarray(face.landmarks, np.float32).reshape(-1, 2) - [x0, y0]) * scale
    bx0, by0, bx1, by1 = face.bbox
    return Face(
        bbox=((bx0 - x0) * scale, (by0 - y0) * scale, (bx1 - x0) * scale, (by1 - y0) * scale),
        score=face.score,
        landmarks=points.astype(np.float32),
    )

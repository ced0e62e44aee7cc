"""Background refinement: find the person, feather the edge, put the style's backdrop behind.

No person-segmentation weights can be downloaded here, so the built-in segmenter is
classical: OpenCV's GrabCut, seeded from the face (face = sure person, a body region below it
= probably person, the frame's top corners = sure background), run on a small copy and
upsampled with a feathered edge. A learned segmenter plugs in through `PersonSegmenter`.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

import cv2
import numpy as np

from engine.types import Face, FloatArray, ImageArray

SEGMENT_SIDE = 256
"""GrabCut runs on a copy with this long side: edges are feathered anyway, and it is fast."""
GRABCUT_ITERATIONS = 4
FEATHER_FRACTION = 0.006
"""Edge feather (Gaussian sigma) as a fraction of the image's long side."""


class PersonSegmenter(Protocol):
    """Soft person mask (HxW float32, 1 = person) for an RGB image with its face."""

    name: str

    def segment(self, image: ImageArray, face: Face) -> FloatArray: ...


class GrabCutSegmenter:
    """Classical segmentation seeded from the face box and landmarks (see module docstring)."""

    name = "grabcut"

    def segment(self, image: ImageArray, face: Face) -> FloatArray:
        height, width = image.shape[:2]
        scale = min(1.0, SEGMENT_SIDE / max(height, width))
        small = np.asarray(
            cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale)))), np.uint8
        )
        mask = _seed_mask(small.shape[:2], face, scale)
        bgd = np.zeros((1, 65), np.float64)
        fgd = np.zeros((1, 65), np.float64)
        # A flat image leaves GrabCut nothing to learn from: then the seed is the answer.
        with contextlib.suppress(cv2.error):
            cv2.grabCut(small, mask, None, bgd, fgd, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)  # type: ignore[call-overload]
        person = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
        person = _largest_component(person)
        full = cv2.resize(person, (width, height), interpolation=cv2.INTER_LINEAR)
        sigma = max(1.0, FEATHER_FRACTION * max(height, width))
        return np.clip(cv2.GaussianBlur(full, (0, 0), sigma), 0.0, 1.0)  # type: ignore[return-value]


def _seed_mask(shape: tuple[int, ...], face: Face, scale: float) -> np.ndarray:
    height, width = shape[:2]
    x0, y0, x1, y1 = (v * scale for v in face.bbox)
    fw, fh = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    mask = np.full((height, width), cv2.GC_PR_BGD, np.uint8)
    # Head with hair, neck, and shoulders widening downwards: probably the person.
    head = (round(cx), round(y0 + 0.3 * fh))
    cv2.ellipse(mask, head, (round(0.8 * fw), round(1.1 * fh)), 0, 0, 360, int(cv2.GC_PR_FGD), -1)
    body = np.array(
        [
            [cx - 0.45 * fw, y1],
            [cx + 0.45 * fw, y1],
            [cx + 1.9 * fw, y1 + 1.2 * fh],
            [cx + 2.1 * fw, height],
            [cx - 2.1 * fw, height],
            [cx - 1.9 * fw, y1 + 1.2 * fh],
        ],
        np.int32,
    )
    cv2.fillPoly(mask, [body], int(cv2.GC_PR_FGD))
    # The inner face and neck: certainly the person.
    cv2.ellipse(mask, (round(cx), round((y0 + y1) / 2)), (round(0.38 * fw), round(0.45 * fh)), 0, 0, 360,
                int(cv2.GC_FGD), -1)  # fmt: skip
    neck = (round(cx - 0.18 * fw), round(y1 - 0.1 * fh), round(cx + 0.18 * fw), round(y1 + 0.35 * fh))
    cv2.rectangle(mask, neck[:2], neck[2:], int(cv2.GC_FGD), -1)
    # The chest below the neck: certainly the person, even in a top the colour of the wall.
    chest = (round(cx - 0.6 * fw), round(y1 + 0.7 * fh), round(cx + 0.6 * fw), height)
    cv2.rectangle(mask, chest[:2], chest[2:], int(cv2.GC_FGD), -1)
    # Well beside and above the head: certainly background.
    top = max(0, round(y0 - 0.9 * fh))
    mask[:top, :] = cv2.GC_BGD
    # Hair rarely reaches further than 0.7 face widths beside the face above the mouth.
    left, right = max(0, round(x0 - 0.7 * fw)), min(width, round(x1 + 0.7 * fw))
    upper = min(height, round(y0 + 0.75 * fh))
    mask[:upper, :left] = cv2.GC_BGD
    mask[:upper, right:] = cv2.GC_BGD
    return mask


def _largest_component(mask: FloatArray) -> FloatArray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return np.asarray(labels == biggest, np.float32)


def backdrop(shape: tuple[int, ...], colour: str) -> ImageArray:
    """A studio backdrop in `#rrggbb`: the colour with a soft light fall-off from the centre."""
    height, width = shape[:2]
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    distance = np.hypot((xx - width / 2) / width, (yy - height * 0.4) / height)
    light = 1.12 - 0.35 * np.clip(distance, 0, 1)
    return np.asarray(np.clip(rgb[None, None, :] * light[..., None], 0, 255), np.uint8)


def replace_background(image: ImageArray, alpha: FloatArray, mode: str) -> ImageArray:
    """Composite the person (`alpha`) onto the backdrop `mode`: `#rrggbb` or `blur`."""
    if mode == "keep":
        return image
    if mode == "blur":
        behind = cv2.GaussianBlur(image, (0, 0), 0.02 * max(image.shape[:2]))
    else:
        behind = backdrop(image.shape, mode)
    a = alpha[..., None]
    return np.clip(image * a + behind * (1.0 - a), 0, 255).astype(np.uint8)  # type: ignore[no-any-return]

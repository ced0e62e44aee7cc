"""A clean, hair-aware matte for the studio preview: GrabCut's rough cut refined by a
guided filter, and the edge colours cleaned of the old backdrop.

GrabCut at 256 px gives a blocky mask; upsampled and blurred it leaves a grey halo round the
hair and cuts strands off. The guided filter (He, Sun and Tang, 2010) makes the mask follow
the photo's own edges: inside a small window alpha becomes a linear function of the colour,
so fine strands against a plain wall get partial alpha instead of a smeared blob. The
foreground colours at the edge are then taken from the nearby confident person pixels
(normalised convolution), so the old wall's colour does not glow through semi-transparent
hair on the new backdrop.

Used only for the studio preview (`engine.preview`): a diffusion candidate's backdrop is the
one the prompt painted (see `engine.postprocess`).
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.postprocess.background import GrabCutSegmenter
from engine.types import Face, FloatArray, ImageArray

GUIDE_SIDE = 640
"""The guided filter runs at this long side: strands survive, and it stays ~50 ms."""
RADIUS_FRACTION = 0.012
EPSILON = 2e-3
"""Guided-filter regularisation (colour variance, 0-1 scale): lower follows edges harder."""
ALPHA_LOW, ALPHA_HIGH = 0.12, 0.88
"""Alpha below LOW is backdrop, above HIGH person: removes the faint halo both ways."""


def _box(image: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(image, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, epsilon: float) -> np.ndarray:
    """He et al.'s guided filter with a grey guide (float32 0-1) and a float32 source."""
    mean_i = _box(guide, radius)
    mean_p = _box(source, radius)
    cov_ip = _box(guide * source, radius) - mean_i * mean_p
    var_i = _box(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + epsilon)
    b = mean_p - a * mean_i
    return np.asarray(_box(a, radius) * guide + _box(b, radius), np.float32)


def refine_matte(image: ImageArray, rough: FloatArray) -> FloatArray:
    """`rough` (0-1, any smoothness) made to follow `image`'s edges, at `image`'s size."""
    height, width = image.shape[:2]
    scale = min(1.0, GUIDE_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    guide = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    mask = cv2.resize(rough.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    radius = max(2, round(RADIUS_FRACTION * max(size)))
    alpha = guided_filter(guide, mask, radius, EPSILON)
    alpha = np.clip((alpha - ALPHA_LOW) / (ALPHA_HIGH - ALPHA_LOW), 0.0, 1.0)
    full = cv2.resize(alpha, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(full, np.float32)


def _closed_body(rough: FloatArray, face: Face) -> FloatArray:
    """Below the chin, close the cut with a kernel of half a face width: clothes the colour of
    the wall leave GrabCut's edge ragged, and a torso has no holes or notches that size."""
    chin = max(0, min(rough.shape[0], int(face.bbox[3])))
    size = max(3, int(face.width / 2) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    body = cv2.morphologyEx((rough[chin:] > 0.5).astype(np.uint8), cv2.MORPH_CLOSE, kernel)
    closed = rough.copy()
    closed[chin:] = np.maximum(rough[chin:], body.astype(np.float32))
    return closed


def person_matte(image: ImageArray, face: Face) -> FloatArray:
    """The preview's person alpha: GrabCut seeded from the face, the body closed, refined by
    the guided filter."""
    return refine_matte(image, _closed_body(GrabCutSegmenter().segment(image, face), face))


def _spread(small: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    total = cv2.GaussianBlur(weight, (0, 0), sigma)[..., None]
    return np.asarray(cv2.GaussianBlur(small * weight[..., None], (0, 0), sigma) / np.maximum(total, 1e-3))


def clean_foreground(image: ImageArray, alpha: FloatArray) -> ImageArray:
    """Edge colours with the old backdrop taken out: image = a*F + (1-a)*B solved for F, with
    B the nearby sure-backdrop colour (normalised convolution at <= 512 px)."""
    height, width = image.shape[:2]
    scale = min(1.0, 512 / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small_alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    sigma = max(1.0, 0.02 * max(size))
    behind = _spread(small, (small_alpha < 0.05).astype(np.float32), sigma)
    behind_full = cv2.resize(behind, (width, height), interpolation=cv2.INTER_LINEAR)
    a = alpha[..., None]
    solved = (image.astype(np.float32) - (1.0 - a) * behind_full) / np.maximum(a, 0.25)
    edge = ((alpha > 0.02) & (alpha < 0.98))[..., None]
    cleaned = np.where(edge, solved, image.astype(np.float32))
    return np.asarray(np.clip(cleaned, 0, 255), np.uint8)

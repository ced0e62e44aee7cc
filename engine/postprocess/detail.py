"""Detail enhancement that keeps skin texture.

An unsharp mask on luma only, with the detail layer soft-limited: fine texture (pores,
hair, fabric) is lifted, while large edges get no more than a few levels, so there are no
halos and no crunchy look. Nothing is smoothed here; smoothing is the retouch step's, and
only on skin.
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.types import ImageArray

DETAIL_SIGMA_PER_1024 = 1.4
"""Blur radius of the base layer, in pixels at 1024 px; scaled with the image."""
DETAIL_LIMIT = 10.0
"""Largest boost of one pixel, in 8-bit levels (tanh soft limit)."""


def enhance_detail(image: ImageArray, amount: float = 0.6) -> ImageArray:
    """Lift fine luma detail by `amount` (0 = unchanged, 1 = strong)."""
    if amount <= 0:
        return image
    sigma = DETAIL_SIGMA_PER_1024 * max(image.shape[:2]) / 1024
    ycc = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)
    luma = ycc[..., 0].astype(np.float32)
    base = cv2.GaussianBlur(luma, (0, 0), sigma)
    detail = luma - base
    boost = DETAIL_LIMIT * np.tanh(amount * 1.5 * detail / DETAIL_LIMIT)
    ycc[..., 0] = np.clip(luma + boost, 0, 255).astype(np.uint8)
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)  # type: ignore[return-value]

"""Which selfies condition a reference-image backend (FLUX.2 [klein]) and how they are cut.

The model copies what it is shown, so the references must be the person at their clearest:
sharp, facing the camera or at most three-quarter, and different from each other (a second
near-identical photo adds tokens, not information). Each is cut as an aligned headshot crop
(`engine.crops`) at the size the model takes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from engine.crops import crop_face
from engine.types import AssessedPhoto, FaceCrop

MAX_YAW = 45.0
"""Three-quarter view; past it one eye and half the face are hidden."""
MAX_PITCH = 30.0
SHARPNESS_SHARE = 0.5
"""A reference must be at least half as sharp as the sharpest usable selfie."""
MIN_DIFFERENCE = 0.35
"""Below this `difference` two selfies are the same shot; the later one is skipped."""


def _thumb(crop: FaceCrop) -> np.ndarray:
    return (
        np.asarray(crop.image.convert("L").resize((32, 32), Image.Resampling.BILINEAR), dtype=np.float32)
        / 255
    )


def difference(a: AssessedPhoto, b: AssessedPhoto, crop_a: FaceCrop, crop_b: FaceCrop) -> float:
    """How different two selfies are as references: head pose (20 degrees counts 1) plus
    the look of the aligned face (mean absolute grey difference, 0.1 counts 1)."""
    if a.face is None or b.face is None:
        raise ValueError("difference needs two selfies with a face")
    pose = (abs(a.face.yaw - b.face.yaw) + abs(a.face.pitch - b.face.pitch)) / 20.0
    look = float(np.abs(_thumb(crop_a) - _thumb(crop_b)).mean()) / 0.1
    return pose + look


def usable(selfies: Sequence[AssessedPhoto]) -> list[AssessedPhoto]:
    """Selfies with a face in range of pose and sharp enough, in the order given (best first)."""
    posed = [
        s
        for s in selfies
        if s.face is not None and abs(s.face.yaw) <= MAX_YAW and abs(s.face.pitch) <= MAX_PITCH
    ]
    sharpest = max((s.report.sharpness or 0.0 for s in posed), default=0.0)
    return [s for s in posed if (s.report.sharpness or 0.0) >= SHARPNESS_SHARE * sharpest]


def choose_references(
    selfies: Sequence[AssessedPhoto], fallback: Sequence[FaceCrop], *, count: int, size: int
) -> list[FaceCrop]:
    """Up to `count` aligned `size`² crops: the best selfie, then each next-best one that is
    different enough from those already chosen; at least two when two are usable. Without
    assessed selfies, the request's own reference crops (resized) are used."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    candidates = usable(selfies)
    crops = {id(s): crop_face(s.photo, s.face, size) for s in candidates if s.face is not None}
    chosen: list[AssessedPhoto] = []
    for selfie in candidates:
        if len(chosen) == count:
            break
        if all(difference(selfie, c, crops[id(selfie)], crops[id(c)]) >= MIN_DIFFERENCE for c in chosen):
            chosen.append(selfie)
    for selfie in candidates:
        if len(chosen) >= min(2, count):
            break
        if selfie not in chosen:
            chosen.append(selfie)
    if chosen:
        return [crops[id(s)] for s in chosen]
    return [
        FaceCrop(crop.image.resize((size, size), Image.Resampling.LANCZOS), size, crop.face, crop.source_name)
        for crop in fallback[:count]
    ]

"""What covers part of a face: sunglasses, or a hand, phone, mask or hair over an eye,
the nose or the mouth. Also what the face wears that the prompt should keep (glasses,
facial hair), measured from the same regions.

No model here is trained for this, so each check compares one part of the face with the
person's own skin (the nose bridge, which sunglasses' bridge, masks and hands rarely
cover) rather than with fixed colours: an eye has dark and bright parts (iris, lashes,
white), lips are redder than skin, nostrils are darker than the nose. A region that has lost
what makes it that part is covered. Thresholds sit between the shared photos and copies of
them with drawn occluders (`tests/engine/degrade.OCCLUDERS`); docs/quality-thresholds.md has
the measurements (`bench/measure_occlusion.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from engine.types import Attribute, Face, FloatArray, ImageArray, IssueCode, QualityIssue

EYE_DARK = 0.22
"""Both eye regions darker than this fraction of the skin, and flat: sunglasses (open eyes
in the shared photos 0.28 and up, drawn lenses 0.16 at most)."""
EYE_FLAT = 0.10
"""An eye region whose luma spread (std / skin luma) is under this shows no eye: the shared
photos' eyes 0.16 and up; an eye under drawn hair 0.06 at most, under lenses 0.00."""
LIP_CONTRAST_MIN = 3.0
"""Colour distance (Lab) between the lips and the ring around them below which the mouth is
covered: shared photos 4.4 and up (pale lips in a beard); a phone 0.0, a hand 0.4-9.9."""
NOSTRIL_DEPTH_MIN = 0.25
"""The darkest tenth of the nostril band is at least this much darker than the skin
(1 - ratio): shared photos 0.41 and up, under a mask 0.13 at most."""
GLASSES_BRIDGE = 0.08
"""Vertical-gradient strength of the best row across the nose bridge (/ skin luma) above
which there are glasses: bare bridges 0.05 at most on faces of 112 px and up, drawn frames
0.11 and up."""
GLASSES_SPAN = 0.06
"""Edge strength over which the glasses confidence goes from 0.5 to 1."""
BEARD_CHIN = 0.72
"""Chin and upper lip darker than this fraction of the cheeks is facial hair: the two
bearded shared photos 0.65, clean-shaven faces 0.76 and up."""
BEARD_SPAN = 0.10
MIN_PARTS_PX = 112
"""Faces narrower than this are too coarse to judge eyes, lips or frames (and already fail
`face_too_small`)."""
PARTS_FACE_PX = 256
"""Bigger faces are measured on a copy this wide: the measures are ratios, and a 1000 px face
cost tens of milliseconds in colour conversions and masks."""
UNSURE = 0.5
"""The confidence given to "no glasses" and "no beard": thin or rimless frames and light
stubble leave weak traces, so absence is never claimed above the prompt's bar."""


@dataclass(frozen=True)
class FaceParts:
    """Each measure is relative to the person's own skin, so light and skin tone cancel."""

    eye_luma: tuple[float, float]
    """Mean luma of each eye region / skin luma (image-left eye first)."""
    eye_spread: tuple[float, float]
    """Luma standard deviation of each eye region / skin luma."""
    lip_redness: float
    """Mean Cr of the lips minus mean Cr of the skin."""
    lip_contrast: float
    """Colour distance (Lab) between the lips and the skin ring around them."""
    nostril_depth: float
    """1 - (darkest tenth of the nostril band / skin luma)."""
    bridge_edge: float
    """Strongest row of vertical gradient across the nose bridge / skin luma."""
    chin_luma: float
    """Median luma of chin and upper lip / median luma of the cheeks."""
    chin_texture: float
    """Luma standard deviation of chin and upper lip / cheek luma."""


def _polygon_mask(shape: tuple[int, int], points: FloatArray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


def _grown(points: FloatArray, factor: float) -> FloatArray:
    centre = points.mean(axis=0)
    grown: FloatArray = (centre + (points - centre) * factor).astype(np.float32)
    return grown


def _rect(gray: FloatArray, x0: float, y0: float, x1: float, y1: float) -> FloatArray:
    height, width = gray.shape
    left, right = max(0, math.floor(min(x0, x1))), min(width, math.ceil(max(x0, x1)))
    top, bottom = max(0, math.floor(min(y0, y1))), min(height, math.ceil(max(y0, y1)))
    region = gray[top:bottom, left:right]
    return region if region.size else np.zeros((1, 1), np.float32)


def measure_parts(image: ImageArray, face: Face) -> FaceParts | None:
    """The measures above for one face; None without 68 landmarks or under `MIN_PARTS_PX`."""
    points = face.landmarks_68
    if points is None or face.width < MIN_PARTS_PX:
        return None
    x0, y0 = points.min(axis=0) - 4
    x1, y1 = points.max(axis=0) + 4
    height, width = image.shape[:2]
    left, top = max(0, int(x0)), max(0, int(y0))
    right, bottom = min(width, int(x1) + 1), min(height, int(y1) + 1)
    patch = np.ascontiguousarray(image[top:bottom, left:right])
    if patch.size == 0 or min(patch.shape[:2]) < 8:
        return None
    p = points - np.array([left, top], np.float32)
    shrink = PARTS_FACE_PX / face.width
    if shrink < 1.0:
        size = (max(8, round(patch.shape[1] * shrink)), max(8, round(patch.shape[0] * shrink)))
        patch = np.ascontiguousarray(cv2.resize(patch, size, interpolation=cv2.INTER_AREA))
        p = (p * np.float32(shrink)).astype(np.float32)
    ycrcb = cv2.cvtColor(patch, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    luma, redness = ycrcb[..., 0] / 255.0, ycrcb[..., 1]
    span = max(float(np.linalg.norm(p[45] - p[36])), 1.0)
    # Skin: the nose bridge between the eyes' inner corners and the nose's middle.
    bridge_x = float(p[27:31, 0].mean())
    bridge = _polygon_mask(luma.shape, np.array([
        [bridge_x - 0.08 * span, p[28][1]], [bridge_x + 0.08 * span, p[28][1]],
        [bridge_x + 0.08 * span, p[30][1]], [bridge_x - 0.08 * span, p[30][1]],
    ], np.float32))  # fmt: skip
    skin = max(float(np.median(luma[bridge])) if bridge.any() else float(luma.mean()), 1e-3)
    skin_red = float(np.median(redness[bridge])) if bridge.any() else float(redness.mean())
    eyes = []
    for eye in (p[36:42], p[42:48]):
        region = _polygon_mask(luma.shape, _grown(eye, 1.5))
        values = luma[region] if region.any() else np.zeros(1, np.float32)
        eyes.append((float(values.mean()) / skin, float(values.std()) / skin))
    lips = _polygon_mask(luma.shape, p[48:60])
    lip_redness = float(redness[lips].mean()) - skin_red if lips.any() else 0.0
    ring = _polygon_mask(luma.shape, _grown(p[48:60], 1.7)) & ~_polygon_mask(
        luma.shape, _grown(p[48:60], 1.15)
    )
    lab = cv2.cvtColor(patch, cv2.COLOR_RGB2LAB).astype(np.float32)
    lip_contrast = (
        float(np.linalg.norm(lab[lips].mean(axis=0) - lab[ring].mean(axis=0)))
        if lips.any() and ring.any()
        else 0.0
    )
    nostrils = _rect(luma, p[31][0], p[30][1] + 0.3 * (p[33][1] - p[30][1]), p[35][0], p[33][1] + 2)
    dark_tenth = float(np.percentile(nostrils, 10))
    # Glasses' bridge: rows between the eyes' top and the nose bridge's top.
    brow_gap = _rect(
        luma,
        p[39][0],
        min(p[38][1], p[43][1]) - 0.25 * span,
        p[42][0],
        p[28][1],
    )
    rows = np.abs(np.diff(cv2.GaussianBlur(brow_gap, (3, 3), 0), axis=0)).mean(axis=1)
    bridge_edge = float(rows.max()) / skin if rows.size else 0.0
    left_cheek = _rect(luma, p[1][0] + 0.25 * (p[31][0] - p[1][0]), p[29][1], p[31][0] - 0.1 * span, p[31][1])
    right_cheek = _rect(
        luma, p[35][0] + 0.1 * span, p[29][1], p[15][0] - 0.25 * (p[15][0] - p[35][0]), p[35][1]
    )
    cheeks = np.concatenate([left_cheek.flatten(), right_cheek.flatten()])
    cheek = max(float(np.median(cheeks)), 1e-3)
    upper_lip = _rect(luma, p[48][0], p[33][1] + 2, p[54][0], p[51][1] - 1)
    chin = _rect(luma, p[6][0], p[57][1] + 2, p[10][0], p[8][1] - 2)
    lower = np.concatenate([upper_lip.flatten(), chin.flatten()])
    return FaceParts(
        eye_luma=(round(eyes[0][0], 4), round(eyes[1][0], 4)),
        eye_spread=(round(eyes[0][1], 4), round(eyes[1][1], 4)),
        lip_redness=round(lip_redness, 3),
        lip_contrast=round(lip_contrast, 3),
        nostril_depth=round(1.0 - dark_tenth / skin, 4),
        bridge_edge=round(bridge_edge, 4),
        chin_luma=round(float(np.median(lower)) / cheek, 4),
        chin_texture=round(float(lower.std()) / cheek, 4),
    )


def occlusion_issue(parts: FaceParts, *, eyes_open: bool = True) -> QualityIssue | None:
    """Sunglasses, or the part that is covered, said the way a user can fix it. With
    `eyes_open` False (closed eyes were reported) the eyes are not judged again."""
    dark = [eyes_open and luma < EYE_DARK for luma in parts.eye_luma]
    flat = [eyes_open and spread < EYE_FLAT for spread in parts.eye_spread]
    if all(dark) and all(flat):
        return QualityIssue(IssueCode.SUNGLASSES, "Take off your sunglasses: your headshots need your eyes.")
    if parts.nostril_depth < NOSTRIL_DEPTH_MIN:
        return QualityIssue(
            IssueCode.FACE_OCCLUDED,
            "Your nose and mouth are covered (a mask or a hand?); send one with your whole face uncovered.",
        )
    if any(flat):
        return QualityIssue(
            IssueCode.FACE_OCCLUDED,
            "Something covers your eyes (hair, a hand or a phone); move it aside so both eyes show.",
        )
    if parts.lip_contrast < LIP_CONTRAST_MIN:
        return QualityIssue(
            IssueCode.FACE_OCCLUDED,
            "Something covers your mouth (a hand, a phone or a scarf); send one with your mouth uncovered.",
        )
    return None


def _confidence(margin: float, span: float) -> float:
    return round(min(0.99, max(UNSURE, 0.5 + margin / span)), 3)


def worn_attributes(parts: FaceParts) -> tuple[Attribute, ...]:
    """Glasses and facial hair with a confidence; a "no" is never above `UNSURE`."""
    glasses = parts.bridge_edge > GLASSES_BRIDGE
    beard = parts.chin_luma < BEARD_CHIN
    return (
        Attribute(
            "glasses",
            "yes" if glasses else "no",
            _confidence(parts.bridge_edge - GLASSES_BRIDGE, GLASSES_SPAN) if glasses else UNSURE,
        ),
        Attribute(
            "facial_hair",
            "beard" if beard else "none",
            _confidence(BEARD_CHIN - parts.chin_luma, BEARD_SPAN) if beard else UNSURE,
        ),
    )

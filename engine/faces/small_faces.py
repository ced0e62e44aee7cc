"""Find faces too small for a whole-frame HOG pass: a person far from the camera.

dlib's HOG detector needs a face about 80 px wide at the scale it runs; the frame pass runs
on a 640 px copy (upsampled once when it finds nothing), so in a 12 MP photo faces under
about 130 px of the 2048 px working image were missed and reported as "no face", a false
thing to tell someone who only needs to move closer. Running HOG over the whole working
image at twice its size would find 40 px faces but costs seconds; here skin-coloured blobs
of a face's size propose where to look, and HOG confirms each proposal on a small patch
enlarged so the face is about 100 px wide. A confirmed face then gets the same landmarks,
pose and box as any other, so it is reported as `face_too_small` with its real width.
Measured (detection rate and time per photo): docs/quality-thresholds.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from engine.faces.pose import head_pose
from engine.faces.rotation import shrunk
from engine.types import Face, FaceAnalyzer, FloatArray, ImageArray

PROPOSAL_SIDE = 640
"""Skin is segmented on a copy with this long side (a 40 px face of a 2048 px image is 12 px)."""
MAX_PROPOSALS = 12
"""Places checked per photo, thickest first: bounds the cost of a photo with much skin."""
PATCH_FACE_PX = 100
"""Each proposal is enlarged so a face of the blob's width is this wide (HOG needs about 80)."""
MIN_BLOB_FRACTION = 0.01
"""Thinnest skin core, as a fraction of the copy's long side, worth a look (6 px of 640, a
core of a 25 px face of 2048): below that HOG cannot confirm a face even enlarged."""
MAX_BLOB_FRACTION = 0.12
"""Thickest skin core, as a fraction of the long side: bigger faces are the frame pass's job."""


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int


def skin_mask(rgb: ImageArray) -> np.ndarray:
    """Pixels whose chroma is in the range skin takes under ordinary light (YCrCb, the
    Chai & Ngan box widened for dark and light skin); a proposal, never a verdict."""
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    y, cr, cb = ycrcb[..., 0], ycrcb[..., 1], ycrcb[..., 2]
    mask = (cr >= 135) & (cr <= 180) & (cb >= 80) & (cb <= 135) & (y >= 40)
    kernel = np.ones((3, 3), np.uint8)
    opened = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    return cv2.morphologyEx(opened, cv2.MORPH_CLOSE, kernel)


def proposals(image: ImageArray) -> list[Box]:
    """Face-sized places of skin as square boxes in `image` pixels: first the skin blobs of
    a face's size (largest first), then, inside blobs too big to be one face (a face touching
    a neck, a warm wall, a wooden table), the thickest points of skin, each the centre of a
    candidate about 2.4 times as wide as its distance to the nearest non-skin pixel."""
    small, scale = shrunk(image, PROPOSAL_SIDE)
    long_side = max(small.shape[:2])
    lo, hi = MIN_BLOB_FRACTION * long_side, MAX_BLOB_FRACTION * long_side
    mask = skin_mask(small)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    blobs: list[tuple[int, tuple[float, float, float]]] = []
    oversize = np.zeros(mask.shape, bool)
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if w > hi or h > 2 * hi:
            oversize |= labels == label
        elif w >= lo and h >= 0.6 * w and area >= 0.25 * w * h:
            blobs.append((area, (x + w / 2.0, y + min(h, 1.4 * w) / 2.0, w / 2.0)))
    blobs.sort(key=lambda item: -item[0])
    centres = [c for _area, c in blobs[: MAX_PROPOSALS // 2]]
    distance = cv2.distanceTransform((mask & oversize).astype(np.uint8), cv2.DIST_L2, 3)
    peaks = (distance >= cv2.dilate(distance, np.ones((5, 5), np.uint8))) & (distance >= lo / 2)
    peaks &= distance <= hi / 2
    ys, xs = np.nonzero(peaks)
    for index in np.argsort(-distance[ys, xs], kind="stable"):
        px, py = float(xs[index]), float(ys[index])
        r = 1.2 * float(distance[ys[index], xs[index]])
        if len(centres) >= MAX_PROPOSALS:
            break
        if not any(abs(px - cx) < 2 * max(r, cr) and abs(py - cy) < 2 * max(r, cr) for cx, cy, cr in centres):
            centres.append((px, py, r))
    return [
        Box(round((x - r) / scale), round((y - r) / scale), round((x + r) / scale), round((y + r) / scale))
        for x, y, r in centres
    ]


def _confirm(analyzer: FaceAnalyzer, image: ImageArray, box: Box) -> list[Face]:
    """Faces the analyzer finds on the patch around `box`, enlarged so the blob is
    `PATCH_FACE_PX` wide, mapped back to `image` pixels with their pose re-measured there."""
    height, width = image.shape[:2]
    side = max(box.right - box.left, 1)
    left, top = max(0, box.left - side), max(0, box.top - side)
    right, bottom = min(width, box.right + side), min(height, box.bottom + side)
    patch = image[top:bottom, left:right]
    if patch.size == 0:
        return []
    factor = PATCH_FACE_PX / side
    size = (max(1, round(patch.shape[1] * factor)), max(1, round(patch.shape[0] * factor)))
    enlarged: ImageArray = np.ascontiguousarray(cv2.resize(patch, size, interpolation=cv2.INTER_CUBIC))
    offset = np.array([left, top], np.float32)

    def back(points: FloatArray) -> FloatArray:
        return (points / np.float32(factor) + offset).astype(np.float32)

    faces = []
    for face in analyzer.detect(enlarged):
        x0, y0, x1, y1 = face.bbox
        dense = None if face.landmarks_68 is None else back(face.landmarks_68)
        yaw, pitch, roll = (face.yaw, face.pitch, face.roll)
        if dense is not None:
            yaw, pitch, roll = head_pose(dense, (width, height))
        faces.append(
            dataclasses.replace(
                face,
                bbox=(x0 / factor + left, y0 / factor + top, x1 / factor + left, y1 / factor + top),
                landmarks=back(face.landmarks),
                landmarks_68=dense,
                yaw=yaw,
                pitch=pitch,
                roll=roll,
                embedding=None,
            )
        )
    return faces


def detect_small(analyzer: FaceAnalyzer, image: ImageArray) -> list[Face]:
    """Faces confirmed on skin proposals, biggest first, one per place (overlaps keep the first)."""
    found: list[Face] = []
    for box in proposals(image):
        for face in _confirm(analyzer, image, box):
            if not any(_overlaps(face.bbox, kept.bbox) for kept in found):
                found.append(face)
    return sorted(found, key=lambda face: face.width * face.height, reverse=True)


def _overlaps(first: tuple[float, float, float, float], second: tuple[float, float, float, float]) -> bool:
    width = min(first[2], second[2]) - max(first[0], second[0])
    height = min(first[3], second[3]) - max(first[1], second[1])
    if width <= 0 or height <= 0:
        return False
    smaller = min(
        (first[2] - first[0]) * (first[3] - first[1]), (second[2] - second[0]) * (second[3] - second[1])
    )
    return width * height > 0.3 * smaller

"""Is this photo one we have already seen? Duplicates that survive re-sharing.

A photo that went through a phone comes back re-encoded, resized, slightly cropped, inside a
screenshot's border or with a filter on it. A hash of the whole frame survives re-encoding
and resizing but not a crop or a border; so a `Fingerprint` also carries the face: a hash
of the face cut out along its own landmarks (immune to crops, borders and scale), the
landmark geometry (the same expression and head pose to within a pixel) and the face
embedding (the same person). Two photos are one when their whole-frame hashes match, or
when all three face measures match. Thresholds come from transformed copies of the shared
photos against every pair of distinct photos (docs/quality-thresholds.md,
`bench/measure_duplicates.py`).

Selfie intake (`engine.identity.assess_set`) and album ranking use the same
`duplicate_of` / `find_duplicates`, so "the same picture" means one thing in the product.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from engine.crops import crop_face
from engine.types import Face, Fingerprint, FloatArray, ImageArray

IMAGE_HASH_BITS = 7
"""Whole-frame dHash bits (of 64) within which two photos are one: distinct shared photos
differ in 17 or more, a re-encoded or resized copy in 4 or fewer."""
FACE_HASH_BITS = 24
"""Face-region dHash bits (of 256) within which two faces are one picture: re-shared copies
of the shared photos differ in 16 or fewer (24 for a 55 px face), distinct photos in 35+."""
FACE_SIMILARITY = 0.99
"""dlib embedding cosine above which two faces may be one photo: copies of the usable shared
photos 0.995+, two different photos of one person 0.985 at most."""
GEOMETRY_MAX = 0.06
"""RMS landmark distance (inter-ocular units, eyes levelled) within which two faces have the
same pose and expression: copies 0.05 at most; a supporting check, since two different
photos in the same pose can be as close as 0.033."""
BORDER_TOLERANCE = 12
"""Grey levels within which an edge row or column counts as a flat border (screenshot frames)."""
TRIM_SIDE = 512
"""Borders are looked for on every n-th pixel so the long side is about this (cost: a 12 MP
photo's full-resolution scan took tens of milliseconds)."""
FACE_HASH_SIDE = 96
"""The aligned face crop is hashed at this size; the hash reads its inner 64 x 64."""


def _bits_to_hex(bits: np.ndarray) -> str:
    digits = len(bits) // 4
    return f"{int(''.join('1' if b else '0' for b in bits.flatten()), 2):0{digits}x}"


def hash_distance(first: str, second: str) -> int:
    """Differing bits of two hex hashes of the same length."""
    return (int(first, 16) ^ int(second, 16)).bit_count()


def _flat_run(lines: np.ndarray) -> tuple[int, int]:
    """First and one-past-last index of the lines that are not flat."""
    flat = (lines.max(axis=1) - lines.min(axis=1)) <= BORDER_TOLERANCE
    if flat.all():
        return 0, len(flat)
    return int(np.argmin(flat)), len(flat) - int(np.argmin(flat[::-1]))


def trim_borders(image: ImageArray) -> ImageArray:
    """`image` without flat rows and columns at its edges (a screenshot's frame and status
    bar, letterboxing). Rows and columns are trimmed in turn, twice, so a bar of one colour
    above a frame of another goes too. Gives up when less than half of a side would remain."""
    height, width = image.shape[:2]
    step = max(1, max(height, width) // TRIM_SIDE)
    gray = cv2.cvtColor(np.ascontiguousarray(image[::step, ::step]), cv2.COLOR_RGB2GRAY).astype(np.int16)
    top, bottom, left, right = 0, gray.shape[0], 0, gray.shape[1]
    for _ in range(2):
        first, last = _flat_run(gray[top:bottom, left:right])
        top, bottom = top + first, top + last
        first, last = _flat_run(gray[top:bottom, left:right].T)
        left, right = left + first, left + last
    if bottom - top < gray.shape[0] // 2 or right - left < gray.shape[1] // 2:
        return image
    # Edges found on every `step`-th pixel: keep one sample inside them to stay off the border.
    top, left = min(height, top * step + (step - 1)), min(width, left * step + (step - 1))
    return image[top : min(height, bottom * step), left : min(width, right * step)]


def dhash(image: ImageArray) -> str:
    """64-bit difference hash (9x8 gradient signs) of an RGB image, 16 hex digits."""
    thumb = cv2.resize(image, (64, 64), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(thumb, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(gray, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    return _bits_to_hex(small[:, 1:] > small[:, :-1])


def image_hash(image: ImageArray) -> str:
    """The whole photo's `dhash` with flat borders trimmed first (screenshots, letterboxing)."""
    return dhash(trim_borders(image))


def face_hash(image: ImageArray, face: Face) -> str:
    """256-bit difference hash of the face cut out along its landmarks, 64 hex digits.

    The crop is levelled and scaled by the eyes and mouth, so crops, borders and resizes of
    the photo leave it unchanged; horizontal and vertical gradients, 128 bits each.
    """
    crop = np.asarray(crop_face(image, face, FACE_HASH_SIDE).image)
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    margin = (FACE_HASH_SIDE - 64) // 2
    inner = cv2.equalizeHist(gray[margin : margin + 64, margin : margin + 64])
    across = cv2.resize(inner, (9, 16), interpolation=cv2.INTER_AREA).astype(np.int16)
    down = cv2.resize(inner, (16, 9), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = np.concatenate(
        [(across[:, 1:] > across[:, :-1]).flatten(), (down[1:, :] > down[:-1, :]).flatten()]
    )
    return _bits_to_hex(bits)


def landmark_geometry(face: Face) -> tuple[float, ...]:
    """The face's landmarks (68 when known, else 5) with the eyes levelled and one apart."""
    points = np.asarray(face.landmarks_68 if face.landmarks_68 is not None else face.landmarks, np.float64)
    left_eye, right_eye = np.asarray(face.landmarks[0], np.float64), np.asarray(face.landmarks[1], np.float64)
    span = right_eye - left_eye
    distance = max(float(np.hypot(*span)), 1e-6)
    cos, sin = span / distance
    rotation = np.array([[cos, sin], [-sin, cos]])
    centred = (points - (left_eye + right_eye) / 2) @ rotation.T / distance
    return tuple(round(float(v), 4) for v in centred.flatten())


def geometry_distance(first: Sequence[float], second: Sequence[float]) -> float:
    """RMS distance between two landmark geometries (inf when their point counts differ)."""
    if len(first) != len(second):
        return float("inf")
    a, b = np.asarray(first).reshape(-1, 2), np.asarray(second).reshape(-1, 2)
    return float(np.sqrt(((a - b) ** 2).sum(axis=1).mean()))


def fingerprint(
    image: ImageArray, face: Face | None = None, embedding: FloatArray | None = None
) -> Fingerprint:
    """The fingerprint of a photo and, when it has one, its face and that face's embedding."""
    if face is None:
        return Fingerprint(image_hash=image_hash(image))
    vector = embedding if embedding is not None else face.embedding
    return Fingerprint(
        image_hash=image_hash(image),
        face_hash=face_hash(image, face),
        geometry=landmark_geometry(face),
        embedding=None if vector is None else tuple(float(v) for v in vector),
    )


def same_photo(first: Fingerprint, second: Fingerprint) -> bool:
    """Whether two fingerprints are one photo (see the module docstring for the rule)."""
    if (
        first.image_hash
        and second.image_hash
        and hash_distance(first.image_hash, second.image_hash) <= IMAGE_HASH_BITS
    ):
        return True
    if (
        first.face_hash is None
        or second.face_hash is None
        or first.geometry is None
        or second.geometry is None
        or first.embedding is None
        or second.embedding is None
        or len(first.embedding) != len(second.embedding)
    ):
        return False
    similarity = float(np.dot(first.embedding, second.embedding))
    return (
        similarity >= FACE_SIMILARITY
        and geometry_distance(first.geometry, second.geometry) <= GEOMETRY_MAX
        and hash_distance(first.face_hash, second.face_hash) <= FACE_HASH_BITS
    )


def duplicate_of(item: Fingerprint, earlier: Sequence[tuple[str, Fingerprint]]) -> str | None:
    """The name of the first of `earlier` that `item` is the same photo as, else None."""
    return next((name for name, other in earlier if same_photo(item, other)), None)


def find_duplicates(items: Sequence[tuple[str, Fingerprint]]) -> dict[str, str]:
    """For each item that repeats an earlier one (in the given order), the earlier one's name.

    A copy of a copy names the first photo, not the copy in between.
    """
    originals: list[tuple[str, Fingerprint]] = []
    found: dict[str, str] = {}
    for name, item in items:
        twin = duplicate_of(item, originals)
        if twin is None:
            originals.append((name, item))
        else:
            found[name] = twin
    return found

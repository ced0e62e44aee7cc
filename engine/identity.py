"""Stage 2: who is in this selfie set, is it one person, and is the set good enough?

Works from `PhotoRecord`s only (embedding, pose, brightness, perceptual hashes), so the
chat layer can re-judge a stored set when a photo arrives, or after a restart, in a few
milliseconds and without the face models.
"""

from __future__ import annotations

import numpy as np

from engine.attributes import summarise
from engine.duplicates import duplicate_of, hash_distance
from engine.types import (
    Fingerprint,
    FloatArray,
    IdentityProfile,
    IssueCode,
    PhotoRecord,
    QualityIssue,
    SetAssessment,
    SetReadiness,
)

POSE_SPREAD_MIN = 8.0
"""Degrees of yaw or pitch spread a set needs so generation sees more than one angle."""
LIGHT_SPREAD_MIN = 0.06
"""Spread of face brightness (0-1) below which we suggest different light (advice only)."""
ANGLE_PHOTOS = 2
"""How many more photos to ask for when all photos share one pose."""
ROBUST_ROUNDS = 5


def _unit(vector: FloatArray) -> FloatArray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


def robust_centre(embeddings: FloatArray, threshold: float) -> tuple[FloatArray, np.ndarray]:
    """Centre of the largest same-person group and the mask of its members.

    Starts at the medoid (the photo with the highest median similarity to the others, so a
    minority of impostors cannot move it), then averages the photos that match the current
    centre and repeats: outliers never enter the mean.
    """
    count = embeddings.shape[0]
    if count == 1:
        return _unit(embeddings[0]), np.ones(1, bool)
    similarity = embeddings @ embeddings.T
    np.fill_diagonal(similarity, np.nan)
    medoid = int(np.nanargmax(np.nanmedian(similarity, axis=1)))
    centre = embeddings[medoid]
    members = np.zeros(count, bool)
    members[medoid] = True
    for _ in range(ROBUST_ROUNDS):
        matches = embeddings @ centre >= threshold
        matches[medoid] = True
        centre = _unit(embeddings[matches].mean(axis=0))
        if np.array_equal(matches, members):
            break
        members = matches
    return centre, members


def build_profile(signatures: list[PhotoRecord], *, backend: str, threshold: float) -> IdentityProfile | None:
    """The identity profile from quality-ok photos (all photos with a face if none is ok)."""
    with_face = [s for s in signatures if s.embedding is not None]
    basis = [s for s in with_face if s.ok] or with_face
    if not basis:
        return None
    embeddings = np.array([s.embedding for s in basis], dtype=np.float32)
    centre, members = robust_centre(embeddings, threshold)
    chosen = [s for s, keep in zip(basis, members, strict=True) if keep]
    return IdentityProfile(
        attributes=summarise([s.attributes for s in chosen]),
        embedding=centre,
        backend=backend,
        threshold=threshold,
        member_names=tuple(s.name for s in chosen),
        similarities=tuple(float(np.dot(centre, np.asarray(s.embedding, np.float32))) for s in chosen),
    )


def dhash_distance(first: str, second: str) -> int:
    """Differing bits of two hex hashes (kept for callers of the old name)."""
    return hash_distance(first, second)


def fingerprint_of(signature: PhotoRecord) -> Fingerprint:
    """The duplicate detector's view of a stored photo."""
    return Fingerprint(
        image_hash=signature.dhash,
        face_hash=signature.face_hash,
        geometry=signature.geometry,
        embedding=signature.embedding,
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def assess_set(
    signatures: list[PhotoRecord], *, backend: str, threshold: float, min_photos: int
) -> SetAssessment:
    """Judge a selfie set (signatures in upload order): identity, duplicates, variety, count."""
    profile = build_profile(signatures, backend=backend, threshold=threshold)
    similarities: dict[str, float | None] = {}
    issues: dict[str, list[QualityIssue]] = {}
    outliers: list[str] = []
    for s in signatures:
        if s.embedding is None or profile is None:
            similarities[s.name] = None
            continue
        score = profile.similarity(np.asarray(s.embedding, np.float32))
        similarities[s.name] = round(score, 4)
        if score < threshold:
            outliers.append(s.name)
            issues.setdefault(s.name, []).append(
                QualityIssue(
                    IssueCode.IDENTITY_MISMATCH,
                    f"{s.name} looks like a different person; send only photos of you.",
                )
            )
    kept: list[PhotoRecord] = []
    duplicates: list[str] = []
    for s in signatures:
        if not s.ok or s.name in outliers:
            continue
        twin = duplicate_of(fingerprint_of(s), [(k.name, fingerprint_of(k)) for k in kept])
        if twin is not None:
            duplicates.append(s.name)
            issues.setdefault(s.name, []).append(
                QualityIssue(
                    IssueCode.DUPLICATE,
                    f"{s.name} is the same picture as {twin}, so it counts once; "
                    "send a different photo instead.",
                )
            )
            continue
        kept.append(s)
    readiness = _readiness(kept, outliers, signatures, min_photos)
    return SetAssessment(
        readiness=readiness,
        profile=profile,
        similarities=similarities,
        issues={name: tuple(found) for name, found in issues.items()},
        usable=tuple(s.name for s in kept),
        duplicates=tuple(duplicates),
    )


def _spread(values: list[float | None]) -> float:
    present = [v for v in values if v is not None]
    return max(present) - min(present) if len(present) > 1 else 0.0


def _readiness(
    kept: list[PhotoRecord], outliers: list[str], signatures: list[PhotoRecord], min_photos: int
) -> SetReadiness:
    usable = len(kept)
    needed = max(0, min_photos - usable)
    one_pose = (
        usable >= 3
        and max(_spread([s.yaw for s in kept]), _spread([s.pitch for s in kept])) < POSE_SPREAD_MIN
    )
    one_light = usable >= 3 and _spread([s.brightness for s in kept]) < LIGHT_SPREAD_MIN
    if one_pose:
        needed = max(needed, ANGLE_PHOTOS)
    members = len([s for s in signatures if s.embedding is not None]) - len(outliers)
    clear_majority = members > 2 * len(outliers)
    ready = needed == 0 and clear_majority
    parts: list[str] = []
    if ready:
        parts.append(f"{_plural(usable, 'good photo')}: ready to generate")
    else:
        parts.append(f"{_plural(usable, 'good photo')} so far")
        if needed:
            advice = [
                text
                for flag, text in (
                    (one_pose, "with your head turned a little left or right"),
                    (one_light, "in different light"),
                )
                if flag
            ]
            parts.append(
                f"send at least {needed} more" + (f", some {' and some '.join(advice)}" if advice else "")
            )
    if outliers:
        parts.append(
            f"{', '.join(outliers)} {'looks' if len(outliers) == 1 else 'look'} like a different person"
        )
    if not clear_majority and outliers:
        parts.append("send only photos of the same person")
    return SetReadiness(
        ready=ready,
        consistent=not outliers,
        usable_count=usable,
        needed=needed,
        outliers=tuple(outliers),
        message="; ".join(parts) + ".",
    )

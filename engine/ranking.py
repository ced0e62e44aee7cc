"""Ranking and diversity: score every candidate, drop the failures, keep one of each look.

Each candidate gets three scores in 0-1, all kept in its `ScoredCandidate` so "more like #3"
and the album's JSON can use them:

- identity: cosine similarity to the user's profile with the same face backend, mapped so
  the backend's `match_threshold` is 0 and a perfect match 1. The seed's bar ("0.85") is
  expressed per backend as that threshold; below it a candidate is dropped.
- quality: face sharpness, exposure, eyes open, no compression artefacts (measured by the
  intake's own `measure_face`, the same yardstick the selfies met).
- style fit: headshot framing (face centred, eyes near the upper third, face size) and, when
  the style has a backdrop colour, how close the background is to it.

Dropped, never delivered: a blank or black image (a safety checker's output), no face, more
than one face, identity below the bar. Near-duplicates (same face embedding and the same
perceptual hash of the face region) form one cluster; the album takes the best of each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from engine.crops import crop_face
from engine.identity import dhash_distance
from engine.intake import dhash
from engine.quality import BLOCKINESS_OK, BLOCKINESS_SLOPE, EYES_CLOSED_EAR, counted_faces, measure_face
from engine.styles import StyleTemplate
from engine.types import Candidate, FaceAnalyzer, FloatArray, IdentityProfile, ImageArray, ScoredCandidate

RANK_SIDE = 1024
"""Candidates are judged at this long side: plenty for the face models, 4x cheaper than 2048."""
WEIGHTS = {"identity": 0.5, "quality": 0.3, "style_fit": 0.2}
BLANK_STD = 6.0
"""Luma standard deviation (0-255) under which an image is blank (black or flat)."""
DUPLICATE_SIMILARITY = 0.993
"""Embedding cosine above which two candidates may be the same picture (checked with the hash).
Measured with dlib on person_a: a photo and its cropped, re-encoded copy >= 0.9989; two
different photos <= 0.986 (and their face hashes can be as close as 5 bits)."""
DUPLICATE_BITS = 12
"""Face-region dHash bits within which two same-face candidates are near-duplicates."""
EXPOSURE_TARGET, EXPOSURE_RANGE = 0.47, 0.35
EYE_LINE, FACE_HEIGHT = 0.40, (0.18, 0.45)


@dataclass(frozen=True)
class Ranking:
    """`kept`: best of each cluster, best first, at most `keep`; `scored`: every candidate
    in input order with its scores and, for a failure, why it was dropped."""

    kept: tuple[ScoredCandidate, ...]
    scored: tuple[ScoredCandidate, ...]

    @property
    def rejected(self) -> tuple[ScoredCandidate, ...]:
        return tuple(s for s in self.scored if s.rejected is not None)


def _small(image: ImageArray) -> ImageArray:
    scale = RANK_SIDE / max(image.shape[:2])
    if scale >= 1.0:
        return image
    size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)  # type: ignore[return-value]


def _failed(candidate: Candidate, reason: str, details: dict[str, float]) -> ScoredCandidate:
    return ScoredCandidate(
        candidate, identity=0.0, quality=0.0, style_fit=0.0, score=0.0, cluster=-1, rejected=reason,
        details=details,
    )  # fmt: skip


def _closeness(value: float, target: float, tolerance: float) -> float:
    return max(0.0, 1.0 - abs(value - target) / tolerance)


def _backdrop_fit(image: ImageArray, colour: str) -> float:
    height, width = image.shape[:2]
    band_h, band_w = max(1, height // 10), max(1, width // 7)
    corners = np.concatenate(
        [image[:band_h, :band_w].reshape(-1, 3), image[:band_h, -band_w:].reshape(-1, 3)]
    ).astype(np.float32)
    target = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], np.float32)
    distance = float(np.linalg.norm(corners.mean(axis=0) - target)) / 255.0
    return max(0.0, 1.0 - 2.0 * distance)


def score_candidate(
    candidate: Candidate,
    profile: IdentityProfile,
    analyzer: FaceAnalyzer,
    template: StyleTemplate | None = None,
) -> ScoredCandidate:
    """One candidate's scores (cluster -1 until `rank_candidates` clusters them)."""
    image = _small(np.asarray(candidate.image.convert("RGB"), dtype=np.uint8))
    height, width = image.shape[:2]
    contrast = float(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).std())
    details: dict[str, float] = {"contrast": round(contrast, 2)}
    if contrast < BLANK_STD:
        return _failed(candidate, "blank", details)
    people = counted_faces(analyzer.detect(image))
    details["faces"] = float(len(people))
    if not people:
        return _failed(candidate, "no_face", details)
    if len(people) > 1:
        return _failed(candidate, "multiple_faces", details)
    face = people[0]
    embedding = analyzer.embed(image, face)
    similarity = profile.similarity(embedding)
    details["similarity"] = round(similarity, 4)
    if similarity < profile.threshold:
        failed = _failed(candidate, "identity_too_low", details)
        return replace(failed, embedding=embedding)
    identity = min(1.0, max(0.0, (similarity - profile.threshold) / (1.0 - profile.threshold)))
    measures = measure_face(image, face)
    eyes_open = measures.eye_aspect is None or measures.eye_aspect >= EYES_CLOSED_EAR
    artefacts = min(1.0, max(0.0, (measures.blockiness - BLOCKINESS_OK) * BLOCKINESS_SLOPE))
    exposure = _closeness(measures.brightness, EXPOSURE_TARGET, EXPOSURE_RANGE) * (1 - measures.clipped)
    quality = 0.35 * measures.sharpness + 0.25 * exposure + 0.2 * float(eyes_open) + 0.2 * (1.0 - artefacts)
    eyes_y = float((face.landmarks[0][1] + face.landmarks[1][1]) / 2) / height
    centre_x = float(face.landmarks[:, 0].mean()) / width
    face_h = face.height / height
    fits = [
        _closeness(centre_x, 0.5, 0.25),
        _closeness(eyes_y, EYE_LINE, 0.25),
        1.0 if FACE_HEIGHT[0] <= face_h <= FACE_HEIGHT[1] else 0.5,
    ]
    if template is not None and template.postprocess.background.startswith("#"):
        fits.append(_backdrop_fit(image, template.postprocess.background))
    style_fit = sum(fits) / len(fits)
    details.update(
        sharpness=round(measures.sharpness, 4),
        brightness=round(measures.brightness, 4),
        exposure=round(exposure, 4),
        eyes_open=float(eyes_open),
        blockiness=round(measures.blockiness, 4),
        face_centre_x=round(centre_x, 4),
        eye_line=round(eyes_y, 4),
        face_height=round(face_h, 4),
        face_hash=float(int(dhash(np.asarray(crop_face(image, face, 64).image)), 16)),
    )
    score = WEIGHTS["identity"] * identity + WEIGHTS["quality"] * quality + WEIGHTS["style_fit"] * style_fit
    return ScoredCandidate(
        candidate,
        identity=round(identity, 4),
        quality=round(quality, 4),
        style_fit=round(style_fit, 4),
        score=round(score, 4),
        cluster=-1,
        details=details,
        embedding=embedding,
    )


def near_duplicates(first: ScoredCandidate, second: ScoredCandidate) -> bool:
    """Same face embedding and nearly the same face-region hash: the same picture twice."""
    if first.embedding is None or second.embedding is None:
        return False
    if float(np.dot(first.embedding, second.embedding)) < DUPLICATE_SIMILARITY:
        return False
    hashes = (int(first.details["face_hash"]), int(second.details["face_hash"]))
    return dhash_distance(f"{hashes[0]:016x}", f"{hashes[1]:016x}") <= DUPLICATE_BITS


def rank_candidates(
    candidates: Sequence[Candidate],
    profile: IdentityProfile,
    analyzer: FaceAnalyzer,
    *,
    keep: int,
    template: StyleTemplate | None = None,
) -> Ranking:
    """Score, drop failures, cluster near-duplicates, keep the best `keep` clusters' best."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    scored = [score_candidate(c, profile, analyzer, template) for c in candidates]
    return cluster_and_rank(scored, keep=keep)


def cluster_and_rank(scored: Sequence[ScoredCandidate], *, keep: int) -> Ranking:
    """Greedy clustering in score order: a candidate joins the first cluster whose best
    member it duplicates, else starts a new one; the album is each cluster's best."""
    order = sorted(
        (i for i, s in enumerate(scored) if s.rejected is None), key=lambda i: (-scored[i].score, i)
    )
    leaders: list[ScoredCandidate] = []
    result = list(scored)
    for index in order:
        item = scored[index]
        cluster = next((n for n, leader in enumerate(leaders) if near_duplicates(leader, item)), None)
        if cluster is None:
            cluster = len(leaders)
            leaders.append(replace(item, cluster=cluster))
        result[index] = replace(item, cluster=cluster)
    return Ranking(kept=tuple(leaders[:keep]), scored=tuple(result))


def similar_to(target: FloatArray, scored: Sequence[ScoredCandidate], count: int) -> list[ScoredCandidate]:
    """The accepted candidates closest to `target` (an embedding): "more like #3"."""
    accepted = [s for s in scored if s.rejected is None and s.embedding is not None]
    accepted.sort(key=lambda s: -float(np.dot(target, s.embedding)) if s.embedding is not None else math.inf)
    return accepted[:count]

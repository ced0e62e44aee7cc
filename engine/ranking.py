"""Ranking and diversity: score every candidate, drop the failures, choose a varied album.

Each candidate gets three scores in 0-1, all kept in its `ScoredCandidate` so "more like #3"
and the album's JSON can use them:

- identity: cosine similarity to the person's profile, measured by the *grading* face model
  (a different model from the one that conditioned generation when two are configured, see
  `engine.grading`), mapped so that model's `match_threshold` is 0 and a perfect match 1.
  The raw cosine is kept as `details["identity_cosine"]`; below the threshold the candidate
  is dropped.
- quality: face sharpness, exposure, eyes open, no compression artefacts (measured by the
  intake's own `measure_face`, the same yardstick the selfies met).
- style fit: headshot framing (face centred, eyes near the upper third, face size) and, when
  the style has a backdrop colour, how close the background is to it.

A copy-paste discount: a candidate whose pose and expression match one selfie almost exactly
scores high on identity but reads as the selfie pasted in; `details["copy_closeness"]` (0-1)
measures that and up to `COPY_PENALTY` comes off its score. Studio previews are retouches of
the selfies by design and are not discounted (the closeness is still recorded).

Dropped, never delivered: a blank or black image (a safety checker's output), no face, more
than one face, identity below the bar. A candidate that is the same picture as another (re-
encoded, resized or cropped: `engine.duplicates`, the rule selfie intake uses) is marked
`duplicate_of` the larger one. The album is then chosen by maximal marginal relevance over the candidate
descriptor (`engine.diversity`): the best image of each look before any look repeats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from engine import more_like
from engine.descriptor import aspect_distances, describe_shot
from engine.diversity import select_diverse
from engine.duplicates import fingerprint, same_photo
from engine.quality import BLOCKINESS_OK, BLOCKINESS_SLOPE, EYES_CLOSED_EAR, counted_faces, measure_face
from engine.styles import StyleTemplate
from engine.types import (
    Candidate,
    FaceAnalyzer,
    FloatArray,
    IdentityProfile,
    ImageArray,
    ScoredCandidate,
    ShotDescriptor,
)

RANK_SIDE = 1024
"""Candidates are judged at this long side: plenty for the face models, 4x cheaper than 2048."""
WEIGHTS = {"identity": 0.5, "quality": 0.3, "style_fit": 0.2}
BLANK_STD = 6.0
"""Luma standard deviation (0-255) under which an image is blank (black or flat)."""
COPY_ONSET = 0.8
"""Copy closeness (1 - the larger of the pose and expression distances to the nearest selfie)
from which the copy-paste discount starts: within about 3 degrees and the same expression."""
COPY_PENALTY = 0.15
"""Score taken off a candidate that is exactly a selfie's pose and expression (0 at the onset)."""
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


def at_rank_size(image: ImageArray) -> ImageArray:
    """`image` shrunk to `RANK_SIDE` (never enlarged): candidates and selfies are measured alike."""
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


def copy_closeness(descriptor: ShotDescriptor, selfie_looks: Sequence[ShotDescriptor]) -> float:
    """How nearly this shot repeats one selfie's pose and expression: 1 = exactly, 0 = not."""
    if not selfie_looks:
        return 0.0
    nearest = min(
        max(parts["pose"], parts["expression"])
        for parts in (aspect_distances(descriptor, look) for look in selfie_looks)
    )
    return 1.0 - nearest


def copy_penalty(closeness: float) -> float:
    return COPY_PENALTY * max(0.0, closeness - COPY_ONSET) / (1.0 - COPY_ONSET)


def score_candidate(
    candidate: Candidate,
    profile: IdentityProfile,
    analyzer: FaceAnalyzer,
    template: StyleTemplate | None = None,
    selfie_looks: Sequence[ShotDescriptor] = (),
) -> ScoredCandidate:
    """One candidate's scores (cluster -1 until `rank_candidates` chooses the album).

    `profile` and `analyzer` are the grading model's; `selfie_looks` the descriptors of the
    selfies, for the copy-paste check."""
    image = at_rank_size(np.asarray(candidate.image.convert("RGB"), dtype=np.uint8))
    _height, _width = image.shape[:2]
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
    details["similarity"] = details["identity_cosine"] = round(similarity, 4)
    descriptor = describe_shot(image, face, candidate.params)
    if similarity < profile.threshold:
        failed = _failed(candidate, "identity_too_low", details)
        return replace(failed, embedding=embedding, descriptor=descriptor)
    identity = min(1.0, max(0.0, (similarity - profile.threshold) / (1.0 - profile.threshold)))
    measures = measure_face(image, face)
    eyes_open = measures.eye_aspect is None or measures.eye_aspect >= EYES_CLOSED_EAR
    artefacts = min(1.0, max(0.0, (measures.blockiness - BLOCKINESS_OK) * BLOCKINESS_SLOPE))
    exposure = _closeness(measures.brightness, EXPOSURE_TARGET, EXPOSURE_RANGE) * (1 - measures.clipped)
    quality = 0.35 * measures.sharpness + 0.25 * exposure + 0.2 * float(eyes_open) + 0.2 * (1.0 - artefacts)
    fits = [
        _closeness(descriptor.face_x, 0.5, 0.25),
        _closeness(descriptor.eye_line, EYE_LINE, 0.25),
        1.0 if FACE_HEIGHT[0] <= descriptor.face_height <= FACE_HEIGHT[1] else 0.5,
    ]
    if template is not None and template.postprocess.background.startswith("#"):
        fits.append(_backdrop_fit(image, template.postprocess.background))
    style_fit = sum(fits) / len(fits)
    closeness = copy_closeness(descriptor, selfie_looks)
    discount = 0.0 if candidate.params.get("backend") == "preview" else copy_penalty(closeness)
    photo_print = fingerprint(image, face, embedding)
    details.update(
        sharpness=round(measures.sharpness, 4),
        brightness=round(measures.brightness, 4),
        exposure=round(exposure, 4),
        eyes_open=float(eyes_open),
        blockiness=round(measures.blockiness, 4),
        face_centre_x=round(descriptor.face_x, 4),
        eye_line=round(descriptor.eye_line, 4),
        face_height=round(descriptor.face_height, 4),
        copy_closeness=round(closeness, 4),
        copy_penalty=round(discount, 4),
    )
    score = WEIGHTS["identity"] * identity + WEIGHTS["quality"] * quality + WEIGHTS["style_fit"] * style_fit
    return ScoredCandidate(
        candidate,
        identity=round(identity, 4),
        quality=round(quality, 4),
        style_fit=round(style_fit, 4),
        score=round(max(0.0, score - discount), 4),
        cluster=-1,
        details=details,
        embedding=embedding,
        descriptor=descriptor,
        fingerprint=photo_print,
    )


def near_duplicates(first: ScoredCandidate, second: ScoredCandidate) -> bool:
    """The same picture twice (re-encoded, resized, cropped): `engine.duplicates.same_photo`,
    the rule selfie intake uses too."""
    if first.fingerprint is None or second.fingerprint is None:
        return False
    return same_photo(first.fingerprint, second.fingerprint)


def rank_candidates(
    candidates: Sequence[Candidate],
    profile: IdentityProfile,
    analyzer: FaceAnalyzer,
    *,
    keep: int,
    template: StyleTemplate | None = None,
    selfie_looks: Sequence[ShotDescriptor] = (),
    like: ShotDescriptor | None = None,
) -> Ranking:
    """Score, drop failures, mark duplicates, choose the `keep` best distinct looks (near
    `like`, the chosen image's descriptor, for "more like #N": `engine.more_like`)."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    scored = [score_candidate(c, profile, analyzer, template, selfie_looks) for c in candidates]
    return choose_album(scored, keep=keep, like=like)


def choose_album(
    scored: Sequence[ScoredCandidate], *, keep: int, like: ShotDescriptor | None = None
) -> Ranking:
    """Duplicates first (largest image first, then by score: a candidate that repeats one
    already seen is marked `duplicate_of` it), then MMR over the rest; `cluster` is the
    album position (0-based) of the kept image each candidate is most like, -1 for a failure.
    With `like`, candidates clearly unlike it are set aside first and nearness counts in the
    relevance (`engine.more_like`)."""

    def pixels(index: int) -> int:
        width, height = scored[index].candidate.image.size
        return width * height

    # Of the same picture twice, the larger is the source (the other a re-encoded crop of it).
    order = sorted(
        (i for i, s in enumerate(scored) if s.rejected is None),
        key=lambda i: (-pixels(i), -scored[i].score, i),
    )
    result = list(scored)
    originals: list[int] = []
    for index in order:
        twin = next((j for j in originals if near_duplicates(scored[j], scored[index])), None)
        if twin is None:
            originals.append(index)
        else:
            result[index] = replace(scored[index], duplicate_of=twin)
    chosen = [i for i in originals if scored[i].descriptor is not None]
    relevance = [scored[i].score for i in chosen]
    if like is not None:
        chosen, relevance = _near_the_chosen(result, chosen, like, keep)
    selection = select_diverse(
        relevance, [d for i in chosen if (d := result[i].descriptor) is not None], keep
    )
    cluster_of = {chosen[position]: cluster for position, cluster in selection.clusters.items()}
    for index in order:
        lead = index if result[index].duplicate_of is None else result[index].duplicate_of
        assert lead is not None
        result[index] = replace(result[index], cluster=cluster_of.get(lead, -1))
    for position, novelty in selection.novelty.items():
        index = chosen[position]
        result[index] = replace(result[index], details={**result[index].details, "novelty": novelty})
    kept = tuple(result[chosen[position]] for position in selection.order)
    return Ranking(kept=kept, scored=tuple(result))


def _near_the_chosen(
    result: list[ScoredCandidate], chosen: list[int], like: ShotDescriptor, keep: int
) -> tuple[list[int], list[float]]:
    """Record each candidate's `like_distance`, set aside the clearly unlike ones, and give
    the rest their "more like" relevance. Updates `result` in place."""
    distances = more_like.like_distances([d for i in chosen if (d := result[i].descriptor)], like)
    near = more_like.near_enough(distances, keep)
    for position, index in enumerate(chosen):
        details = {**result[index].details, "like_distance": distances[position]}
        rejected = None if position in near else more_like.UNLIKE
        result[index] = replace(result[index], details=details, rejected=rejected)
    kept = sorted(near)
    scores = more_like.relevance([result[chosen[p]].score for p in kept], [distances[p] for p in kept])
    return [chosen[p] for p in kept], scores


def similar_to(target: FloatArray, scored: Sequence[ScoredCandidate], count: int) -> list[ScoredCandidate]:
    """The accepted candidates closest to `target` (an embedding): "more like #3"."""
    accepted = [s for s in scored if s.rejected is None and s.embedding is not None]
    accepted.sort(key=lambda s: -float(np.dot(target, s.embedding)) if s.embedding is not None else math.inf)
    return accepted[:count]

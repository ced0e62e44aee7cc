"""Identity graded independently: the person's profile in the grading face model's own terms.

A candidate made with identity conditioning (IP-Adapter FaceID, InstantID) is pushed towards
the conditioning model's embedding of the person; scoring it with that same model partly
measures how well the generator fooled that model. Where two face models are configured the
album is graded with the other one (`Settings.grading_face_backend`): the selfies are
embedded again with the grading model, its robust centre is the profile candidates are
compared with, and its own `match_threshold` is the gate. The raw cosine of every delivered
image, and the album's median and minimum, are reported with the model's name
(`identity_summary`).

The selfies' descriptors (`selfie_looks`) come along for the copy-paste check in ranking.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.descriptor import describe_shot
from engine.identity import robust_centre
from engine.quality import counted_faces
from engine.ranking import at_rank_size
from engine.types import (
    AssessedPhoto,
    FaceAnalyzer,
    IdentityProfile,
    ScoredCandidate,
    ShotDescriptor,
    as_array,
)


@dataclass(frozen=True)
class IdentityGrader:
    """The grading model and the person as it sees them, plus the selfies' looks."""

    analyzer: FaceAnalyzer
    profile: IdentityProfile
    selfie_looks: tuple[ShotDescriptor, ...]
    independent: bool
    """True when the grading model is not the one whose embedding conditioned generation."""


def build_grader(
    analyzer: FaceAnalyzer, profile: IdentityProfile, selfies: Sequence[AssessedPhoto]
) -> IdentityGrader:
    """The grader for one order. With the conditioning model itself (`analyzer.name ==
    profile.backend`) the order's profile is reused; another model embeds the selfies again."""
    looks: list[ShotDescriptor] = []
    embeddings = []
    independent = analyzer.name != profile.backend
    for selfie in selfies:
        # Detected again by the grading model at ranking size, so a candidate that is this
        # selfie measures the same pose and expression (copy closeness 1).
        image = at_rank_size(as_array(selfie.photo.image))
        faces = counted_faces(analyzer.detect(image))
        if len(faces) != 1:
            continue
        looks.append(describe_shot(image, faces[0]))
        if independent:
            embeddings.append(analyzer.embed(image, faces[0]))
    if not independent:
        return IdentityGrader(analyzer, profile, tuple(looks), independent=False)
    if not embeddings:
        msg = f"the grading face model {analyzer.name} found no single face in the selfies"
        raise ValueError(msg)
    stacked = np.asarray(embeddings, np.float32)
    centre, members = robust_centre(stacked, analyzer.match_threshold)
    graded = IdentityProfile(
        embedding=centre,
        backend=analyzer.name,
        threshold=analyzer.match_threshold,
        member_names=profile.member_names,
        similarities=tuple(float(v) for v in stacked[members] @ centre),
        attributes=profile.attributes,
    )
    return IdentityGrader(analyzer, graded, tuple(looks), independent=True)


def identity_summary(grader: IdentityGrader, delivered: Sequence[ScoredCandidate]) -> dict[str, Any]:
    """What `album.json` says about likeness: the model, its gate, and the raw cosines."""
    cosines = [
        float(item.details["identity_cosine"]) for item in delivered if "identity_cosine" in item.details
    ]
    return {
        "model": grader.analyzer.name,
        "independent_of_conditioning": grader.independent,
        "threshold": grader.profile.threshold,
        "cosines": [round(c, 4) for c in cosines],
        "median": round(statistics.median(cosines), 4) if cosines else None,
        "min": round(min(cosines), 4) if cosines else None,
    }

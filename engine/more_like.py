""" "More like #N": variations near the chosen image, searched by its stored shot descriptor.

The delivered result keeps the descriptor of what the person saw (`Result.params["descriptor"]`,
also in album.json). A "more like" order uses it twice:

- **planning**: the new batch takes its poses from the chosen image's own pose reference and
  the user's other selfies whose head pose is near the pose the chosen image shows
  (`near_references`), so the variations are near it, not forty copies of one plan;
- **ranking**: each candidate's distance to the chosen descriptor (`shot_distance`) is
  recorded as `like_distance`; candidates clearly unlike it are set aside as
  `unlike_chosen` (as long as `keep` near ones remain), and the album's relevance is the score
  minus `LIKE_WEIGHT` x that distance, so MMR picks the best near variations that differ from
  each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.descriptor import POSE_SCALE, shot_distance
from engine.types import Face, FaceCrop, ScoredCandidate, ShotDescriptor

NEAR_POSE = 0.5
"""Head-pose distance (yaw and pitch, in `POSE_SCALE` units: about 4 degrees) within which a
selfie's pose counts as near the chosen image's."""
NEAR_REFERENCES = 3
"""At most this many pose references for a "more like" batch, the chosen one's own first."""
LIKE_DISTANCE = 0.35
"""`shot_distance` beyond which a candidate is no longer "like" the chosen image: it differs
clearly in a third of what a person compares (pose counts most)."""
LIKE_WEIGHT = 1.0
"""How much nearness to the chosen image counts against score in the album's relevance
(scores of accepted candidates spread about 0.2, distances 0-1: nearness leads)."""
UNLIKE = "unlike_chosen"


def anchor_descriptor(anchor: Mapping[str, Any] | None) -> ShotDescriptor | None:
    """The chosen image's stored descriptor, or None for results stored without one."""
    data = (anchor or {}).get("descriptor")
    if not isinstance(data, Mapping):
        return None
    try:
        return ShotDescriptor.from_json(data)
    except (KeyError, TypeError, ValueError):
        return None


def pose_distance(descriptor: ShotDescriptor, face: Face) -> float:
    """How far a selfie's head pose is from the descriptor's (yaw and pitch; the crops are
    levelled, so roll says nothing)."""
    return max(
        abs(descriptor.yaw - face.yaw) / POSE_SCALE["yaw"],
        abs(descriptor.pitch - face.pitch) / POSE_SCALE["pitch"],
    )


def near_references(anchor: Mapping[str, Any], references: Sequence[FaceCrop]) -> list[FaceCrop]:
    """The pose references of a "more like" batch: the chosen image's own selfie first, then
    the selfies whose pose is within `NEAR_POSE` of what the chosen image shows, nearest
    first. Without a descriptor only the chosen one's own selfie (or all, if it is gone)."""
    own = [r for r in references if r.source_name == anchor.get("reference")][:1]
    descriptor = anchor_descriptor(anchor)
    if descriptor is None:
        return own or list(references)
    others = sorted(
        (r for r in references if r.source_name != anchor.get("reference")),
        key=lambda r: pose_distance(descriptor, r.face),
    )
    near = [r for r in others if pose_distance(descriptor, r.face) <= NEAR_POSE]
    chosen = (own + near)[:NEAR_REFERENCES]
    return chosen or others[:1]


def like_distances(descriptors: Sequence[ShotDescriptor], anchor: ShotDescriptor) -> list[float]:
    return [round(shot_distance(d, anchor), 4) for d in descriptors]


def near_enough(distances: Sequence[float], keep: int) -> set[int]:
    """Positions counted "like" the chosen image: those within `LIKE_DISTANCE`, or, when fewer
    than `keep` are, the `keep` nearest (an album is never emptied by the search)."""
    near = {i for i, d in enumerate(distances) if d <= LIKE_DISTANCE}
    if len(near) >= keep:
        return near
    return set(sorted(range(len(distances)), key=lambda i: (distances[i], i))[:keep])


def relevance(scores: Sequence[float], distances: Sequence[float]) -> list[float]:
    return [score - LIKE_WEIGHT * distance for score, distance in zip(scores, distances, strict=True)]


def more_like_summary(anchor: Mapping[str, Any] | None, kept: Sequence[ScoredCandidate]) -> dict[str, Any]:
    """For album.json: how near the delivered images are to the chosen one (none if not a
    "more like" order, or the chosen result had no descriptor)."""
    if anchor_descriptor(anchor) is None:
        return {}
    distances = sorted(float(i.details["like_distance"]) for i in kept if "like_distance" in i.details)
    if not distances:
        return {}
    return {
        "more_like": {
            "reference": (anchor or {}).get("reference"),
            "like_distance_median": round(distances[len(distances) // 2], 4),
            "like_distance_max": round(distances[-1], 4),
            "threshold": LIKE_DISTANCE,
        }
    }

"""Choosing the album: the best images that do not repeat each other (maximal marginal relevance).

Taking the top-k by score gives twelve copies of the best-scoring look; removing only exact
duplicates does not help, because two diffusion samples are never pixel-twins. MMR picks,
one at a time, the candidate with the highest

    LAMBDA * score - (1 - LAMBDA) * max similarity to the images already picked

where similarity is `1 - shot_distance` over the candidate descriptor (`engine.descriptor`).
The first pick is the best image; each next one is the best of a look not yet in the album, so
the album spans the poses and looks the batch offers and each kept image is the best of its
kind. Near-duplicates (the same picture: see `engine.ranking.near_duplicates`) are set
aside before this runs.

Every accepted candidate also gets a cluster: the index of the picked image it is most like,
so a person can see which look each dropped candidate belonged to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.descriptor import shot_distance
from engine.types import ShotDescriptor

LAMBDA = 0.6
"""Relevance against novelty. Scores of accepted candidates spread about 0.2 and descriptor
similarities about 0.5, so at 0.5 a clearly new look beats a repeat that scores up to ~0.2
better, and a slightly different look does not beat a much better image."""


@dataclass(frozen=True)
class Selection:
    """`order`: picked indices, best first; `clusters`: index -> position in `order` of the
    picked image it is most like (picked images map to themselves); `novelty`: index -> its
    distance to the nearest earlier pick when it was picked (1.0 for the first)."""

    order: tuple[int, ...]
    clusters: dict[int, int]
    novelty: dict[int, float]


def select_diverse(
    scores: Sequence[float],
    descriptors: Sequence[ShotDescriptor],
    keep: int,
    *,
    weight: float = LAMBDA,
) -> Selection:
    """MMR over `scores` and `descriptors` (same length; only accepted candidates). The
    picks come back best score first; `clusters` and album positions follow that order."""
    if len(scores) != len(descriptors):
        raise ValueError(f"scores and descriptors must have the same length, got {len(scores)} and "
                         f"{len(descriptors)}")  # fmt: skip
    remaining = list(range(len(scores)))
    order: list[int] = []
    novelty: dict[int, float] = {}
    nearest = dict.fromkeys(remaining, 1.0)
    while remaining and len(order) < keep:
        best = max(remaining, key=lambda i: (weight * scores[i] - (1 - weight) * (1 - nearest[i]), -i))
        novelty[best] = round(nearest[best], 4)
        order.append(best)
        remaining.remove(best)
        for i in remaining:
            nearest[i] = min(nearest[i], shot_distance(descriptors[i], descriptors[best]))
    order.sort(key=lambda i: (-scores[i], i))
    clusters: dict[int, int] = {}
    for i in range(len(scores)):
        if i in order:
            clusters[i] = order.index(i)
        elif order:
            clusters[i] = min(
                range(len(order)), key=lambda n: shot_distance(descriptors[i], descriptors[order[n]])
            )
    return Selection(order=tuple(order), clusters=clusters, novelty=novelty)

"""Rank arbitrary image files against a selfie set with the worker's own ranking code.

`headshots rank` uses this to check the ranking on real photos: the selfies go through the
pipeline's stages 1-2 (assessor, identity profile, best selfies, grading model), the
candidates through stage 6 (`engine.ranking.rank_candidates`), and every file comes back
with its verdict in words: kept, or dropped and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.decode import decode_photo
from engine.descriptor import shot_distance
from engine.errors import EngineError, SetNotReadyError
from engine.grading import IdentityGrader, build_grader
from engine.pipeline import EngineResources, best_selfies
from engine.ranking import Ranking, rank_candidates
from engine.types import Candidate, ScoredCandidate

SAME_LOOK = 0.25
"""Descriptor distance under which an unpicked file is "the same look as" a kept one."""
REASONS = {
    "blank": "blank image",
    "no_face": "no face",
    "multiple_faces": "more than one face",
    "identity_too_low": "identity too low",
}


@dataclass(frozen=True)
class FileVerdict:
    """One ranked file: kept (with its album rank) or dropped, why, and its scores."""

    name: str
    kept: bool
    rank: int | None
    reason: str
    scores: dict[str, Any]
    cluster: int | None


@dataclass(frozen=True)
class FileRanking:
    files: tuple[FileVerdict, ...]
    grader: IdentityGrader
    ranking: Ranking


def _reason(item: ScoredCandidate, kept: Sequence[ScoredCandidate], names: Sequence[str]) -> str:
    if item.rejected is not None:
        reason = REASONS.get(item.rejected, item.rejected)
        if item.rejected == "identity_too_low":
            reason += f" (cosine {item.details['identity_cosine']:.3f})"
        return reason
    if item.duplicate_of is not None:
        return f"duplicate of {names[item.duplicate_of]}"
    if not kept or item.descriptor is None:
        return "quality: not among the best"
    lead = kept[item.cluster] if 0 <= item.cluster < len(kept) else kept[-1]
    if lead.descriptor is not None and shot_distance(item.descriptor, lead.descriptor) < SAME_LOOK:
        return f"same look as {lead.candidate.params['name']}, which scored higher"
    return f"quality: score {item.score:.3f} below the {len(kept)} kept"


def rank_files(
    candidates: Sequence[tuple[str, bytes]],
    selfies: Sequence[tuple[str, bytes]],
    resources: EngineResources,
    *,
    keep: int,
) -> FileRanking:
    """Rank `candidates` (name, bytes) against `selfies` (name, bytes); keep at most `keep`.

    Raises `SetNotReadyError` when no selfie has a usable face."""
    assessments = [resources.assessor.assess(data, name) for name, data in selfies]
    verdict = resources.assessor.assess_set([a.signature for a in assessments])
    if verdict.profile is None:
        raise SetNotReadyError("None of the selfies shows one clear face to rank against.")
    # A ranking check needs the person, not an order-ready set: every selfie with a face counts.
    usable = [a.report.name for a in assessments if a.assessed is not None and a.assessed.face is not None]
    chosen = best_selfies(assessments, usable, verdict.similarities)
    grader = build_grader(resources.grader or resources.analyzer, verdict.profile, chosen)
    decoded: list[Candidate] = []
    unreadable: dict[int, str] = {}
    for index, (name, data) in enumerate(candidates):
        try:
            photo = decode_photo(
                data, name, max_bytes=resources.assessor.max_bytes, max_pixels=resources.assessor.max_pixels
            )
        except EngineError as exc:
            unreadable[index] = exc.user_message
            continue
        decoded.append(Candidate(image=photo.image, seed=0, params={"name": name}))
    ranking = rank_candidates(
        decoded, grader.profile, grader.analyzer, keep=keep, selfie_looks=grader.selfie_looks
    )
    names = [c.params["name"] for c in decoded]
    ranks = {id(item.candidate): rank for rank, item in enumerate(ranking.kept, start=1)}
    verdicts: list[FileVerdict] = []
    scored = iter(ranking.scored)
    for index, (name, _) in enumerate(candidates):
        if index in unreadable:
            verdicts.append(
                FileVerdict(name, kept=False, rank=None, reason=unreadable[index], scores={}, cluster=None)
            )
            continue
        item = next(scored)
        rank = ranks.get(id(item.candidate))
        reason = "kept" if rank is not None else _reason(item, ranking.kept, names)
        scores = {
            "score": item.score,
            "identity": item.identity,
            "identity_cosine": item.details.get("identity_cosine"),
            "quality": item.quality,
            "style_fit": item.style_fit,
            "copy_closeness": item.details.get("copy_closeness"),
        }
        cluster = None if item.cluster < 0 else item.cluster + 1
        verdicts.append(
            FileVerdict(name, kept=rank is not None, rank=rank, reason=reason, scores=scores, cluster=cluster)
        )
    return FileRanking(files=tuple(verdicts), grader=grader, ranking=ranking)

"""Ranking with real photos as candidates: the person kept, everyone else dropped, failures
never delivered, near-duplicates collapsed to one."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from engine.faces import DlibFaceAnalyzer
from engine.intake import Assessor
from engine.ranking import rank_candidates, similar_to
from engine.types import Candidate, IdentityProfile


@pytest.fixture(scope="module")
def profile(assessor: Assessor, person_a_paths: list[Path]) -> IdentityProfile:
    results = [assessor.assess(path.read_bytes(), path.name) for path in person_a_paths]
    verdict = assessor.assess_set([r.signature for r in results])
    assert verdict.profile is not None
    return verdict.profile


def _candidate(path: Path, name: str | None = None) -> Candidate:
    image = Image.open(path).convert("RGB")
    image.thumbnail((1024, 1024))
    return Candidate(image=image, seed=0, params={"name": name or path.name})


def _recompressed_crop(candidate: Candidate) -> Candidate:
    image = candidate.image
    width, height = image.size
    cropped = image.crop((int(0.03 * width), int(0.02 * height), int(0.97 * width), int(0.98 * height)))
    buffer = io.BytesIO()
    cropped.save(buffer, "JPEG", quality=70)
    copy = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return Candidate(image=copy, seed=0, params={"name": "copy of " + candidate.params["name"]})


def test_other_people_are_dropped_and_person_a_kept(
    profile: IdentityProfile, dlib_analyzer: DlibFaceAnalyzer, person_a_paths: list[Path], faces_dir: Path
) -> None:
    others = [faces_dir / "people" / n for n in ("obama_1.jpg", "biden_1.jpg", "kit_1.jpg", "rose_1.jpg")]
    candidates = [_candidate(p) for p in (person_a_paths[:4] + others)]
    ranking = rank_candidates(candidates, profile, dlib_analyzer, keep=8)
    kept = {item.candidate.params["name"] for item in ranking.kept}
    assert kept == {p.name for p in person_a_paths[:4]}
    for item in ranking.scored:
        if item.candidate.params["name"] in {p.name for p in others}:
            assert item.rejected == "identity_too_low"
            assert item.details["similarity"] < dlib_analyzer.match_threshold
    scores = [item.score for item in ranking.kept]
    assert scores == sorted(scores, reverse=True)
    assert all(
        0 <= item.identity <= 1 and 0 <= item.quality <= 1 and 0 <= item.style_fit <= 1
        for item in ranking.kept
    )


def test_failures_are_never_delivered(
    profile: IdentityProfile, dlib_analyzer: DlibFaceAnalyzer, person_a_paths: list[Path], faces_dir: Path
) -> None:
    black = Candidate(image=Image.new("RGB", (1024, 1024)), seed=1, params={"name": "black"})
    cat = Candidate(image=Image.fromarray(skimage.data.chelsea()), seed=2, params={"name": "cat"})
    group = _candidate(faces_dir / "groups" / "two_people.jpg", "group")
    good = _candidate(person_a_paths[2])
    ranking = rank_candidates([black, cat, group, good], profile, dlib_analyzer, keep=4)
    reasons = {item.candidate.params["name"]: item.rejected for item in ranking.scored}
    assert reasons == {
        "black": "blank", "cat": "no_face", "group": "multiple_faces", person_a_paths[2].name: None,
    }  # fmt: skip
    assert [item.candidate.params["name"] for item in ranking.kept] == [person_a_paths[2].name]


def test_near_duplicates_collapse_to_one(
    profile: IdentityProfile, dlib_analyzer: DlibFaceAnalyzer, person_a_paths: list[Path]
) -> None:
    originals = [_candidate(p) for p in person_a_paths[1:4]]
    copies = [_recompressed_crop(c) for c in originals]
    ranking = rank_candidates(originals + copies, profile, dlib_analyzer, keep=6)
    assert len(ranking.kept) == 3
    names = [item.candidate.params["name"].removeprefix("copy of ") for item in ranking.kept]
    assert sorted(names) == sorted(c.params["name"] for c in originals)
    clusters = {item.candidate.params["name"]: item.cluster for item in ranking.scored}
    for original in originals:
        assert clusters[original.params["name"]] == clusters["copy of " + original.params["name"]]


def test_scores_are_kept_for_more_like_this(
    profile: IdentityProfile, dlib_analyzer: DlibFaceAnalyzer, person_a_paths: list[Path]
) -> None:
    candidates = [_candidate(p) for p in person_a_paths[:3]]
    ranking = rank_candidates(candidates, profile, dlib_analyzer, keep=3)
    first = ranking.kept[0]
    assert first.embedding is not None
    assert {"sharpness", "exposure", "eyes_open", "similarity", "face_height"} <= set(first.details)
    nearest = similar_to(first.embedding, ranking.scored, 1)
    assert nearest[0].candidate is first.candidate
    assert np.isclose(np.linalg.norm(first.embedding), 1.0, atol=1e-3)
    with pytest.raises(ValueError, match="keep must be at least 1"):
        rank_candidates(candidates, profile, dlib_analyzer, keep=0)

"""Ranking with real photos as candidates: the person kept, everyone else dropped, failures
never delivered, near-duplicates collapsed to one, every pose before a repeat, copy-paste
discounted, identity graded by a second model with its own profile and gate."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from engine.faces import DlibFaceAnalyzer
from engine.grading import build_grader, identity_summary
from engine.intake import Assessor
from engine.ranking import rank_candidates, similar_to
from engine.types import Attribute, Candidate, Face, IdentityProfile


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


def _reframed(candidate: Candidate) -> Candidate:
    """A 12% tighter crop of the same photo: the same pose and expression, another frame."""
    image = candidate.image
    width, height = image.size
    tight = image.crop((int(0.12 * width), int(0.12 * height), int(0.88 * width), int(0.88 * height)))
    return Candidate(image=tight, seed=0, params={"name": "reframed " + candidate.params["name"]})


def test_every_pose_is_kept_before_one_repeats(
    profile: IdentityProfile, dlib_analyzer: DlibFaceAnalyzer, person_a_paths: list[Path]
) -> None:
    originals = [_candidate(p) for p in person_a_paths]
    top = rank_candidates(originals, profile, dlib_analyzer, keep=len(originals)).kept[:3]
    repeats = [_reframed(item.candidate) for item in top]
    ranking = rank_candidates(originals + repeats, profile, dlib_analyzer, keep=len(originals))
    kept = {item.candidate.params["name"] for item in ranking.kept}
    assert kept == {p.name for p in person_a_paths}, "a repeated pose came in before a new one"
    for item in ranking.scored:
        assert item.descriptor is not None
        assert item.cluster >= 0
    # A repeat that was not kept sits in the cluster of the pose it repeats.
    clusters = {item.candidate.params["name"]: item.cluster for item in ranking.scored}
    for repeat in repeats:
        assert clusters[repeat.params["name"]] == clusters[repeat.params["name"].removeprefix("reframed ")]


def test_copy_paste_of_a_selfie_is_discounted_but_a_preview_is_not(
    profile: IdentityProfile, dlib_analyzer: DlibFaceAnalyzer, person_a_paths: list[Path]
) -> None:
    from engine.descriptor import describe_shot

    pasted = _candidate(person_a_paths[1])
    image = np.asarray(pasted.image)
    looks = [describe_shot(image, dlib_analyzer.detect(image)[0])]
    plain = rank_candidates([pasted], profile, dlib_analyzer, keep=1).scored[0]
    copied = rank_candidates([pasted], profile, dlib_analyzer, keep=1, selfie_looks=looks).scored[0]
    assert copied.details["copy_closeness"] > 0.95
    assert copied.details["copy_penalty"] > 0.1
    assert copied.score < plain.score - 0.1
    assert copied.details["identity_cosine"] == plain.details["identity_cosine"]
    retouch = Candidate(pasted.image, seed=0, params={"name": "preview", "backend": "preview"})
    previewed = rank_candidates([retouch], profile, dlib_analyzer, keep=1, selfie_looks=looks).scored[0]
    assert previewed.details["copy_closeness"] > 0.95
    assert previewed.details["copy_penalty"] == 0.0


class _OtherModel:
    """dlib under another name: stands in for a second face model in the grading test."""

    name = "second-model"
    match_threshold = 0.9

    def __init__(self, inner: DlibFaceAnalyzer) -> None:
        self.inner = inner
        self.embedding_dim = inner.embedding_dim
        self.calls = 0

    def detect(self, image: np.ndarray) -> list[Face]:
        self.calls += 1
        return self.inner.detect(image)

    def embed(self, image: np.ndarray, face: Face) -> np.ndarray:
        return self.inner.embed(image, face)

    def attributes(self, image: np.ndarray, face: Face) -> list[Attribute]:
        return []


def test_identity_is_graded_by_the_other_model_with_its_own_profile_and_gate(
    assessor: Assessor, dlib_analyzer: DlibFaceAnalyzer, person_a_paths: list[Path], faces_dir: Path
) -> None:
    results = [assessor.assess(path.read_bytes(), path.name) for path in person_a_paths[:5]]
    verdict = assessor.assess_set([r.signature for r in results])
    assert verdict.profile is not None
    selfies = [r.assessed for r in results if r.assessed is not None]
    other = _OtherModel(dlib_analyzer)
    grader = build_grader(other, verdict.profile, selfies)
    assert grader.independent
    assert grader.profile.backend == "second-model"
    assert grader.profile.threshold == 0.9
    assert other.calls == len(selfies), "the grading model embedded the selfies itself"
    assert len(grader.selfie_looks) == len(selfies)
    candidates = [_candidate(p) for p in person_a_paths[5:]] + [
        _candidate(faces_dir / "people" / "obama_1.jpg")
    ]
    ranking = rank_candidates(
        candidates, grader.profile, grader.analyzer, keep=4, selfie_looks=grader.selfie_looks
    )
    summary = identity_summary(grader, ranking.kept)
    assert summary["model"] == "second-model"
    assert summary["independent_of_conditioning"] is True
    assert len(summary["cosines"]) == len(ranking.kept) == 3
    assert summary["min"] == min(summary["cosines"]) >= 0.9
    assert min(summary["cosines"]) <= summary["median"] <= max(summary["cosines"])
    same = build_grader(dlib_analyzer, verdict.profile, selfies)
    assert not same.independent
    assert same.profile is verdict.profile

"""Set consistency from stored signatures: one person, the impostor named, duplicates, variety."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from engine.identity import robust_centre
from engine.intake import Assessment, Assessor
from engine.types import PhotoRecord

PERSON_A = [f"selfie_{i:02d}.jpg" for i in range(1, 9)]
IMPOSTORS = [
    "obama_1.jpg",
    "obama_2.jpg",
    "obama_3.jpg",
    "biden_1.jpg",
    "biden_2.jpg",
    "kit_1.jpg",
    "kit_2.jpg",
    "rose_1.jpg",
    "rose_2.jpg",
    "obama_240p.jpg",
    "obama_partial_face.jpg",
]


def another_photo(signature: PhotoRecord, name: str) -> PhotoRecord:
    """A stand-in for a different photo with the same face: no hashes to match it by."""
    return dataclasses.replace(signature, name=name, dhash=None, face_hash=None, geometry=None)


def stored(signatures: list[PhotoRecord]) -> list[PhotoRecord]:
    """What the chat layer gets back from its JSON column after a restart."""
    return [PhotoRecord.from_json(json.loads(json.dumps(s.to_json()))) for s in signatures]


def test_signature_round_trips_through_json(assessed_faces: dict[str, Assessment]) -> None:
    signature = assessed_faces["selfie_01.jpg"].signature
    again = stored([signature])[0]
    assert again.name == signature.name
    assert again.codes == signature.codes
    assert again.embedding is not None
    assert signature.embedding is not None
    assert np.allclose(again.embedding, signature.embedding, atol=1e-6)
    assert again.dhash == signature.dhash
    assert again.face_hash == signature.face_hash
    assert again.geometry == signature.geometry
    assert len(again.embedding) == 128


def test_rows_stored_before_face_hashes_still_load(assessed_faces: dict[str, Assessment]) -> None:
    old = assessed_faces["selfie_01.jpg"].signature.to_json()
    del old["face_hash"], old["geometry"]
    again = PhotoRecord.from_json(old)
    assert again.face_hash is None
    assert again.geometry is None


def test_every_person_a_photo_is_one_person(
    assessor: Assessor, assessed_faces: dict[str, Assessment]
) -> None:
    result = assessor.assess_set(stored([assessed_faces[n].signature for n in PERSON_A]))
    assert result.readiness.consistent
    assert result.readiness.outliers == ()
    assert result.profile is not None
    assert set(result.profile.member_names) >= {n for n in PERSON_A if assessed_faces[n].report.ok}
    for name in PERSON_A:
        similarity = result.similarities[name]
        assert similarity is not None
        assert similarity >= assessor.analyzer.match_threshold
        assert name not in result.issues


@pytest.mark.parametrize("impostor", IMPOSTORS)
def test_each_other_person_is_named_as_the_outlier(
    assessor: Assessor, assessed_faces: dict[str, Assessment], impostor: str
) -> None:
    names = [*PERSON_A[:4], impostor, *PERSON_A[4:]]
    result = assessor.assess_set(stored([assessed_faces[n].signature for n in names]))
    assert result.readiness.outliers == (impostor,)
    assert not result.readiness.consistent
    assert f"{impostor} looks like a different person" in result.readiness.message
    assert [i.code.value for i in result.issues[impostor]] == ["identity_mismatch"]
    report = result.applied_to(assessed_faces[impostor].report)
    assert "identity_mismatch" in report.codes
    assert not report.ok
    assert report.similarity == result.similarities[impostor]
    assert impostor not in result.usable
    similarity = result.similarities[impostor]
    assert similarity is not None
    assert similarity < assessor.analyzer.match_threshold


def test_outliers_do_not_drag_the_profile(assessor: Assessor, assessed_faces: dict[str, Assessment]) -> None:
    clean = assessor.assess_set([assessed_faces[n].signature for n in PERSON_A]).profile
    mixed = assessor.assess_set(
        [assessed_faces[n].signature for n in [*PERSON_A, "obama_1.jpg", "biden_2.jpg", "rose_2.jpg"]]
    ).profile
    assert clean is not None
    assert mixed is not None
    assert float(np.dot(clean.embedding, mixed.embedding)) > 0.999
    names = [*PERSON_A, "obama_1.jpg", "biden_2.jpg", "rose_2.jpg"]
    rows = np.array([assessed_faces[n].signature.embedding for n in names], dtype=np.float32)
    plain_mean = rows.mean(axis=0)
    plain_mean /= np.linalg.norm(plain_mean)
    assert float(np.dot(clean.embedding, plain_mean)) < float(np.dot(clean.embedding, mixed.embedding))


def test_robust_centre_follows_the_majority() -> None:
    rng = np.random.default_rng(0)
    person = rng.normal(size=16)
    others = rng.normal(size=(3, 16))
    rows = [person + 0.1 * rng.normal(size=16) for _ in range(5)] + list(others)
    embeddings = np.array([r / np.linalg.norm(r) for r in rows], dtype=np.float32)
    centre, members = robust_centre(embeddings, threshold=0.9)
    assert members.tolist() == [True] * 5 + [False] * 3
    assert float(centre @ (person / np.linalg.norm(person))) > 0.99


def test_near_duplicates_count_once(assessor: Assessor, assessed_faces: dict[str, Assessment]) -> None:
    signatures = [assessed_faces[n].signature for n in PERSON_A]
    resent = dataclasses.replace(signatures[0], name="resent.jpg")
    result = assessor.assess_set([*signatures, resent])
    assert result.duplicates == ("resent.jpg",)
    assert [i.code.value for i in result.issues["resent.jpg"]] == ["duplicate"]
    assert result.readiness.usable_count == len(result.usable) == sum(s.ok for s in signatures)


def test_recompressed_copy_is_a_duplicate(assessor: Assessor, person_a_paths: list[Path]) -> None:
    from PIL import Image

    from tests.engine import degrade

    image = Image.open(person_a_paths[1]).convert("RGB")
    first = assessor.assess(degrade.jpeg_bytes(image, 95), "a.jpg").signature
    copy = assessor.assess(
        degrade.jpeg_bytes(image.resize((image.width // 2, image.height // 2)), 60), "b.jpg"
    )
    assert assessor.assess_set([first, copy.signature]).duplicates == ("b.jpg",)


def test_verdict_says_what_is_missing(assessor: Assessor, assessed_faces: dict[str, Assessment]) -> None:
    three = [assessed_faces[n].signature for n in ("selfie_01.jpg", "selfie_02.jpg", "selfie_03.jpg")]
    same_light = [dataclasses.replace(s, brightness=0.5) for s in three]
    verdict = assessor.assess_set(same_light).readiness
    assert not verdict.ready
    assert verdict.usable_count == 3
    assert verdict.needed == 5
    assert verdict.message == "3 good photos so far; send at least 5 more, some in different light."


def test_one_pose_set_asks_for_angles(assessor: Assessor, assessed_faces: dict[str, Assessment]) -> None:
    ok = [assessed_faces[n].signature for n in PERSON_A if assessed_faces[n].report.ok]
    varied = [another_photo(s, f"{i}.jpg") for i, s in enumerate(ok + ok)]
    assert assessor.assess_set(varied).readiness.ready
    frozen = [dataclasses.replace(s, yaw=2.0, pitch=3.0) for s in varied]
    verdict = assessor.assess_set(frozen).readiness
    assert not verdict.ready
    assert verdict.needed == 2
    assert "head turned a little left or right" in verdict.message


def test_ready_set(assessor: Assessor, assessed_faces: dict[str, Assessment]) -> None:
    ok = [assessed_faces[n].signature for n in PERSON_A if assessed_faces[n].report.ok]
    extra = [another_photo(s, f"more_{s.name}") for s in ok[:2]]
    verdict = assessor.assess_set(ok + extra).readiness
    assert verdict.ready
    assert verdict.needed == 0
    assert verdict.message.endswith("ready to generate.")


def test_empty_set(assessor: Assessor) -> None:
    result = assessor.assess_set([])
    assert result.profile is None
    assert not result.readiness.ready
    assert result.readiness.needed == 8

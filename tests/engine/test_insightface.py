"""The insightface backend through the real FaceAnalysis / model_zoo code, on a tiny pack."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.errors import ModelUnavailableError
from engine.faces import load_face_analyzer
from engine.faces.insightface_backend import InsightFaceAnalyzer
from engine.intake import Assessor
from engine.types import FaceAnalyzer
from tests.engine import degrade, tiny_insightface


@pytest.fixture(scope="module")
def pack_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("insightface")
    tiny_insightface.build_pack(root, "buffalo_l")
    return root


@pytest.fixture(scope="module")
def analyzer(pack_root: Path) -> FaceAnalyzer:
    return load_face_analyzer("insightface", insightface_pack="buffalo_l", insightface_root=pack_root)


def bright_square(left: int = 320, top: int = 192, side: int = 64) -> np.ndarray:
    """What the tiny detector calls a face: a bright square on black, on its 32 px grid."""
    image = np.zeros((480, 640, 3), np.uint8)
    image[top : top + side, left : left + side] = 255
    return image


def test_loads_the_pack_by_name(analyzer: FaceAnalyzer) -> None:
    assert isinstance(analyzer, InsightFaceAnalyzer)
    assert analyzer.name == "insightface"
    assert analyzer.embedding_dim == 512
    assert analyzer.match_threshold == pytest.approx(0.40)


def test_detect_gives_box_keypoints_landmarks_pose_and_embedding(analyzer: FaceAnalyzer) -> None:
    faces = analyzer.detect(bright_square())
    assert len(faces) == 1
    face = faces[0]
    x0, y0, x1, y1 = face.bbox
    # SCRFD anchors sit on cell corners: the box centres on a grid point inside the square.
    assert 320 <= (x0 + x1) / 2 <= 384
    assert 192 <= (y0 + y1) / 2 <= 256
    assert face.score > 0.9
    left_eye, right_eye, nose, mouth_left, _ = face.landmarks
    assert left_eye[0] < nose[0] < right_eye[0]
    assert left_eye[1] < nose[1] < mouth_left[1]
    assert face.landmarks_68 is not None
    assert face.landmarks_68.shape == (68, 2)
    assert (face.landmarks_68[:, 0] > x0).all()
    assert (face.landmarks_68[:, 0] < x1).all()
    assert abs(face.yaw) < 10
    assert abs(face.roll) < 5
    assert face.embedding is not None
    assert face.embedding.shape == (512,)
    assert float(np.linalg.norm(face.embedding)) == pytest.approx(1.0, abs=1e-5)


def test_embed_recomputes_the_same_vector(analyzer: FaceAnalyzer) -> None:
    import dataclasses

    image = bright_square()
    face = analyzer.detect(image)[0]
    again = analyzer.embed(image, dataclasses.replace(face, embedding=None))
    assert face.embedding is not None
    assert float(again @ face.embedding) == pytest.approx(1.0, abs=1e-4)
    elsewhere = analyzer.detect(bright_square(left=128, top=64))[0]
    assert elsewhere.embedding is not None
    assert elsewhere.bbox[0] < face.bbox[0]


def test_attributes_come_from_the_age_gender_head(analyzer: FaceAnalyzer) -> None:
    image = bright_square()
    attributes = {a.name: a for a in analyzer.attributes(image, analyzer.detect(image)[0])}
    assert attributes["age_range"].value == "30-40"
    assert attributes["gender_presentation"].value == "masculine"
    expected = float(np.exp(0.8) / (np.exp(0.2) + np.exp(0.8)))
    assert attributes["gender_presentation"].confidence == pytest.approx(expected, abs=1e-3)


def test_assessor_runs_on_insightface(analyzer: FaceAnalyzer) -> None:
    from PIL import Image

    assessor = Assessor(analyzer, max_bytes=10_000_000, max_pixels=50_000_000, min_photos=2)
    result = assessor.assess(degrade.jpeg_bytes(Image.fromarray(bright_square()), 95), "square.jpg")
    assert result.report.faces == 1
    assert result.signature.embedding is not None
    assert len(result.signature.embedding) == 512
    verdict = assessor.assess_set([result.signature])
    assert verdict.profile is not None
    assert verdict.profile.backend == "insightface"
    assert verdict.profile.threshold == pytest.approx(0.40)
    summary = {a.name: a.value for a in verdict.profile.attributes}
    # Worn attributes (glasses, facial hair) come from intake's own measurement, not the backend.
    backend_given = {k: v for k, v in summary.items() if k in {"age_range", "gender_presentation"}}
    assert backend_given == {"age_range": "30-40", "gender_presentation": "masculine"}


def test_pack_without_recognition_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "half"
    folder.mkdir(parents=True)
    tiny_insightface.detector(folder / "det.onnx")
    with pytest.raises(ModelUnavailableError, match="no recognition model"):
        InsightFaceAnalyzer(pack="half", root=tmp_path)


def test_missing_pack_names_it_and_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError) as caught:
        InsightFaceAnalyzer(pack="antelopev2", root=tmp_path)
    assert "antelopev2" in caught.value.user_message
    assert str(tmp_path / "models" / "antelopev2") in caught.value.user_message
    assert not (tmp_path / "models").exists()  # nothing was downloaded or created

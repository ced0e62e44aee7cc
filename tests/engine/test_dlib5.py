"""The commercial-use dlib backend (5-point landmarks + ResNet) on real photos."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import ModelUnavailableError
from engine.faces.dlib5_backend import DLIB5_FILES, Dlib5FaceAnalyzer
from engine.faces.dlib_backend import DLIB_MATCH_THRESHOLD, DlibFaceAnalyzer
from engine.faces.loader import load_face_analyzer
from engine.faces.models import dlib_model_dir


@pytest.fixture(scope="module")
def dlib5() -> Dlib5FaceAnalyzer:
    analyzer = load_face_analyzer("dlib5")
    assert isinstance(analyzer, Dlib5FaceAnalyzer)
    return analyzer


def _image(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_loads_without_the_68_point_model(tmp_path: Path) -> None:
    for name in DLIB5_FILES:
        shutil.copy(dlib_model_dir() / name, tmp_path / name)
    assert Dlib5FaceAnalyzer(tmp_path).name == "dlib5"
    (tmp_path / DLIB5_FILES[0]).unlink()
    with pytest.raises(ModelUnavailableError, match=r"shape_predictor_5_face_landmarks\.dat"):
        Dlib5FaceAnalyzer(tmp_path)


def test_faces_have_the_shared_layout_and_a_pose_close_to_the_68_point_one(
    dlib5: Dlib5FaceAnalyzer, dlib_analyzer: DlibFaceAnalyzer, person_a_paths: list[Path]
) -> None:
    for path in person_a_paths:
        image = _image(path)
        [face] = dlib5.detect(image)
        [reference] = dlib_analyzer.detect(image)
        assert face.landmarks_68 is None
        eye_distance = float(np.linalg.norm(reference.landmarks[1] - reference.landmarks[0]))
        # Eyes, nose tip and mouth corners within a fifth of the eye distance of the 68-point ones.
        errors = np.linalg.norm(face.landmarks - reference.landmarks, axis=1) / eye_distance
        assert errors.max() < 0.2, (path.name, errors)
        assert abs(face.yaw - reference.yaw) < 25, path.name
        assert abs(face.roll - reference.roll) < 5, path.name


def test_embeddings_tell_person_a_from_everyone_else(
    dlib5: Dlib5FaceAnalyzer, person_a_paths: list[Path], faces_dir: Path
) -> None:
    def embedding(path: Path) -> np.ndarray:
        image = _image(path)
        return dlib5.embed(image, dlib5.detect(image)[0])

    same = [embedding(p) for p in person_a_paths[:4]]
    others = [embedding(faces_dir / "people" / name) for name in ("obama_1.jpg", "biden_1.jpg", "rose_1.jpg")]
    assert min(float(a @ b) for i, a in enumerate(same) for b in same[i + 1 :]) > DLIB_MATCH_THRESHOLD
    assert max(float(a @ b) for a in same for b in others) < DLIB_MATCH_THRESHOLD
    assert all(abs(float(np.linalg.norm(e)) - 1) < 1e-4 for e in same)

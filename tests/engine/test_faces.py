"""The dlib backend: real models, detection, landmarks, unit-length descriptors, its threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import ModelUnavailableError
from engine.faces import DlibFaceAnalyzer, load_face_analyzer
from engine.faces.models import dlib_model_dir


def test_detects_one_face_with_landmarks_and_pose(
    dlib_analyzer: DlibFaceAnalyzer, person_a_paths: list[Path]
) -> None:
    image = np.asarray(Image.open(person_a_paths[0]).convert("RGB"))
    faces = dlib_analyzer.detect(image)
    assert len(faces) == 1
    face = faces[0]
    assert face.landmarks.shape == (5, 2)
    assert face.landmarks_68 is not None
    assert face.landmarks_68.shape == (68, 2)
    x0, y0, x1, y1 = face.bbox
    left_eye, right_eye, nose, mouth_left, _mouth_right = face.landmarks
    assert x0 < left_eye[0] < right_eye[0] < x1
    assert left_eye[1] < nose[1] < mouth_left[1] < y1
    assert y0 < left_eye[1]
    assert abs(face.yaw) < 20
    assert abs(face.roll) < 10


def test_small_faces_in_big_photos_are_found(dlib_analyzer: DlibFaceAnalyzer, faces_dir: Path) -> None:
    # A 130 px face in a 1200 px photo is about 70 px at the detection size: needs the second pass.
    image = Image.open(faces_dir / "people" / "kit_1.jpg").convert("RGB")
    big = np.asarray(image.resize((image.width * 2, image.height * 2)))
    assert len(dlib_analyzer.detect(big)) == 1


def test_embeddings_are_unit_length_and_separate_people(
    dlib_analyzer: DlibFaceAnalyzer, faces_dir: Path
) -> None:
    def embed(path: Path) -> np.ndarray:
        image = np.asarray(Image.open(path).convert("RGB"))
        return dlib_analyzer.embed(image, dlib_analyzer.detect(image)[0])

    a1, a2 = embed(faces_dir / "person_a" / "selfie_01.jpg"), embed(faces_dir / "person_a" / "selfie_06.jpg")
    other = embed(faces_dir / "people" / "obama_1.jpg")
    assert a1.shape == (128,)
    assert a1.dtype == np.float32
    assert float(np.linalg.norm(a1)) == pytest.approx(1.0, abs=1e-5)
    assert float(a1 @ a2) > dlib_analyzer.match_threshold > float(a1 @ other)


def test_embed_needs_68_landmarks(dlib_analyzer: DlibFaceAnalyzer, person_a_paths: list[Path]) -> None:
    import dataclasses

    image = np.asarray(Image.open(person_a_paths[0]).convert("RGB"))
    face = dataclasses.replace(dlib_analyzer.detect(image)[0], landmarks_68=None)
    with pytest.raises(ValueError, match="68 landmarks"):
        dlib_analyzer.embed(image, face)


def test_dlib_claims_no_attributes(dlib_analyzer: DlibFaceAnalyzer, person_a_paths: list[Path]) -> None:
    image = np.asarray(Image.open(person_a_paths[0]).convert("RGB"))
    assert dlib_analyzer.attributes(image, dlib_analyzer.detect(image)[0]) == []


def test_model_folder_found_without_importing_the_package() -> None:
    import sys

    folder = dlib_model_dir()
    assert (folder / "shape_predictor_68_face_landmarks.dat").is_file()
    assert "face_recognition_models" not in sys.modules


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match=r"shape_predictor_68_face_landmarks\.dat"):
        DlibFaceAnalyzer(model_dir=tmp_path)


def test_loader_names_unknown_backends() -> None:
    with pytest.raises(ValueError, match="'dlib', 'dlib5' or 'insightface'"):
        load_face_analyzer("mediapipe")


def test_loader_insightface_without_pack_says_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError) as caught:
        load_face_analyzer("insightface", insightface_pack="buffalo_l", insightface_root=tmp_path)
    assert "buffalo_l" in caught.value.user_message
    assert str(tmp_path / "models" / "buffalo_l") in caught.value.user_message

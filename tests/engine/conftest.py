"""Engine fixtures: the real dlib models loaded once per session; a tiny CLIP tokenizer and
tiny SDXL-shaped models saved to disk once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from engine.faces import DlibFaceAnalyzer
from engine.intake import Assessment, Assessor
from engine.types import Face, FaceCrop
from tests.engine.tiny_sdxl import TinyModels, make_tokenizer, save_tiny_models


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """The tiny models' matrices are so small that thread hand-offs cost more than the maths,
    and on a shared 2-core box torch's spinning threads slowed these tests three-fold."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def dlib_analyzer() -> DlibFaceAnalyzer:
    return DlibFaceAnalyzer()


@pytest.fixture(scope="session")
def assessor(dlib_analyzer: DlibFaceAnalyzer) -> Assessor:
    return Assessor(dlib_analyzer, max_bytes=25_000_000, max_pixels=50_000_000, min_photos=8)


@pytest.fixture(scope="session")
def assessed_faces(assessor: Assessor, faces_dir: Path) -> dict[str, Assessment]:
    """Every shared photo assessed once, keyed by file name."""
    return {
        path.name: assessor.assess(path.read_bytes(), path.name) for path in sorted(faces_dir.glob("*/*.jpg"))
    }


@pytest.fixture(scope="session")
def clip_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_tokenizer(tmp_path_factory.mktemp("tokenizer"))


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    """Built and saved once per session (a few seconds); tests load them from these folders."""
    return save_tiny_models(tmp_path_factory.mktemp("models"))


def synthetic_crop(name: str, shift: int = 0, size: int = 128) -> FaceCrop:
    """A drawn face (oval, eyes, mouth) with its five landmarks in crop coordinates: real
    edges for canny and known keypoints, without depending on a face detector."""
    import cv2

    canvas = np.full((size, size, 3), 200, dtype=np.uint8)
    cx, cy = size // 2 + shift, size // 2
    cv2.ellipse(canvas, (cx, cy), (size // 4, size // 3), 0, 0, 360, (150, 110, 90), -1)
    landmarks = np.array(
        [[cx - 14, cy - 10], [cx + 14, cy - 10], [cx, cy + 4], [cx - 10, cy + 18], [cx + 10, cy + 18]],
        dtype=np.float32,
    )
    for x, y in landmarks[:2]:
        cv2.circle(canvas, (int(x), int(y)), 4, (30, 30, 30), -1)
    cv2.line(
        canvas,
        (int(landmarks[3][0]), int(landmarks[3][1])),
        (int(landmarks[4][0]), int(landmarks[4][1])),
        (90, 20, 20),
        3,
    )
    face = Face(bbox=(cx - 32.0, cy - 42.0, cx + 32.0, cy + 42.0), score=0.99, landmarks=landmarks)
    return FaceCrop(image=Image.fromarray(canvas), size=size, face=face, source_name=name)


@pytest.fixture
def crops() -> list[FaceCrop]:
    return [synthetic_crop("selfie_01.jpg"), synthetic_crop("selfie_02.jpg", shift=12)]


@pytest.fixture(scope="session")
def engine_resources(dlib_analyzer: DlibFaceAnalyzer) -> Any:
    """Preview-only engine resources on the session's dlib analyzer (sets of 5+ are ready)."""
    from engine.pipeline import EngineResources
    from engine.postprocess import PostProcessor
    from engine.preview import PreviewBackend
    from engine.styles import StyleLibrary

    styles = StyleLibrary.builtin()
    postprocessor = PostProcessor(detect=dlib_analyzer.detect)
    return EngineResources(
        analyzer=dlib_analyzer,
        styles=styles,
        backends={"preview": PreviewBackend(styles, postprocessor)},
        postprocessor=postprocessor,
        assessor=Assessor(dlib_analyzer, max_bytes=25_000_000, max_pixels=50_000_000, min_photos=5),
    )


@pytest.fixture(scope="session")
def person_a_selfies(person_a_paths: list[Path]) -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in person_a_paths]

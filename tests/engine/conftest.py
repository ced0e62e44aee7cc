"""Engine fixtures: the real dlib models, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.faces import DlibFaceAnalyzer
from engine.intake import Assessment, Assessor


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

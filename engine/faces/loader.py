"""Pick and load the configured face backend, once, in a start-up hook (never at import)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from engine.types import FaceAnalyzer


def load_face_analyzer(
    backend: Literal["dlib", "dlib5", "insightface"] | str,
    *,
    insightface_pack: str = "buffalo_l",
    insightface_root: Path | None = None,
    device: str = "cpu",
) -> FaceAnalyzer:
    """The backend named in `Settings.face_backend`; raises `ModelUnavailableError` if its
    weights are missing and `ValueError` for an unknown name. `device` ("auto", "cpu",
    "cuda", "cuda:1") picks onnxruntime's CUDA provider for insightface when it has one;
    dlib's wheels are CPU builds and ignore it."""
    if backend == "dlib":
        from engine.faces.dlib_backend import DlibFaceAnalyzer

        return DlibFaceAnalyzer()
    if backend == "dlib5":
        from engine.faces.dlib5_backend import Dlib5FaceAnalyzer

        return Dlib5FaceAnalyzer()
    if backend == "insightface":
        from engine.faces.insightface_backend import InsightFaceAnalyzer

        root = insightface_root if insightface_root is not None else Path("~/.insightface").expanduser()
        analyzer: FaceAnalyzer = InsightFaceAnalyzer(pack=insightface_pack, root=root, device=device)
        return analyzer
    msg = f"face_backend must be 'dlib', 'dlib5' or 'insightface', not {backend!r}"
    raise ValueError(msg)

"""Where face model files live on disk, found without importing their packages."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from engine.errors import ModelUnavailableError

DLIB_FILES = (
    "shape_predictor_68_face_landmarks.dat",
    "dlib_face_recognition_resnet_model_v1.dat",
)


def dlib_model_dir(required: tuple[str, ...] = DLIB_FILES) -> Path:
    """The `models/` folder of the `face-recognition-models` package.

    Located through its import spec, not imported: the package imports `pkg_resources`,
    which recent setuptools no longer ship.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ModelUnavailableError(
            "The dlib face models are not installed: run `pip install face-recognition-models`.",
            code="model_unavailable",
        )
    return checked_dlib_dir(Path(locations[0]) / "models", required)


def checked_dlib_dir(folder: Path, required: tuple[str, ...] = DLIB_FILES) -> Path:
    """`folder` if it holds every `required` dlib model file, else a `ModelUnavailableError`
    naming the missing ones."""
    missing = [name for name in required if not (folder / name).is_file()]
    if missing:
        raise ModelUnavailableError(
            f"dlib model files missing from {folder}: {', '.join(missing)}. "
            "Reinstall with `pip install --force-reinstall face-recognition-models`."
        )
    return folder

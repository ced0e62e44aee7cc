"""Which faces does intake find, and how fast: far-away faces, turned heads, faceless photos.

Run: PYTHONPATH=. python bench/measure_detectors.py   (figures go to docs/quality-thresholds.md)

For every shared photo with one face: that photo shrunk so its face is 40-112 px wide in a
2400x1800 frame (`tests/engine/degrade.far_away`), judged by the `Assessor` with and without
the small-face search (`engine/faces/small_faces.py`); which code the user would read, and
the time. Then the reference figures for dlib's CNN (MMOD) detector on one photo.
"""

from __future__ import annotations

import importlib.util
import io
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine import intake  # noqa: E402
from engine.faces import DlibFaceAnalyzer  # noqa: E402
from engine.intake import Assessor  # noqa: E402
from tests.engine import degrade  # noqa: E402

FACES = Path(os.environ.get("HEADSHOTS_SHARED", REPO.parent / "shared")) / "faces"
SIZES = (40, 56, 80)


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def main() -> None:
    analyzer = DlibFaceAnalyzer()
    assessor = Assessor(analyzer, max_bytes=50_000_000, max_pixels=50_000_000, min_photos=8)
    singles = []
    for path in sorted(FACES.glob("*/*.jpg")):
        result = assessor.assess(path.read_bytes(), path.name)
        if result.report.faces == 1 and result.report.face_px:
            singles.append((path, result.report.face_px))
    print(f"{len(singles)} single-face shared photos")
    runs = [
        ("frame pass + upright search (before)", False, "rocket", 80),
        *(("+ small-face search", True, "rocket", px) for px in SIZES),
        *(("+ small-face search", True, "coffee", px) for px in SIZES),
    ]
    for label, small_search, background, px in runs:
        codes: list[str] = []
        times = []
        for path, width in singles:
            data = jpeg(degrade.far_away(Image.open(path).convert("RGB"), width, px, background=background))
            if small_search:
                result = assessor.assess(data, path.name)
            else:
                with mock.patch.object(intake, "detect_small", return_value=[]):
                    result = assessor.assess(data, path.name)
            times.append(result.seconds)
            codes.append(
                "face_too_small"
                if "face_too_small" in result.report.codes
                else ("no_face" if "no_face" in result.report.codes else ",".join(result.report.codes))
            )
        found = sum(c == "face_too_small" for c in codes)
        print(
            f"{label} | {background} | {px} px faces | face_too_small {found}/{len(codes)} | "
            f"other {sorted(set(codes) - {'face_too_small'})} | "
            f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
        )
    from skimage import data as samples

    for name, picture in (("cat", samples.chelsea()), ("coffee", samples.coffee())):
        big = Image.fromarray(picture).resize((2400, 1800))
        result = assessor.assess(jpeg(big), name)
        print(f"no face ({name}, 2400x1800): {result.report.codes} in {result.seconds * 1000:.0f} ms")
    import cv2
    import dlib

    spec = importlib.util.find_spec("face_recognition_models")
    folder = Path(next(iter(spec.submodule_search_locations or []))) / "models" if spec else Path()
    cnn = dlib.cnn_face_detection_model_v1(str(folder / "mmod_human_face_detector.dat"))
    image = np.asarray(Image.open(FACES / "person_a" / "selfie_03.jpg").convert("RGB"))
    for side in (320, 640):
        scale = side / max(image.shape[:2])
        small = np.ascontiguousarray(
            cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)))
        )
        started = time.perf_counter()
        found = cnn(small, 0)
        print(
            f"dlib CNN (MMOD) at {small.shape[1]}x{small.shape[0]}: {len(found)} face(s) in "
            f"{(time.perf_counter() - started) * 1000:.0f} ms"
        )
        started = time.perf_counter()
        rects = analyzer._detector.run(small, 0, 0.0)[0]
        hog_ms = (time.perf_counter() - started) * 1000
        print(f"dlib HOG at the same size: {len(rects)} face(s) in {hog_ms:.0f} ms")
    print(f"load average {', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()

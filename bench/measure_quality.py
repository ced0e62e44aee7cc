"""Print the quality measures of every shared photo and of degraded copies.

The thresholds in engine/quality.py are read off this table (docs/quality-thresholds.md).
Run: PYTHONPATH=. python bench/measure_quality.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.faces import DlibFaceAnalyzer  # noqa: E402
from engine.quality import measure_face  # noqa: E402
from tests.engine import degrade  # noqa: E402

FACES = REPO.parent / "shared" / "faces"


def main() -> None:
    analyzer = DlibFaceAnalyzer()
    print("photo | variant | sharp | block | bright | clipped | bg | shadow | EAR | yaw | pitch | roll")
    for path in sorted(FACES.glob("*/*.jpg")):
        image = Image.open(path).convert("RGB")
        faces = analyzer.detect(np.asarray(image))
        if not faces:
            print(f"{path.name} | original | no face")
            continue
        face = faces[0]
        variants = {
            "original": image,
            "blur 1%": degrade.blur(image, face.width, 0.01),
            "blur 2%": degrade.blur(image, face.width, 0.02),
            "dark x0.1": degrade.exposure(image, 0.1),
            "dark x0.05": degrade.exposure(image, 0.05),
            "bright x3": degrade.exposure(image, 3.0),
            "bright x5": degrade.exposure(image, 5.0),
            "backlit": degrade.backlight(image, face.bbox),
            "shadow": degrade.side_shadow(image, float(face.landmarks[2][0])),
            "jpeg q5": degrade.jpeg(image, 5),
            "jpeg q15": degrade.jpeg(image, 15),
            "jpeg q30": degrade.jpeg(image, 30),
        }
        for label, variant in variants.items():
            m = measure_face(np.asarray(variant), face)
            ear = f"{m.eye_aspect:.3f}" if m.eye_aspect is not None else "-"
            print(
                f"{path.name} | {label} | {m.sharpness:.3f} | {m.blockiness:.2f} | {m.brightness:.3f} | "
                f"{m.clipped:.3f} | {m.background:.3f} | {m.shadow:.3f} | {ear} | "
                f"{face.yaw:.0f} | {face.pitch:.0f} | {face.roll:.0f}"
            )


if __name__ == "__main__":
    main()

"""Face-part measures (engine/occlusion.py) on the shared photos and on copies with sunglasses,
clear glasses, a mask, a hand, a phone or hair drawn over part of the face.

Run: PYTHONPATH=. python bench/measure_occlusion.py   (figures go to docs/quality-thresholds.md)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.faces import DlibFaceAnalyzer  # noqa: E402
from engine.occlusion import measure_parts  # noqa: E402
from engine.quality import counted_faces  # noqa: E402
from engine.types import Face  # noqa: E402
from tests.engine import degrade  # noqa: E402

FACES = Path(os.environ.get("HEADSHOTS_SHARED", REPO.parent / "shared")) / "faces"
VARIANTS = {"original": None, "clear glasses": degrade.glasses, **degrade.OCCLUDERS}
FIELDS = (
    "eye_luma",
    "eye_spread",
    "lip_redness",
    "lip_contrast",
    "nostril_depth",
    "bridge_edge",
    "chin_luma",
    "chin_texture",
)


def main() -> None:
    analyzer = DlibFaceAnalyzer()
    rows: dict[str, list[tuple[str, object]]] = {name: [] for name in VARIANTS}
    found: list[Face]
    for path in sorted(FACES.glob("*/*.jpg")):
        image = Image.open(path).convert("RGB")
        people = counted_faces(analyzer.detect(np.asarray(image)))
        if len(people) != 1 or people[0].landmarks_68 is None:
            continue
        for name, draw in VARIANTS.items():
            changed = image if draw is None else draw(image, people[0].landmarks_68)
            arr = np.asarray(changed)
            found = counted_faces(analyzer.detect(arr))
            if len(found) != 1:
                rows[name].append((path.name, "face not found"))
                continue
            rows[name].append((path.name, measure_parts(arr, found[0])))
    for name, results in rows.items():
        measured = [m for _n, m in results if not isinstance(m, str) and m is not None]
        lost = [n for n, m in results if isinstance(m, str)]
        parts = []
        for field in FIELDS:
            values = np.array([getattr(m, field) for m in measured], dtype=np.float64).reshape(
                len(measured), -1
            )
            if field.startswith("eye"):
                lo, hi = values.min(axis=1), values.max(axis=1)
                parts.append(
                    f"{field} min-eye {lo.min():.2f}-{lo.max():.2f} max-eye {hi.min():.2f}-{hi.max():.2f}"
                )
            else:
                parts.append(f"{field} {values.min():.2f}-{values.max():.2f}")
        print(f"{name} | n {len(measured)} | not found: {lost} | " + " | ".join(parts))
    if "-v" in sys.argv:
        for name, results in rows.items():
            for photo, m in results:
                print(name, photo, m)


if __name__ == "__main__":
    main()

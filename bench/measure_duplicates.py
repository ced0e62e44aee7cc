"""Measure the duplicate detector's inputs on the shared photos and their re-shared copies.

Run: PYTHONPATH=. python bench/measure_duplicates.py   (figures go to docs/quality-thresholds.md)

For every shared photo with one face: the whole-frame hash distance, face-hash distance,
landmark geometry distance and embedding cosine between the photo and each re-shared copy
(`tests/engine/degrade.RESHARES`), and the same four between every pair of distinct photos.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine import duplicates  # noqa: E402
from engine.faces import DlibFaceAnalyzer  # noqa: E402
from engine.intake import Assessor  # noqa: E402
from engine.quality import counted_faces  # noqa: E402
from engine.types import Fingerprint, Photo  # noqa: E402
from tests.engine import degrade  # noqa: E402

FACES = Path(os.environ.get("HEADSHOTS_SHARED", REPO.parent / "shared")) / "faces"


def measures(a: Fingerprint, b: Fingerprint) -> tuple[float, ...]:
    inf = float("nan")
    image = duplicates.hash_distance(a.image_hash, b.image_hash) if a.image_hash and b.image_hash else inf
    if a.face_hash is None or b.face_hash is None or a.embedding is None or b.embedding is None:
        return image, inf, inf, inf
    return (
        image,
        duplicates.hash_distance(a.face_hash, b.face_hash),
        duplicates.geometry_distance(a.geometry or (), b.geometry or ()),
        float(np.dot(a.embedding, b.embedding)),
    )


def main() -> None:
    analyzer = DlibFaceAnalyzer()
    assessor = Assessor(analyzer, max_bytes=50_000_000, max_pixels=50_000_000, min_photos=8)

    def fp(image: Image.Image, name: str) -> Fingerprint:
        photo = Photo(name=name, image=image, sha256="", source_format="JPEG", source_bytes=0)
        assessed = assessor.assess_photo(photo)
        arr = np.asarray(image)
        if assessed.face is None:
            people = counted_faces(analyzer.detect(arr))
            return duplicates.fingerprint(arr, people[0] if len(people) == 1 else None)
        return duplicates.fingerprint(arr, assessed.face)

    paths = sorted(FACES.glob("*/*.jpg"))
    originals = {p.name: Image.open(p).convert("RGB") for p in paths}
    prints = {name: fp(image, name) for name, image in originals.items()}
    print("variant | n | image bits | face bits | geometry | cosine | detected as duplicate")
    for label, transform in degrade.RESHARES.items():
        rows = []
        for name, image in originals.items():
            copy = fp(transform(image), name)
            rows.append((*measures(prints[name], copy), duplicates.same_photo(prints[name], copy)))
        arr = np.array([r[:4] for r in rows], dtype=np.float64)
        hit = sum(r[4] for r in rows)
        print(
            f"{label} | {len(rows)} | max {np.nanmax(arr[:, 0]):.0f} | max {np.nanmax(arr[:, 1]):.0f} | "
            f"max {np.nanmax(arr[:, 2]):.4f} | min {np.nanmin(arr[:, 3]):.4f} | {hit}/{len(rows)}"
        )
    pairs = []
    for (na, a), (nb, b) in itertools.combinations(prints.items(), 2):
        same_person = na.split("_")[0] == nb.split("_")[0]
        pairs.append((*measures(a, b), same_photo := duplicates.same_photo(a, b), same_person))
        if same_photo:
            print(f"FALSE DUPLICATE: {na} {nb}")
    arr = np.array([p[:4] for p in pairs], dtype=np.float64)
    print(
        f"distinct pairs | {len(pairs)} | min {np.nanmin(arr[:, 0]):.0f} | min {np.nanmin(arr[:, 1]):.0f} | "
        f"min {np.nanmin(arr[:, 2]):.4f} | max {np.nanmax(arr[:, 3]):.4f} | "
        f"{sum(p[4] for p in pairs)}/{len(pairs)}"
    )
    same = np.array([p[:4] for p in pairs if p[5]], dtype=np.float64)
    print(
        f"same-person distinct pairs | {len(same)} | min {np.nanmin(same[:, 0]):.0f} | "
        f"min {np.nanmin(same[:, 1]):.0f} | min {np.nanmin(same[:, 2]):.4f} | max {np.nanmax(same[:, 3]):.4f}"
    )
    real = [p for p in pairs if not p[4]]
    faced = np.array([p[:4] for p in real if not np.isnan(p[3])], dtype=np.float64)
    print(
        f"distinct pairs not taken for one photo, with faces | {len(faced)} | "
        f"min {np.nanmin(faced[:, 0]):.0f} | min {np.nanmin(faced[:, 1]):.0f} | "
        f"min {np.nanmin(faced[:, 2]):.4f} | max {np.nanmax(faced[:, 3]):.4f}"
    )
    close = sorted(pairs, key=lambda p: -p[3] if not np.isnan(p[3]) else 0)[:5]
    for p in close:
        print("closest by cosine:", [round(v, 4) for v in p[:4]])


if __name__ == "__main__":
    main()

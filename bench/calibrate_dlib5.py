"""Refit the dlib 5-point backend's linear maps against the 68-point backend.

    python -m bench.calibrate_dlib5 [FOLDER]   (default ../shared/faces)

For every face both backends find, takes dlib's 5 points (eye corners, nose base) in the
eye frame and fits, by least squares, the 68-point backend's nose tip and mouth corners and
its yaw and pitch. Prints the coefficient tables for `engine/faces/dlib5_backend.py` and
the fit's RMS errors (the figures its docstring and docs/models.md quote).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from engine.faces.dlib5_backend import Dlib5FaceAnalyzer, eye_frame
from engine.faces.dlib_backend import DlibFaceAnalyzer


def main(folder: Path) -> None:
    reference, five = DlibFaceAnalyzer(), Dlib5FaceAnalyzer()
    features, targets, poses = [], [], []
    for path in sorted(folder.rglob("*.jpg")):
        image = np.asarray(Image.open(path).convert("RGB"))
        candidates = five.detect(image)
        for face in reference.detect(image):
            if face.landmarks_68 is None or not candidates:
                continue
            centre = np.asarray(face.landmarks[:2]).mean(axis=0)
            match = min(
                candidates,
                key=lambda c: float(np.linalg.norm(np.asarray(c.landmarks[:2]).mean(axis=0) - centre)),
            )
            x0, y0, x1, y1 = (round(v) for v in match.bbox)
            import dlib

            points = five._points(image, dlib.rectangle(x0, y0, x1, y1))
            _left, _right, mid, along, distance = eye_frame(points)
            down = np.array([-along[1], along[0]])

            def frame(
                point: np.ndarray,
                mid: np.ndarray = mid,
                along: np.ndarray = along,
                down: np.ndarray = down,
                distance: float = distance,
            ) -> list[float]:
                relative = (point - mid) / distance
                return [float(relative @ along), float(relative @ down)]

            features.append([*frame(points[4]), 1.0])
            targets.append(
                [*frame(face.landmarks_68[30]), *frame(face.landmarks_68[48]), *frame(face.landmarks_68[54])]
            )
            poses.append([face.yaw, face.pitch])
    x, t, y = np.array(features), np.array(targets), np.array(poses)
    layout = np.linalg.lstsq(x, t, rcond=None)[0]
    pose = np.linalg.lstsq(x, y, rcond=None)[0]
    print(f"{len(x)} faces from {folder}")
    print("LAYOUT_FROM_NOSE =", np.round(layout, 3).tolist())
    print("POSE_FROM_NOSE =", np.round(pose, 2).tolist())
    print(
        "layout RMS error (eye distances):",
        np.round(np.sqrt(((x @ layout - t) ** 2).mean(axis=0)), 3).tolist(),
    )
    print(
        "yaw, pitch RMS error (degrees):", np.round(np.sqrt(((x @ pose - y) ** 2).mean(axis=0)), 1).tolist()
    )


if __name__ == "__main__":
    shared = Path(os.environ.get("HEADSHOTS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else shared / "faces")

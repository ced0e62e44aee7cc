"""The commercial-use dlib face backend: HOG detector, 5-point landmarks, 128-D ResNet.

dlib's 68-point model is trained on iBUG 300-W, whose licence excludes commercial use; its
5-point model (eye corners and the base of the nose, on dlib's own data) and the ResNet
descriptor are public domain (docs/models.md). The descriptor is dlib's own pairing with
the 5-point model. What 5 points cannot give directly is estimated from them with linear
maps fitted against the 68-point backend on the 27 faces of ../shared/faces
(`bench/calibrate_dlib5.py` refits and prints them):

- the shared 5-point layout's nose tip and mouth corners (error about 0.05-0.09 of the
  eye distance: a few pixels, enough for aligned crops);
- yaw and pitch (RMS error about 11 and 7 degrees against the 68-point solvePnP
  estimate; coarser, so the pose check is looser with this backend).

No 68 landmarks means no eye-openness measure (`Face.landmarks_68` is None).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cv2
import dlib
import numpy as np

from engine.faces.dlib_backend import EMBED_FACE_PX, DlibFaceAnalyzer, full_size, log
from engine.faces.models import checked_dlib_dir, dlib_model_dir
from engine.faces.pose import roll_from_eyes
from engine.types import Face, FloatArray, ImageArray

DLIB5_FILES = ("shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat")

LAYOUT_FROM_NOSE = np.array(
    [
        # nose tip x, y; mouth left x, y; mouth right x, y   (eye frame, eye distance = 1)
        [1.379, 0.094, 0.295, -0.052, 0.213, -0.154],  # per unit of nose-base u (along the eyes)
        [-0.174, 1.3, 0.009, 0.606, -0.101, 0.519],  # per unit of nose-base v (down)
        [0.134, -0.443, -0.481, 0.601, 0.558, 0.656],  # constant
    ],
    dtype=np.float64,
)
"""Least-squares fit on the 27 faces of ../shared/faces (bench/calibrate_dlib5.py)."""
POSE_FROM_NOSE = np.array([[184.45, -1.2], [-52.91, 59.21], [40.92, -38.93]], dtype=np.float64)
"""(yaw, pitch) in degrees from (u, v, 1), same fit."""


def eye_frame(points_5: FloatArray) -> tuple[Any, Any, Any, Any, float]:
    """Image-left eye centre, image-right eye centre, their midpoint, the unit eye direction
    and the eye distance, from dlib's 5 points (two corners per eye, then the nose base)."""
    first, second = points_5[0:2].mean(axis=0), points_5[2:4].mean(axis=0)
    left, right = (first, second) if first[0] <= second[0] else (second, first)
    span = right - left
    distance = max(float(np.linalg.norm(span)), 1e-6)
    return left, right, (left + right) / 2, span / distance, distance


def layout_and_pose(points_5: FloatArray) -> tuple[FloatArray, float, float, float]:
    """(5-point layout, yaw, pitch, roll) from dlib's 5 landmarks."""
    left, right, mid, along, distance = eye_frame(points_5)
    down = np.array([-along[1], along[0]])
    relative = (points_5[4] - mid) / distance
    features = np.array([relative @ along, relative @ down, 1.0])
    estimated = features @ LAYOUT_FROM_NOSE
    yaw, pitch = features @ POSE_FROM_NOSE

    def to_image(x: float, y: float) -> FloatArray:
        point: FloatArray = (mid + distance * (x * along + y * down)).astype(np.float32)
        return point

    layout = np.stack(
        [left, right, to_image(*estimated[0:2]), to_image(*estimated[2:4]), to_image(*estimated[4:6])]
    ).astype(np.float32)
    return layout, float(yaw), float(pitch), roll_from_eyes(left, right)


class Dlib5FaceAnalyzer(DlibFaceAnalyzer):
    """`engine.types.FaceAnalyzer` on dlib without the 68-point model. Load once, reuse."""

    name = "dlib5"

    def __init__(self, model_dir: Path | None = None, *, detect_max_side: int = 640) -> None:
        folder = (
            checked_dlib_dir(model_dir, DLIB5_FILES) if model_dir is not None else dlib_model_dir(DLIB5_FILES)
        )
        started = time.perf_counter()
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks_5 = dlib.shape_predictor(str(folder / DLIB5_FILES[0]))
        self._descriptor = dlib.face_recognition_model_v1(str(folder / DLIB5_FILES[1]))
        self.detect_max_side = detect_max_side
        log.info("dlib 5-point face models loaded from %s in %.2fs", folder, time.perf_counter() - started)

    def _points(self, image: ImageArray, rect: dlib.rectangle) -> FloatArray:
        shape = self._landmarks_5(image, rect)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)

    def _face(self, image: ImageArray, rect: dlib.rectangle, score: float, scale: float) -> Face:
        full = full_size(rect, scale)
        layout, yaw, pitch, roll = layout_and_pose(self._points(image, full))
        return Face(
            bbox=(float(full.left()), float(full.top()), float(full.right()), float(full.bottom())),
            score=float(score),
            landmarks=layout,
            yaw=yaw,
            pitch=pitch,
            roll=roll,
        )

    def embed(self, image: ImageArray, face: Face) -> FloatArray:
        """The L2-normalised 128-D descriptor of `face`, aligned on dlib's 5 points (the
        pairing dlib's own face recognition example uses)."""
        x0, y0, x1, y1 = face.bbox
        side = max(x1 - x0, y1 - y0, 1.0)
        height, width = image.shape[:2]
        left, top = max(0, int(x0 - side / 2)), max(0, int(y0 - side / 2))
        right, bottom = min(width, int(x1 + side / 2) + 1), min(height, int(y1 + side / 2) + 1)
        patch = image[top:bottom, left:right]
        scale = min(1.0, EMBED_FACE_PX / side)
        if scale < 1.0:
            size = (max(1, round(patch.shape[1] * scale)), max(1, round(patch.shape[0] * scale)))
            patch = cv2.resize(patch, size, interpolation=cv2.INTER_AREA)  # type: ignore[assignment]
        patch = np.ascontiguousarray(patch)
        rect = dlib.rectangle(
            round((x0 - left) * scale),
            round((y0 - top) * scale),
            round((x1 - left) * scale),
            round((y1 - top) * scale),
        )
        shape = self._landmarks_5(patch, rect)
        vector = np.asarray(self._descriptor.compute_face_descriptor(patch, shape, 0))
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)

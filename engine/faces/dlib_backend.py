"""The dlib face backend: HOG detector, 68-point landmarks, 128-D ResNet descriptor.

Runs offline on CPU from the `face-recognition-models` weights (about 100 MB). Detection
runs on a copy scaled to `detect_max_side` (HOG cost grows with pixels; a selfie's face is
large), then landmarks and the descriptor use the full-resolution image.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import cv2
import dlib
import numpy as np

from engine.faces.models import checked_dlib_dir, dlib_model_dir
from engine.faces.pose import head_pose, roll_from_eyes
from engine.types import Attribute, Face, FloatArray, ImageArray

log = logging.getLogger(__name__)

DLIB_MATCH_THRESHOLD = 0.92
"""Cosine similarity of L2-normalised dlib descriptors above which two faces are one person
(measured on ../shared/faces, see docs/quality-thresholds.md)."""


def five_points(landmarks_68: FloatArray) -> FloatArray:
    """The shared 5-point layout (eye centres, nose tip, mouth corners) from 68 landmarks."""
    return np.stack(
        [
            landmarks_68[36:42].mean(axis=0),
            landmarks_68[42:48].mean(axis=0),
            landmarks_68[30],
            landmarks_68[48],
            landmarks_68[54],
        ]
    ).astype(np.float32)


EMBED_FACE_PX = 200
"""The descriptor reads a 150 px chip; cutting the face out at about this width first keeps
its cost flat (dlib otherwise resamples from the whole 12 MP photo: 230 ms instead of 95)."""


def _face_patch(image: ImageArray, landmarks_68: FloatArray) -> tuple[ImageArray, FloatArray]:
    """The face with a wide margin, scaled so the face is at most `EMBED_FACE_PX` wide, and
    the landmarks in the patch's coordinates."""
    x0, y0 = landmarks_68.min(axis=0)
    x1, y1 = landmarks_68.max(axis=0)
    margin = max(x1 - x0, y1 - y0)
    height, width = image.shape[:2]
    left, top = max(0, int(x0 - margin)), max(0, int(y0 - margin))
    right, bottom = min(width, int(x1 + margin) + 1), min(height, int(y1 + margin) + 1)
    patch = image[top:bottom, left:right]
    points = landmarks_68 - np.array([left, top], np.float32)
    scale = min(1.0, EMBED_FACE_PX / max(float(x1 - x0), 1.0))
    if scale < 1.0:
        size = (max(1, round(patch.shape[1] * scale)), max(1, round(patch.shape[0] * scale)))
        patch = cv2.resize(patch, size, interpolation=cv2.INTER_AREA)  # type: ignore[assignment]
        points = points * np.float32(scale)
    return np.ascontiguousarray(patch), points.astype(np.float32)


UPRIGHT_CHECK_PX = 200


def full_size(rect: dlib.rectangle, scale: float) -> dlib.rectangle:
    """A detection on the copy scaled by `scale`, in the full-resolution photo's pixels."""
    return dlib.rectangle(
        round(rect.left() / scale),
        round(rect.top() / scale),
        round(rect.right() / scale),
        round(rect.bottom() / scale),
    )


def _turn_half(face: Face, width: int, height: int) -> Face:
    """A face found in the photo turned 180 degrees, in the original photo's coordinates."""
    size = np.array([width - 1, height - 1], np.float32)
    x0, y0, x1, y1 = face.bbox
    landmarks_68 = None if face.landmarks_68 is None else size - face.landmarks_68
    return Face(
        bbox=(width - 1 - x1, height - 1 - y1, width - 1 - x0, height - 1 - y0),
        score=face.score,
        landmarks=size - face.landmarks,
        yaw=-face.yaw,
        pitch=-face.pitch,
        roll=roll_from_eyes(size - face.landmarks[0], size - face.landmarks[1]),
        landmarks_68=landmarks_68,
    )


class DlibFaceAnalyzer:
    """`engine.types.FaceAnalyzer` on dlib. Load once per process (about 1 s), reuse."""

    name = "dlib"
    embedding_dim = 128
    match_threshold = DLIB_MATCH_THRESHOLD

    def __init__(self, model_dir: Path | None = None, *, detect_max_side: int = 640) -> None:
        folder = checked_dlib_dir(model_dir) if model_dir is not None else dlib_model_dir()
        started = time.perf_counter()
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks_68 = dlib.shape_predictor(str(folder / "shape_predictor_68_face_landmarks.dat"))
        self._descriptor = dlib.face_recognition_model_v1(
            str(folder / "dlib_face_recognition_resnet_model_v1.dat")
        )
        self.detect_max_side = detect_max_side
        log.info("dlib face models loaded from %s in %.2fs", folder, time.perf_counter() - started)

    def detect(self, image: ImageArray) -> list[Face]:
        """Faces, biggest first, with 68 landmarks and head pose; no embeddings (see `embed`).

        An upside-down photo (no EXIF) can fool HOG into a detection with upright-fitted
        landmarks; such faces are found again in the turned photo and mapped back, so they
        carry a roll of about 180 degrees.
        """
        height, width = image.shape[:2]
        scale = min(1.0, self.detect_max_side / max(height, width))
        small = image
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)  # type: ignore[assignment]
        small = np.ascontiguousarray(small)
        rects, scores, _ = self._detector.run(small, 0, 0.0)
        if not rects:
            # Small faces: HOG needs about 80 px, so look again at twice the size.
            rects, scores, _ = self._detector.run(small, 1, 0.0)
        if rects and self._upside_down(small, rects[int(np.argmax(scores))]):
            turned = np.ascontiguousarray(image[::-1, ::-1])
            return [_turn_half(face, width, height) for face in self._detect_once(turned, scale)]
        faces = [self._face(image, rect, score, scale) for rect, score in zip(rects, scores, strict=True)]
        return sorted(faces, key=lambda face: face.width * face.height, reverse=True)

    def _detect_once(self, image: ImageArray, scale: float) -> list[Face]:
        height, width = image.shape[:2]
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = image if scale >= 1.0 else cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        rects, scores, _ = self._detector.run(np.ascontiguousarray(small), 0, 0.0)
        faces = [self._face(image, rect, score, scale) for rect, score in zip(rects, scores, strict=True)]
        return sorted(faces, key=lambda face: face.width * face.height, reverse=True)

    def _upside_down(self, small: ImageArray, rect: dlib.rectangle) -> bool:
        """Does the detector like this face better turned 180 degrees? (Measured on the shared
        photos: upright faces score 1.2-3.3 higher as they are, upside-down ones 1.0-2.7
        higher turned; docs/quality-thresholds.md.)"""
        side = max(rect.width(), rect.height())
        cx, cy = (rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2
        height, width = small.shape[:2]
        patch = small[
            max(0, int(cy - side)) : min(height, int(cy + side)),
            max(0, int(cx - side)) : min(width, int(cx + side)),
        ]
        if min(patch.shape[:2]) < 40:
            return False
        factor = UPRIGHT_CHECK_PX / max(patch.shape[:2])
        patch = cv2.resize(patch, (round(patch.shape[1] * factor), round(patch.shape[0] * factor)))  # type: ignore[assignment]
        as_is = self._detector.run(np.ascontiguousarray(patch), 0, -1.0)[1]
        turned = self._detector.run(np.ascontiguousarray(patch[::-1, ::-1]), 0, -1.0)[1]
        return max(turned, default=-9.0) > max(as_is, default=-9.0)

    def _face(self, image: ImageArray, rect: dlib.rectangle, score: float, scale: float) -> Face:
        full = full_size(rect, scale)
        shape = self._landmarks_68(image, full)
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
        yaw, pitch, roll = head_pose(points, (image.shape[1], image.shape[0]))
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        # The landmark hull (brows to chin) is a steadier face box than HOG's, whose size jumps by scale.
        bbox = (float(x0), float(y0 - 0.15 * (y1 - y0)), float(x1), float(y1))
        return Face(
            bbox=bbox,
            score=float(score),
            landmarks=five_points(points),
            yaw=yaw,
            pitch=pitch,
            roll=roll,
            landmarks_68=points,
        )

    def embed(self, image: ImageArray, face: Face) -> FloatArray:
        """The L2-normalised 128-D descriptor of `face` (cosine similarity = dot product)."""
        if face.landmarks_68 is None:
            msg = "DlibFaceAnalyzer.embed needs a face from DlibFaceAnalyzer.detect (68 landmarks)"
            raise ValueError(msg)
        patch, points = _face_patch(image, face.landmarks_68)
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        shape = dlib.full_object_detection(
            dlib.rectangle(round(x0), round(y0), round(x1), round(y1)),
            [dlib.point(round(float(x)), round(float(y))) for x, y in points],
        )
        vector = np.asarray(self._descriptor.compute_face_descriptor(patch, shape, 0))
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)

    def attributes(self, image: ImageArray, face: Face) -> list[Attribute]:  # noqa: ARG002
        """dlib has no age, gender, glasses or beard model: nothing is claimed.

        Measured attributes that need only pixels (skin tone) come from `engine.attributes`.
        """
        return []

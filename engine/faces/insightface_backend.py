"""The production face backend: insightface `FaceAnalysis` with a named model pack.

`buffalo_l` gives SCRFD detection with 5 keypoints, 68 3-D landmarks, ArcFace 512-D
embeddings and an age/gender head. Packs cannot be downloaded at run time here: a missing
pack is a `ModelUnavailableError` that says which pack and where to unzip it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engine.errors import ModelUnavailableError
from engine.faces.pose import head_pose
from engine.types import Attribute, Face, FloatArray, ImageArray

log = logging.getLogger(__name__)

ARCFACE_MATCH_THRESHOLD = 0.40
"""Cosine similarity of ArcFace (buffalo_l) embeddings above which two faces are one person:
insightface's published verification practice; no buffalo_l weights exist on our build
machines to re-measure it (docs/quality-thresholds.md)."""
AGE_HALF_RANGE = 5
AGE_CONFIDENCE = 0.6
"""The age head gives a point estimate with a typical error of about 5 years and no
confidence of its own; we report a 10-year range at this fixed confidence."""


def onnx_providers(device: str) -> list[str]:
    """CUDA first when `device` asks for a GPU ("auto" or "cuda...") and this onnxruntime
    build has the CUDA provider; the CPU provider always, as the fallback."""
    import onnxruntime

    wants_gpu = device == "auto" or device.startswith("cuda")
    if wants_gpu and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def _gpu_index(device: str) -> int:
    return int(device.split(":", 1)[1]) if ":" in device else 0


class InsightFaceAnalyzer:
    """`engine.types.FaceAnalyzer` on insightface. Load once per process, reuse."""

    name = "insightface"
    match_threshold = ARCFACE_MATCH_THRESHOLD

    def __init__(
        self, *, pack: str = "buffalo_l", root: Path, det_size: int = 640, device: str = "cpu"
    ) -> None:
        folder = Path(root).expanduser() / "models" / pack
        if not folder.is_dir() or not any(folder.glob("*.onnx")):
            raise ModelUnavailableError(
                f"The insightface model pack '{pack}' is not installed: download {pack}.zip from "
                f"https://github.com/deepinsight/insightface/releases and unzip its .onnx files into "
                f"{folder} (or set HEADSHOTS_FACE_BACKEND=dlib)."
            )
        from insightface.app import FaceAnalysis

        started = time.perf_counter()
        providers = onnx_providers(device)
        self._app: Any = FaceAnalysis(name=pack, root=str(Path(root).expanduser()), providers=providers)
        for task in ("detection", "recognition"):
            if task not in self._app.models:
                raise ModelUnavailableError(
                    f"The insightface pack '{pack}' in {folder} has no {task} model; reinstall the pack."
                )
        gpu = providers[0] == "CUDAExecutionProvider"
        self._app.prepare(ctx_id=_gpu_index(device) if gpu else -1, det_size=(det_size, det_size))
        self.device = "cuda" if gpu else "cpu"
        recognition = self._app.models["recognition"]
        self.embedding_dim = int(recognition.session.get_outputs()[0].shape[1])
        log.info("insightface pack %s loaded from %s in %.2fs", pack, folder, time.perf_counter() - started)

    def detect(self, image: ImageArray) -> list[Face]:
        """Faces, biggest first, with keypoints, 68 landmarks when the pack has them, pose and embedding."""
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        faces = [self._face(found, image.shape) for found in self._app.get(bgr)]
        return sorted(faces, key=lambda face: face.width * face.height, reverse=True)

    def _face(self, found: Any, shape: tuple[int, ...]) -> Face:
        dense = found.get("landmark_3d_68")
        landmarks_68 = None if dense is None else np.asarray(dense, np.float32)[:, :2]
        yaw = pitch = roll = 0.0
        if landmarks_68 is not None:
            yaw, pitch, roll = head_pose(landmarks_68, (shape[1], shape[0]))
        embedding = found.get("embedding")
        if embedding is not None:
            embedding = _unit(np.asarray(embedding, np.float32))
        x0, y0, x1, y1 = (float(v) for v in found.bbox)
        return Face(
            bbox=(x0, y0, x1, y1),
            score=float(found.det_score),
            landmarks=np.asarray(found.kps, np.float32),
            yaw=yaw,
            pitch=pitch,
            roll=roll,
            embedding=embedding,
            landmarks_68=landmarks_68,
        )

    def embed(self, image: ImageArray, face: Face) -> FloatArray:
        """The L2-normalised ArcFace embedding (computed during `detect`, else now)."""
        if face.embedding is not None:
            return face.embedding
        from insightface.utils import face_align

        recognition = self._app.models["recognition"]
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        aligned = face_align.norm_crop(bgr, landmark=face.landmarks, image_size=recognition.input_size[0])
        return _unit(np.asarray(recognition.get_feat(aligned), np.float32).flatten())

    def attributes(self, image: ImageArray, face: Face) -> list[Attribute]:
        """Apparent age range and gender presentation from the pack's age/gender head, if any."""
        model = self._app.models.get("genderage")
        if model is None:
            return []
        from insightface.utils import face_align

        x0, y0, x1, y1 = face.bbox
        size = model.input_size[0]
        scale = size / (max(x1 - x0, y1 - y0) * 1.5)
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        aligned, _ = face_align.transform(bgr, ((x0 + x1) / 2, (y0 + y1) / 2), size, scale, 0)
        blob = cv2.dnn.blobFromImage(
            aligned, 1.0 / model.input_std, (size, size), (model.input_mean,) * 3, swapRB=True
        )
        pred = np.asarray(model.session.run(model.output_names, {model.input_name: blob})[0][0], np.float64)
        logits = pred[:2] - pred[:2].max()
        probabilities = np.exp(logits) / np.exp(logits).sum()
        # insightface's convention: index 1 is male, 0 female.
        presentation = "masculine" if probabilities[1] >= probabilities[0] else "feminine"
        age = round(float(pred[2]) * 100)
        low, high = max(0, age - AGE_HALF_RANGE), age + AGE_HALF_RANGE
        return [
            Attribute("age_range", f"{low}-{high}", AGE_CONFIDENCE),
            Attribute("gender_presentation", presentation, round(float(probabilities.max()), 3)),
        ]


def _unit(vector: FloatArray) -> FloatArray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)

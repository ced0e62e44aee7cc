"""The studio preview: a headshot made from the user's own best selfie, on CPU, in about a
second.

Not generative: it reframes a real selfie as a headshot from the face landmarks (level eyes,
face centred, head room above), puts the style's backdrop behind the person, relights it
from the candidate's key-light side and applies the style's grade and a light retouch. It is
what a user sees before paying for the full generation and what runs end to end on a
machine with no GPU. Every candidate says so: `params["backend"] == "preview"`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image

from engine.crops import SIDE_PER_EYE_MOUTH, crop_box
from engine.postprocess import PostProcessor
from engine.postprocess.background import replace_background
from engine.progress import CancelToken, ProgressEvent
from engine.styles import StyleLibrary
from engine.types import AssessedPhoto, Candidate, CandidateSpec, Face, GenerationRequest, as_array
from engine.variations import ZOOMS

PREVIEW_LABEL = "Studio preview made from your own selfie (not the AI generation)"
EYE_LINE = 0.40
"""Eyes at 40% of the frame height from the top: the usual headshot head room."""
MIN_ZOOM = 6.0
"""Tightest frame (eye-to-mouth distances) when the selfie has little below the chin."""
LIGHT_STRENGTH = 0.14
EDGE_FEATHER = 0.004
"""Feather (fraction of the frame) where the photo's own edge meets the backdrop."""


class PreviewBackend:
    """`engine.types.GenerationBackend` that renders studio previews from real selfies."""

    name = "preview"

    def __init__(self, styles: StyleLibrary, postprocessor: PostProcessor) -> None:
        self.styles = styles
        self.postprocessor = postprocessor

    def generate(
        self,
        request: GenerationRequest,
        *,
        progress: Callable[[ProgressEvent], None],
        cancel: CancelToken,
    ) -> list[Candidate]:
        selfies = [s for s in request.reference_selfies if s.face is not None]
        if not selfies:
            raise ValueError("reference_selfies must hold at least one selfie with a detected face")
        settings = self.styles.get(request.style).postprocess
        by_name = {s.photo.name: s for s in selfies}
        candidates = []
        total = len(request.candidates)
        for index, spec in enumerate(request.candidates):
            cancel.raise_if_cancelled()
            selfie = by_name.get(str(spec.params.get("reference")), selfies[index % len(selfies)])
            image, face, inside = frame_headshot(selfie, spec, (request.width, request.height))
            image = relight(image, str(spec.params.get("camera", {}).get("light", "front")))
            if settings.background.startswith("#"):
                # Beyond the photo's edge: backdrop, never smeared edge pixels.
                image = replace_background(image, inside, settings.background)
            image, done = self.postprocessor.apply_look(image, face, settings)
            params = {
                **spec.params,
                "backend": self.name,
                "label": PREVIEW_LABEL,
                "reference": selfie.photo.name,
                "postprocess": done,
            }
            candidates.append(Candidate(image=Image.fromarray(image, "RGB"), seed=spec.seed, params=params))
            progress(ProgressEvent("generate", index + 1, total))
        return candidates


def frame_headshot(
    selfie: AssessedPhoto, spec: CandidateSpec, size: tuple[int, int]
) -> tuple[np.ndarray, Face, np.ndarray]:
    """The selfie warped to a `size` headshot: eyes level (plus the spec's small tilt) on
    `EYE_LINE`, the face centred, zoom from the spec's framing. Returns the image, the face
    moved along, and a soft mask of the pixels that came from the photo (1) rather than from
    beyond its edge (0, edge-replicated), which a backdrop later covers."""
    face = selfie.face
    assert face is not None
    width, height = size
    camera = spec.params.get("camera", {})
    source = as_array(selfie.photo.image)
    _, _, side, angle = crop_box(face)
    eye_mouth = side / SIDE_PER_EYE_MOUTH
    eyes = (face.landmarks[0] + face.landmarks[1]) / 2
    mouth = (face.landmarks[3] + face.landmarks[4]) / 2
    centre_x = float((eyes[0] + mouth[0]) / 2)
    frame = ZOOMS.get(str(camera.get("zoom", "head")), ZOOMS["head"]) * eye_mouth
    below = source.shape[0] - float(eyes[1])
    frame = max(MIN_ZOOM * eye_mouth, min(frame, below / (1 - EYE_LINE)))
    scale = height / frame
    if scale < 0.5:
        # warpAffine does not antialias: shrink the source first so the warp stays under 2x.
        factor = 2 * scale
        source = np.asarray(
            cv2.resize(
                source,
                (max(1, round(source.shape[1] * factor)), max(1, round(source.shape[0] * factor))),
                interpolation=cv2.INTER_AREA,
            ),
            np.uint8,
        )
        face = _moved(face, np.array([[factor, 0, 0], [0, factor, 0]], np.float64))
        eyes, centre_x, scale = eyes * factor, centre_x * factor, scale / factor
    rotation = angle + float(camera.get("tilt", 0.0))
    pivot = (centre_x, float(eyes[1]))
    matrix = cv2.getRotationMatrix2D(pivot, rotation, scale)
    matrix[0, 2] += width / 2 - pivot[0]
    matrix[1, 2] += EYE_LINE * height - pivot[1]
    warped = cv2.warpAffine(
        source, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    inside = cv2.warpAffine(
        np.ones(source.shape[:2], np.float32), matrix, (width, height), flags=cv2.INTER_LINEAR
    )
    inside = cv2.erode(inside, np.ones((3, 3), np.uint8))
    inside = cv2.GaussianBlur(inside, (0, 0), max(1.0, EDGE_FEATHER * max(width, height)))
    return warped, _moved(face, matrix), np.asarray(inside, np.float32)


def _moved(face: Face, matrix: np.ndarray) -> Face:
    def move(points: np.ndarray) -> np.ndarray:
        ones = np.ones((points.shape[0], 1), np.float64)
        return np.asarray(np.hstack([points.astype(np.float64), ones]) @ matrix.T, np.float32)

    landmarks_68 = None if face.landmarks_68 is None else move(face.landmarks_68)
    x0, y0, x1, y1 = face.bbox
    corners = move(np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float32))
    scale = math.hypot(matrix[0, 0], matrix[0, 1])
    centre = corners.mean(axis=0)
    half_w, half_h = face.width * scale / 2, face.height * scale / 2
    return Face(
        bbox=(
            float(centre[0] - half_w),
            float(centre[1] - half_h),
            float(centre[0] + half_w),
            float(centre[1] + half_h),
        ),
        score=face.score,
        landmarks=move(face.landmarks),
        yaw=face.yaw,
        pitch=face.pitch,
        roll=0.0,
        landmarks_68=landmarks_68,
    )


def relight(image: np.ndarray, light: str) -> np.ndarray:
    """A soft key light from `light` (front, left, right, butterfly) as a smooth gain map."""
    height, width = image.shape[:2]
    x = np.linspace(-1.0, 1.0, width, dtype=np.float32)[None, :]
    y = np.linspace(-1.0, 1.0, height, dtype=np.float32)[:, None]
    if light == "left":
        gain = 1.0 - LIGHT_STRENGTH * x + 0.0 * y
    elif light == "right":
        gain = 1.0 + LIGHT_STRENGTH * x + 0.0 * y
    elif light == "butterfly":
        gain = 1.0 + LIGHT_STRENGTH * (0.6 - np.hypot(x, y + 0.6))
    else:
        gain = np.full((height, width), 1.03, np.float32)
    return np.clip(image.astype(np.float32) * gain[..., None], 0, 255).astype(np.uint8)

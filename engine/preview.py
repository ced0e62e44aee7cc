"""The studio preview: a studio retouch of the user's own selfie, on CPU, in about a second.

Not generative, and it says so everywhere (`PREVIEW_LABEL`, `params["studio"]`, the chat's
words): it reframes a real selfie as a headshot from the face landmarks (level eyes, face
centred, head room above, and a frame that stays inside the photo so none of its edges shows),
cuts the person out with a guided-filter matte, puts the style's backdrop behind (a lit
gradient on the key-light side), relights the person from that side and applies the style's
grade and a light retouch. The style's attire and expression are not applied: they are listed
in `params["not_applied"]`.

What can honestly vary without a generator varies per candidate: framing (zoom), key-light
side, backdrop tone; with the selfies' own poses that makes six selfies six different shots.
It is what a user sees before paying for the full generation and what runs end to end on a
machine with no GPU. Every candidate says so: `params["backend"] == "preview"`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np
from PIL import Image

from engine.crops import SIDE_PER_EYE_MOUTH, crop_box
from engine.framing import EYE_LINE, ZOOMS
from engine.postprocess import PostProcessor
from engine.postprocess.matte import clean_foreground, person_matte
from engine.progress import CancelToken, ProgressEvent
from engine.styles import StyleLibrary
from engine.types import AssessedPhoto, Candidate, CandidateSpec, Face, GenerationRequest, as_array

PREVIEW_LABEL = "Studio retouch of your own photo (not an AI-generated headshot)"
"""Eyes at 40% of the frame height from the top: the usual headshot head room."""
MIN_ZOOM = 6.0
"""Tightest frame (eye-to-mouth distances) when the selfie has little below the chin."""
LIGHT_STRENGTH = 0.25
"""Key-to-fill gain across the face (+-25 % at the face's sides): visible, not harsh."""
EDGE_FADE = 0.07
"""Where the source photo ends inside the frame, the person fades out over this fraction."""
ZOOM_CYCLE = ("head", "chest", "close")
LIGHT_CYCLE = ("left", "right", "butterfly", "right", "left", "front")
"""Key-light sides in turn; with `ZOOM_CYCLE` six candidates get six different (zoom, light)."""
TONES = (0.0, 0.12, -0.10)
"""Backdrop tone per candidate (fraction lighter or darker than the style's colour)."""
FIT_STEP = 0.94
"""Frame shrink per try until no edge of the source photo falls inside the frame."""


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
            order = int(spec.params.get("index", index))
            if spec.params.get("anchored"):
                selfie = by_name.get(str(spec.params.get("reference")), selfies[0])
            else:
                # Every selfie once before any repeats: a retouch of one photo twice is a duplicate.
                selfie = selfies[order % len(selfies)]
            zoom, light = ZOOM_CYCLE[order % len(ZOOM_CYCLE)], LIGHT_CYCLE[order % len(LIGHT_CYCLE)]
            image, face, inside = frame_headshot(selfie, spec, (request.width, request.height), zoom=zoom)
            studio: dict[str, object] = {"zoom": zoom, "light": light, "matte": "grabcut+guided-filter"}
            if settings.background.startswith("#"):
                tone = TONES[order // len(ZOOM_CYCLE) % len(TONES)]
                alpha = person_matte(image, face) * inside
                person = relight(clean_foreground(image, alpha), light, face)
                behind = studio_backdrop(image.shape, settings.background, light, tone)
                a = alpha[..., None]
                image = np.asarray(np.clip(person * a + behind * (1.0 - a), 0, 255), np.uint8)
                studio.update(backdrop=settings.background, backdrop_tone=tone)
            else:
                image = relight(image, light, face)
            image, done = self.postprocessor.apply_look(image, face, replace(settings, background="keep"))
            studio["grade"] = settings.colour_grade
            variation = dict(spec.params.get("variation", {}))
            params = {
                **spec.params,
                "camera": {**dict(spec.params.get("camera", {})), "zoom": zoom, "light": light},
                "backend": self.name,
                "label": PREVIEW_LABEL,
                "reference": selfie.photo.name,
                "studio": studio,
                "not_applied": sorted(variation),
                "postprocess": ["background:matte", f"relight:{light}", *done],
            }
            candidates.append(Candidate(image=Image.fromarray(image, "RGB"), seed=spec.seed, params=params))
            progress(ProgressEvent("generate", index + 1, total))
        return candidates


def frame_headshot(
    selfie: AssessedPhoto, spec: CandidateSpec, size: tuple[int, int], *, zoom: str | None = None
) -> tuple[np.ndarray, Face, np.ndarray]:
    """The selfie warped to a `size` headshot: eyes level (plus the spec's small tilt) on
    `EYE_LINE`, the face centred, zoom from `zoom` or the spec's framing, shrunk until the
    frame lies inside the photo (no edge of it inside the frame) or the tightest frame is
    reached. Returns the image, the face
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
    frame = ZOOMS.get(zoom or str(camera.get("zoom", "head")), ZOOMS["head"]) * eye_mouth
    rotation = angle + float(camera.get("tilt", 0.0))
    frame = _fitted_frame(
        source.shape,
        pivot=(centre_x, float(eyes[1])),
        frame=frame,
        smallest=MIN_ZOOM * eye_mouth,
        rotation=rotation,
        aspect=width / height,
    )
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
    # Where the photo ends inside the frame, the person fades into the backdrop over
    # EDGE_FADE of the frame instead of stopping at a hard straight line.
    reach = EDGE_FADE * max(width, height)
    pad = int(reach) + 2
    # Padded with "covered" so the frame's own border is not mistaken for the photo's edge.
    covered = cv2.copyMakeBorder(
        (inside > 0.99).astype(np.uint8), pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=1
    )
    distance = cv2.distanceTransform(covered, cv2.DIST_L2, 5)[pad:-pad, pad:-pad]
    fade = np.clip(distance / reach, 0.0, 1.0)
    fade = fade * fade * (3.0 - 2.0 * fade)
    return warped, _moved(face, matrix), np.asarray(fade, np.float32)


def _fitted_frame(
    shape: tuple[int, ...],
    *,
    pivot: tuple[float, float],
    frame: float,
    smallest: float,
    rotation: float,
    aspect: float,
) -> float:
    """The largest frame height (source px) <= `frame` whose rotated crop lies inside the photo."""
    height, width = shape[:2]
    theta = math.radians(rotation)
    cos, sin = math.cos(theta), math.sin(theta)
    while True:
        corners = [
            (dx * aspect * frame, dy * frame) for dx in (-0.5, 0.5) for dy in (-EYE_LINE, 1 - EYE_LINE)
        ]
        inside = all(
            0 <= pivot[0] + cos * x + sin * y <= width and 0 <= pivot[1] - sin * x + cos * y <= height
            for x, y in corners
        )
        if inside or frame * FIT_STEP < smallest:
            return max(smallest, frame) if inside else smallest
        frame *= FIT_STEP


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


def relight(image: np.ndarray, light: str, face: Face | None = None) -> np.ndarray:
    """A soft key light from `light` (front, left, right, butterfly) as a smooth gain map
    around the face: the key side brighter, the other side in shadow."""
    height, width = image.shape[:2]
    if face is not None:
        cx, cy = (face.bbox[0] + face.bbox[2]) / 2, (face.bbox[1] + face.bbox[3]) / 2
        reach = max(face.width, 1.0)
    else:
        cx, cy, reach = width / 2, height / 2, width / 2
    x = np.clip((np.arange(width, dtype=np.float32)[None, :] - cx) / reach, -1.0, 1.0)
    y = np.clip((np.arange(height, dtype=np.float32)[:, None] - cy) / reach, -1.0, 1.5)
    if light == "left":
        gain = 1.0 - LIGHT_STRENGTH * x - 0.05 * y
    elif light == "right":
        gain = 1.0 + LIGHT_STRENGTH * x - 0.05 * y
    elif light == "butterfly":
        gain = 1.06 - LIGHT_STRENGTH * 0.6 * y - 0.05 * np.abs(x)
    else:
        gain = 1.05 - 0.08 * np.clip(y, 0.0, 1.5) + 0.0 * x
    return np.asarray(np.clip(image.astype(np.float32) * gain[..., None], 0, 255), np.uint8)


def studio_backdrop(shape: tuple[int, ...], colour: str, light: str, tone: float) -> np.ndarray:
    """The style's backdrop colour (lightened or darkened by `tone`) lit from the key side:
    a pool of light behind the head on that side, falling off to the corners."""
    height, width = shape[:2]
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], np.float32) * (1.0 + tone)
    side = {"left": 0.3, "right": 0.7}.get(light, 0.5)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    distance = np.hypot((xx / width - side) * 1.2, yy / height - 0.35)
    light_map = 1.22 - 0.55 * np.clip(distance, 0.0, 1.0)
    return np.asarray(np.clip(rgb[None, None, :] * light_map[..., None], 0, 255), np.float32)

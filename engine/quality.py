"""Stage 1: is this selfie usable? One `PhotoVerdict` with stable issue codes and fixes.

Every measure looks at the face, not the whole frame: a blurred background or a bright
window beside the person is fine; a soft or dark face is not. The thresholds below come from
measurements on ../shared/faces and degraded copies, recorded in docs/quality-thresholds.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from engine.occlusion import measure_parts, occlusion_issue
from engine.types import Face, FloatArray, ImageArray, IssueCode, PhotoVerdict, QualityIssue

MIN_SHORT_SIDE = 512
MIN_FACE_PX = 112
"""Face width in pixels below which identity and crops degrade (ArcFace reads 112 px faces)."""
MIN_FACE_FRACTION = 0.10
"""Face width as a fraction of the photo's shorter side."""
SECOND_FACE_RATIO = 0.5
"""A second face counts when it is at least this fraction of the biggest face's width."""
SHARPNESS_MIN = 0.7
LAPLACIAN_SCALE = 40.0
"""sharpness = 1 - exp(-var(Laplacian) / 40) on the face resized to 256 px wide."""
BLOCKINESS_OK = 1.5
BLOCKINESS_SLOPE = 0.3
"""JPEG damage: block-edge / in-block gradient ratio above 1.5 lowers the score by 0.3 per unit."""
DARK_MAX = 0.30
"""Mean face luma (0-1): shared photos 0.36-0.70, their 10x-darker copies 0.13-0.25."""
BRIGHT_MIN = 0.80
CLIPPED_MAX = 0.10
"""Overexposed: face luma over 0.80 or over 10% of face pixels at 250+ (shared photos: <= 0.70, <= 0.4%)."""
BACKLIGHT_GAP = 0.30
BACKLIT_FACE_MAX = 0.45
"""Backlit: background brighter than the face by 0.30+ while the face is under 0.45."""
SHADOW_RATIO = 0.50
"""|left - right| / brighter half of the face: shared photos <= 0.41, hard side light >= 0.63."""
POSE_MAX = 45.0
EYES_CLOSED_EAR = 0.15
"""Eye aspect ratio: open eyes in the shared photos measure 0.19-0.47."""


@dataclass(frozen=True)
class FaceMeasures:
    """What `measure_face` reads off one face; `assess_quality` turns it into issues."""

    sharpness: float
    blockiness: float
    brightness: float
    clipped: float
    background: float
    shadow: float
    eye_aspect: float | None


def _issue(code: IssueCode, message: str) -> QualityIssue:
    return QualityIssue(code=code, message=message)


def _face_box(face: Face, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    height, width = shape[:2]
    x0, y0, x1, y1 = face.bbox
    return (
        max(0, math.floor(x0)),
        max(0, math.floor(y0)),
        min(width, math.ceil(x1)),
        min(height, math.ceil(y1)),
    )


def _luma(rgb: ImageArray) -> FloatArray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0


def laplacian_sharpness(gray_face: FloatArray) -> float:
    """0-1 focus score of a face crop, independent of the face's pixel size."""
    height, width = gray_face.shape
    resized = cv2.resize(
        gray_face, (256, max(1, round(256 * height / max(width, 1)))), interpolation=cv2.INTER_AREA
    )
    variance = float(cv2.Laplacian(resized * 255.0, cv2.CV_32F).var())
    return 1.0 - math.exp(-variance / LAPLACIAN_SCALE)


def blockiness(gray: FloatArray, x0: int, y0: int) -> float:
    """Ratio of gradients across 8x8 JPEG block edges to those inside blocks (1 = no blocking).

    `gray` is a region whose top-left pixel is (x0, y0) in the decoded photo, so the grid
    lines up with the encoder's.
    """
    if min(gray.shape) < 17:
        return 1.0
    dx = np.abs(np.diff(gray, axis=1))
    dy = np.abs(np.diff(gray, axis=0))
    edge_x = (np.arange(dx.shape[1]) + x0) % 8 == 7
    edge_y = (np.arange(dy.shape[0]) + y0) % 8 == 7
    across = (float(dx[:, edge_x].mean()) + float(dy[edge_y, :].mean())) / 2
    inside = (float(dx[:, ~edge_x].mean()) + float(dy[~edge_y, :].mean())) / 2
    return across / max(inside, 1e-6)


def eye_aspect_ratio(landmarks_68: FloatArray) -> float:
    """Mean eye aspect ratio (Soukupová & Čech 2016): about 0.3 open, under 0.2 closed."""

    def one(eye: FloatArray) -> float:
        vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
        horizontal = 2.0 * float(np.linalg.norm(eye[0] - eye[3]))
        return float(vertical) / max(horizontal, 1e-6)

    return (one(landmarks_68[36:42]) + one(landmarks_68[42:48])) / 2


def measure_face(image: ImageArray, face: Face) -> FaceMeasures:
    """Focus, exposure, backlight and shadow of one face."""
    x0, y0, x1, y1 = _face_box(face, image.shape)
    gray = _luma(image[y0:y1, x0:x1]) if x1 > x0 and y1 > y0 else np.zeros((1, 1), np.float32)
    # Inner face (cheeks, nose, forehead) for exposure; the box edges hold hair and background.
    h, w = gray.shape
    inner = gray[h // 5 : h - h // 10, w // 6 : w - w // 6] if h > 10 and w > 10 else gray
    nose_x = int(face.landmarks[2][0]) - x0 - w // 6
    left, right = inner[:, : max(1, nose_x)], inner[:, max(1, nose_x) :]
    left_mean = float(left.mean()) if left.size else 0.0
    right_mean = float(right.mean()) if right.size else 0.0
    shadow = abs(left_mean - right_mean) / max(left_mean, right_mean, 1e-6)
    small: ImageArray = cv2.resize(  # type: ignore[assignment]
        image, (128, max(1, round(128 * image.shape[0] / image.shape[1]))), interpolation=cv2.INTER_LINEAR
    )
    whole = _luma(small)
    sx = 128 / image.shape[1]
    mask = np.ones(whole.shape, bool)
    pad_x, pad_y = 0.5 * (x1 - x0) * sx, 0.5 * (y1 - y0) * sx
    mask[
        max(0, int(y0 * sx - pad_y)) : int(y1 * sx + pad_y) + 1,
        max(0, int(x0 * sx - pad_x)) : int(x1 * sx + pad_x) + 1,
    ] = False
    background = float(whole[mask].mean()) if mask.any() else float(whole.mean())
    return FaceMeasures(
        sharpness=laplacian_sharpness(gray),
        blockiness=blockiness(gray, x0, y0),
        brightness=float(inner.mean()),
        clipped=float((inner >= 250 / 255).mean()),
        background=background,
        shadow=shadow,
        eye_aspect=eye_aspect_ratio(face.landmarks_68) if face.landmarks_68 is not None else None,
    )


def counted_faces(faces: list[Face]) -> list[Face]:
    """Faces big enough to be a second person in the photo, not a stranger far behind."""
    if not faces:
        return []
    biggest = max(face.width for face in faces)
    return [face for face in faces if face.width >= SECOND_FACE_RATIO * biggest]


def _cut_off(face: Face, width: int, height: int) -> bool:
    points = face.landmarks_68 if face.landmarks_68 is not None else face.landmarks
    margin = 0.02 * max(face.width, 1.0)
    outside = (
        (points[:, 0] < margin)
        | (points[:, 1] < 0)
        | (points[:, 0] > width - margin)
        | (points[:, 1] > height - margin)
    )
    x0, y0, x1, y1 = face.bbox
    return bool(outside.any()) or x0 < 0 or y0 < 0 or x1 > width or y1 > height


def _pose_issue(face: Face) -> QualityIssue | None:
    """The largest of yaw, pitch and roll past `POSE_MAX`, said the way a user can fix it."""
    if abs(face.roll) > 135:
        return _issue(
            IssueCode.POSE_TOO_EXTREME, "The photo is upside down; turn it upright and send it again."
        )
    if abs(face.roll) > 75 and abs(face.yaw) < 30:
        return _issue(IssueCode.POSE_TOO_EXTREME, "The photo is sideways; turn it upright and send it again.")
    worst = max(
        (("turned", face.yaw), ("tilted up or down", face.pitch), ("tilted sideways", face.roll)),
        key=lambda a: abs(a[1]),
    )
    if abs(worst[1]) <= POSE_MAX:
        return None
    degrees = round(abs(worst[1]) / 5) * 5
    return _issue(
        IssueCode.POSE_TOO_EXTREME, f"Face the camera: your head is {worst[0]} about {degrees} degrees."
    )


def _lighting_issue(m: FaceMeasures) -> QualityIssue | None:
    """At most one lighting problem, the one to fix first (backlight explains a dark face)."""
    if m.background - m.brightness > BACKLIGHT_GAP and m.brightness < BACKLIT_FACE_MAX:
        return _issue(
            IssueCode.BACKLIT, "The light is behind you; turn around so the light falls on your face."
        )
    if m.brightness < DARK_MAX:
        return _issue(IssueCode.TOO_DARK, "Your face is too dark; face a window or a lamp.")
    if m.brightness > BRIGHT_MIN or m.clipped > CLIPPED_MAX:
        return _issue(
            IssueCode.OVEREXPOSED, "Your face is washed out; step out of direct light or turn off the flash."
        )
    if m.shadow > SHADOW_RATIO:
        return _issue(
            IssueCode.HARSH_SHADOW, "Half of your face is in deep shadow; face the light or use softer light."
        )
    return None


def assess_quality(name: str, image: ImageArray, faces: list[Face]) -> PhotoVerdict:
    """The verdict on one decoded photo given its detected faces (biggest first)."""
    height, width = image.shape[:2]
    issues: list[QualityIssue] = []
    if min(width, height) < MIN_SHORT_SIDE:
        issues.append(
            _issue(
                IssueCode.LOW_RESOLUTION,
                f"The photo is only {width}x{height} pixels; "
                f"send one at least {MIN_SHORT_SIDE} pixels on the short side.",
            )
        )
    people = counted_faces(faces)
    if not people:
        issues.append(
            _issue(IssueCode.NO_FACE, "No face found: send a photo where your face is clearly visible.")
        )
        return PhotoVerdict(name=name, issues=tuple(issues), faces=0)
    if len(people) > 1:
        issues.append(
            _issue(
                IssueCode.MULTIPLE_FACES, f"{len(people)} people are in this photo; send photos of just you."
            )
        )
    face = people[0]
    face_px = round(face.width)
    if face_px < MIN_FACE_PX or face_px < MIN_FACE_FRACTION * min(width, height):
        issues.append(
            _issue(
                IssueCode.FACE_TOO_SMALL,
                f"Your face is only {face_px} pixels wide; move closer or send a higher-resolution photo.",
            )
        )
    if _cut_off(face, width, height):
        issues.append(
            _issue(IssueCode.FACE_CUT_OFF, "Part of your face is cut off; keep your whole head in the frame.")
        )
    m = measure_face(image, face)
    sharpness = min(m.sharpness, 1.0 - BLOCKINESS_SLOPE * max(0.0, m.blockiness - BLOCKINESS_OK))
    sharpness = max(0.0, sharpness)
    if sharpness < SHARPNESS_MIN:
        fix = (
            "The photo is heavily compressed; send the original, not a screenshot or a forwarded copy."
            if m.sharpness >= SHARPNESS_MIN
            else "Your face is out of focus; hold the phone still and tap your face to focus."
        )
        issues.append(_issue(IssueCode.BLURRY, fix))
    lighting = _lighting_issue(m)
    if lighting is not None:
        issues.append(lighting)
    pose = _pose_issue(face)
    if pose is not None:
        issues.append(pose)
    eyes_closed = m.eye_aspect is not None and m.eye_aspect < EYES_CLOSED_EAR
    if eyes_closed:
        issues.append(_issue(IssueCode.EYES_CLOSED, "Your eyes look closed; send one with your eyes open."))
    parts = measure_parts(image, face)
    covered = None if parts is None else occlusion_issue(parts, eyes_open=not eyes_closed)
    if covered is not None:
        issues.append(covered)
    return PhotoVerdict(
        name=name,
        issues=tuple(issues),
        faces=len(people),
        sharpness=round(sharpness, 3),
        brightness=round(m.brightness, 3),
        yaw=round(face.yaw, 1),
        pitch=round(face.pitch, 1),
        roll=round(face.roll, 1),
        face_px=face_px,
    )

"""Head pose (yaw, pitch, roll in degrees) from 68 facial landmarks.

A generic 3-D face model is fitted to six landmarks with `cv2.solvePnP`; with a pinhole
camera whose focal length is the image width this is accurate to a few degrees, which is
all a "face the camera" check needs. Sign convention (as in `engine.types.Face`): yaw > 0
when the face turns towards the image's right, pitch > 0 when it tilts up, roll > 0 when the
head leans clockwise in the image.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from engine.types import FloatArray

# Generic head, millimetres, x right, y up, z towards the camera (nose tip at the origin).
_MODEL_POINTS = np.array(
    [
        (0.0, 0.0, 0.0),  # nose tip (30)
        (0.0, -63.6, -12.5),  # chin (8)
        (-43.3, 32.7, -26.0),  # image-left eye outer corner (36)
        (43.3, 32.7, -26.0),  # image-right eye outer corner (45)
        (-28.9, -28.9, -24.1),  # image-left mouth corner (48)
        (28.9, -28.9, -24.1),  # image-right mouth corner (54)
    ],
    dtype=np.float64,
)
_LANDMARK_IDS = (30, 8, 36, 45, 48, 54)


def roll_from_eyes(left_eye: FloatArray, right_eye: FloatArray) -> float:
    """In-plane tilt of the eye line, degrees, clockwise positive (image y points down)."""
    dx, dy = float(right_eye[0] - left_eye[0]), float(right_eye[1] - left_eye[1])
    return math.degrees(math.atan2(dy, dx))


def head_pose(landmarks_68: FloatArray, image_size: tuple[int, int]) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees for one face's 68 landmarks in an image of `image_size` (w, h)."""
    width, height = image_size
    focal = float(max(width, height))
    camera = np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], dtype=np.float64)
    image_points = landmarks_68[list(_LANDMARK_IDS)].astype(np.float64)
    # Model y is up, image y is down: flip the model so solvePnP fits a right-handed camera.
    model = _MODEL_POINTS * np.array([1.0, -1.0, -1.0])
    ok, rvec, _tvec = cv2.solvePnP(model, image_points, camera, None, flags=cv2.SOLVEPNP_ITERATIVE)
    roll = roll_from_eyes(landmarks_68[36:42].mean(axis=0), landmarks_68[42:48].mean(axis=0))
    if not ok:
        return 0.0, 0.0, roll
    rotation, _ = cv2.Rodrigues(rvec)
    # Rotation of the head in camera coordinates (x right, y down, z away from the camera).
    sy = math.hypot(rotation[0, 0], rotation[1, 0])
    pitch = math.degrees(math.atan2(rotation[2, 1], rotation[2, 2]))
    yaw = math.degrees(math.atan2(-rotation[2, 0], sy))
    return _wrap(-yaw), _wrap(pitch), roll


def _wrap(angle: float) -> float:
    """Fold an Euler angle into [-90, 90] (solvePnP may answer with the face turned around)."""
    angle = (angle + 180.0) % 360.0 - 180.0
    if angle > 90.0:
        angle -= 180.0
    elif angle < -90.0:
        angle += 180.0
    return angle

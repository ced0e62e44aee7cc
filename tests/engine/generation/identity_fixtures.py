"""Shared pieces of the identity tests: a selfie the tiny insightface detector sees."""

from __future__ import annotations

import numpy as np
from PIL import Image

from engine.types import AssessedPhoto, Face, Photo, PhotoVerdict

FACE_BOX = (320.0, 192.0, 384.0, 256.0)


def square_selfie(name: str = "square.jpg", brightness: int = 255) -> AssessedPhoto:
    """A bright square on black (what the tiny detector calls a face) as an accepted selfie."""
    image = np.zeros((480, 640, 3), np.uint8)
    image[192:256, 320:384] = brightness
    landmarks = np.array([[336, 212], [368, 212], [352, 228], [340, 242], [364, 242]], np.float32)
    face = Face(bbox=FACE_BOX, score=0.99, landmarks=landmarks)
    photo = Photo(name=name, image=Image.fromarray(image), sha256=name, source_format="png", source_bytes=0)
    return AssessedPhoto(photo=photo, report=PhotoVerdict(name=name, issues=(), faces=1), face=face)

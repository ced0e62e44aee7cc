"""The intake facade: what the chat layer and the CLI call for each upload and each set.

`Assessor.assess` turns one upload's bytes into an `AssessedPhoto` (decode, detect, judge
quality, embed the one face) and never raises for a bad upload: the report carries
`unreadable` or `too_large` instead. `Assessor.assess_set` re-judges a whole set from stored
`PhotoRecord`s without touching the models.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

from engine.attributes import describe_face
from engine.decode import decode_photo
from engine.duplicates import dhash, fingerprint
from engine.errors import ImageRejectedError
from engine.faces.rotation import detect_upright
from engine.faces.small_faces import detect_small
from engine.identity import assess_set
from engine.quality import assess_quality, counted_faces
from engine.types import (
    AssessedPhoto,
    Attribute,
    FaceAnalyzer,
    Fingerprint,
    IssueCode,
    Photo,
    PhotoRecord,
    PhotoVerdict,
    QualityIssue,
    SetAssessment,
    as_array,
)

__all__ = ["Assessment", "Assessor", "dhash", "signature_of"]

log = logging.getLogger(__name__)

WORKING_SIDE = 2048
"""Big JPEGs are decoded at 1/2-1/8 scale, keeping the long side at least this many pixels:
enough for 1024 px headshot crops, and it makes a 12 MP verdict several times faster."""


def signature_of(
    assessed: AssessedPhoto, fingerprint: Fingerprint | None = None, attributes: tuple[Attribute, ...] = ()
) -> PhotoRecord:
    """The small, storable summary of an assessed photo that `assess_set` works from."""
    report, face = assessed.report, assessed.face
    embedding = None
    if face is not None and face.embedding is not None:
        embedding = tuple(float(v) for v in face.embedding)
    found = fingerprint if fingerprint is not None else Fingerprint()
    return PhotoRecord(
        name=report.name,
        ok=report.ok,
        codes=tuple(report.codes),
        embedding=embedding,
        yaw=report.yaw,
        pitch=report.pitch,
        roll=report.roll,
        brightness=report.brightness,
        dhash=found.image_hash,
        attributes=attributes,
        face_hash=found.face_hash,
        geometry=found.geometry,
    )


@dataclasses.dataclass(frozen=True)
class Assessment:
    """One upload's result: the assessed photo (None if undecodable) and its signature."""

    report: PhotoVerdict
    assessed: AssessedPhoto | None
    signature: PhotoRecord
    seconds: float


class Assessor:
    """Stages 1-2 for a chat bot: a fast verdict per photo, a cheap verdict per set.

    Build once with a loaded `FaceAnalyzer` (see `engine.faces.load_face_analyzer`) and reuse.
    Safe to call from several threads (e.g. `asyncio.to_thread`): model calls are serialised,
    since neither dlib nor onnxruntime promise thread-safe shared state here and the CPU is
    the bottleneck anyway; decoding runs in parallel.
    """

    def __init__(
        self,
        analyzer: FaceAnalyzer,
        *,
        max_bytes: int,
        max_pixels: int,
        min_photos: int,
        working_side: int = WORKING_SIDE,
    ) -> None:
        self.analyzer = analyzer
        self.working_side = working_side
        self._models = threading.Lock()
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.min_photos = min_photos

    def assess(self, data: bytes, name: str) -> Assessment:
        """Decode and judge one upload; never raises for a bad upload."""
        started = time.perf_counter()
        try:
            photo = decode_photo(
                data, name, max_bytes=self.max_bytes, max_pixels=self.max_pixels, max_side=self.working_side
            )
        except ImageRejectedError as exc:
            code = IssueCode.TOO_LARGE if exc.code == "too_large" else IssueCode.UNREADABLE
            report = PhotoVerdict(name=name, issues=(QualityIssue(code, exc.user_message),), faces=0)
            signature = PhotoRecord(name=name, ok=False, codes=(code.value,), embedding=None)
            return Assessment(report, None, signature, time.perf_counter() - started)
        result = self.assess_decoded(photo, started)
        log.debug("assessed %s in %.0f ms: %s", name, result.seconds * 1000, result.report.codes or "ok")
        return result

    def assess_photo(self, photo: Photo) -> AssessedPhoto:
        """Judge an already decoded photo."""
        return self._assess_photo(photo)[0]

    def assess_decoded(self, photo: Photo, started: float | None = None) -> Assessment:
        """`assess` for a photo already decoded (the chat layer and the pipeline keep them)."""
        began = time.perf_counter() if started is None else started
        assessed, found, attributes = self._assess_photo(photo)
        signature = signature_of(assessed, found, attributes)
        return Assessment(assessed.report, assessed, signature, time.perf_counter() - began)

    def _assess_photo(self, photo: Photo) -> tuple[AssessedPhoto, Fingerprint, tuple[Attribute, ...]]:
        image = as_array(photo.image)
        with self._models:
            faces = self.analyzer.detect(image)
            if not faces:
                # A person far from the camera: look closer where there is skin.
                faces = detect_small(self.analyzer, image)
            if not faces:
                # A sideways or upside-down photo: find the face turned, report the tilt.
                faces = detect_upright(self.analyzer, image)
        report = assess_quality(photo.name, image, faces)
        people = counted_faces(faces)
        face = None
        attributes: tuple[Attribute, ...] = ()
        if len(people) == 1:
            with self._models:
                face = dataclasses.replace(people[0], embedding=self.analyzer.embed(image, people[0]))
                attributes = describe_face(self.analyzer, image, face)
        return AssessedPhoto(photo=photo, report=report, face=face), fingerprint(image, face), attributes

    def assess_set(self, signatures: list[PhotoRecord]) -> SetAssessment:
        """The set verdict from stored signatures, in upload order (no model calls)."""
        return assess_set(
            signatures,
            backend=self.analyzer.name,
            threshold=self.analyzer.match_threshold,
            min_photos=self.min_photos,
        )

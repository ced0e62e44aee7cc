"""The dataclasses that pass between pipeline stages.

Every stage takes and returns these, never loose dicts, so a reader can follow the data
from a raw upload to a ranked album. Images are RGB `PIL.Image.Image`; arrays are RGB
uint8 `HxWx3`. Embeddings are L2-normalised float32 vectors, so cosine similarity is a
dot product for every face backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.progress import CancelToken, ProgressEvent

FloatArray = NDArray[np.float32]
ImageArray = NDArray[np.uint8]


class IssueCode(StrEnum):
    """Stable codes for what can be wrong with a selfie (CLI JSON, metrics, messages)."""

    UNREADABLE = "unreadable"
    TOO_LARGE = "too_large"
    LOW_RESOLUTION = "low_resolution"
    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    FACE_TOO_SMALL = "face_too_small"
    FACE_CUT_OFF = "face_cut_off"
    BLURRY = "blurry"
    TOO_DARK = "too_dark"
    OVEREXPOSED = "overexposed"
    BACKLIT = "backlit"
    HARSH_SHADOW = "harsh_shadow"
    POSE_TOO_EXTREME = "pose_too_extreme"
    SUNGLASSES = "sunglasses"
    FACE_OCCLUDED = "face_occluded"
    EYES_CLOSED = "eyes_closed"
    IDENTITY_MISMATCH = "identity_mismatch"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Photo:
    """A decoded upload: orientation applied, RGB, within the size limits."""

    name: str
    image: Image.Image
    sha256: str
    source_format: str
    source_bytes: int

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


@dataclass(frozen=True)
class Face:
    """One detected face in image pixel coordinates.

    `landmarks` are the five points insightface and dlib both give, in this order: left eye,
    right eye, nose tip, left mouth corner, right mouth corner (left/right as seen in the image).
    Angles are degrees; yaw > 0 turns towards the image's right.
    `landmarks_68` are the iBUG 68 points (dlib's predictor, insightface's 3d68 model's x, y)
    when the backend gives them; eye and mouth checks need them.
    """

    bbox: tuple[float, float, float, float]
    score: float
    landmarks: FloatArray
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    embedding: FloatArray | None = None
    landmarks_68: FloatArray | None = None

    @property
    def width(self) -> float:
        return self.bbox[2] - self.bbox[0]

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]


@dataclass(frozen=True)
class Attribute:
    """A detected attribute; only used in prompts when `confidence` clears the bar."""

    name: str
    value: str
    confidence: float


class FaceAnalyzer(Protocol):
    """One face backend (dlib here, insightface in production): detection, pose, identity.

    `match_threshold` is the cosine similarity above which two embeddings are the same
    person for this backend; thresholds belong to the backend, never to callers.
    """

    name: str
    embedding_dim: int
    match_threshold: float

    def detect(self, image: ImageArray) -> list[Face]: ...

    def embed(self, image: ImageArray, face: Face) -> FloatArray: ...

    def attributes(self, image: ImageArray, face: Face) -> list[Attribute]: ...


@dataclass(frozen=True)
class QualityIssue:
    code: IssueCode
    message: str


@dataclass(frozen=True)
class PhotoVerdict:
    """The assessor's verdict on one photo; `ok` means usable for generation."""

    name: str
    issues: tuple[QualityIssue, ...]
    faces: int
    sharpness: float | None = None
    brightness: float | None = None
    yaw: float | None = None
    pitch: float | None = None
    roll: float | None = None
    face_px: int | None = None
    similarity: float | None = None

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def codes(self) -> list[str]:
        return [issue.code.value for issue in self.issues]


@dataclass(frozen=True)
class FaceCrop:
    """An aligned headshot crop of one face at a fixed square size (512 or 1024).

    `face` is in the crop's own pixel coordinates (eyes levelled, so roll is 0)."""

    image: Image.Image
    size: int
    face: Face
    source_name: str


@dataclass(frozen=True)
class AssessedPhoto:
    """A photo with its verdict, its one face (if exactly one) and that face's embedding."""

    photo: Photo
    report: PhotoVerdict
    face: Face | None


@dataclass(frozen=True)
class IdentityProfile:
    """The person to generate: a robust centre of their face embeddings plus attributes."""

    embedding: FloatArray
    backend: str
    threshold: float
    member_names: tuple[str, ...]
    similarities: tuple[float, ...]
    attributes: tuple[Attribute, ...] = ()

    def similarity(self, embedding: FloatArray) -> float:
        return float(np.dot(self.embedding, embedding))


@dataclass(frozen=True)
class SetReadiness:
    """Whether a selfie set is ready to generate from, and if not what to send next."""

    ready: bool
    consistent: bool
    usable_count: int
    needed: int
    outliers: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Candidate:
    """One generated (or previewed) headshot with the parameters that made it."""

    image: Image.Image
    seed: int
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fingerprint:
    """What duplicate detection compares; every part is optional (no face, old stored rows).

    `image_hash` is 16 hex digits, `face_hash` 64 hex digits, `geometry` the aligned,
    normalised landmarks flattened, `embedding` the L2-normalised face embedding.
    """

    image_hash: str | None = None
    face_hash: str | None = None
    geometry: tuple[float, ...] | None = None
    embedding: tuple[float, ...] | None = None


@dataclass(frozen=True)
class ShotDescriptor:
    """One candidate as a person sees it. Angles in degrees; positions and sizes as
    fractions of the frame; colours CIELAB (L 0-100); `params` the variation choices."""

    yaw: float
    pitch: float
    roll: float
    face_x: float
    eye_line: float
    face_height: float
    mouth_open: float
    smile: float
    light_lr: float
    light_tb: float
    backdrop_lab: tuple[float, float, float]
    attire_lab: tuple[float, float, float]
    params: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, float):
                data[key] = round(value, 4)
            elif isinstance(value, tuple):
                data[key] = [round(float(v), 2) for v in value]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShotDescriptor:
        def lab(key: str) -> tuple[float, float, float]:
            first, second, third = (float(v) for v in data[key])
            return first, second, third

        number = {name: float(data[name]) for name in ("yaw", "pitch", "roll", "face_x", "eye_line",
                  "face_height", "mouth_open", "smile", "light_lr", "light_tb")}  # fmt: skip
        return cls(
            yaw=number["yaw"],
            pitch=number["pitch"],
            roll=number["roll"],
            face_x=number["face_x"],
            eye_line=number["eye_line"],
            face_height=number["face_height"],
            mouth_open=number["mouth_open"],
            smile=number["smile"],
            light_lr=number["light_lr"],
            light_tb=number["light_tb"],
            backdrop_lab=lab("backdrop_lab"),
            attire_lab=lab("attire_lab"),
            params={str(k): str(v) for k, v in dict(data.get("params") or {}).items()},
        )


@dataclass(frozen=True)
class ScoredCandidate:
    candidate: Candidate
    identity: float
    quality: float
    style_fit: float
    score: float
    cluster: int
    rejected: str | None = None
    details: dict[str, float] = field(default_factory=dict)
    """Every measurement behind the scores (sharpness, exposure, eyes, framing...)."""
    embedding: FloatArray | None = None
    """The candidate's face embedding (grading model): what "more like #3" searches with."""
    descriptor: ShotDescriptor | None = None
    """What a person sees as "the same shot" (pose, framing, expression, light, colours,
    variation params): what the album's diversity and "more like #N" use."""
    duplicate_of: int | None = None
    """Index (in the ranked batch) of a better candidate this one is the same picture as."""
    fingerprint: Fingerprint | None = None
    """What the duplicate check compares (`engine.duplicates`)."""


@dataclass(frozen=True)
class Album:
    """The ranked result of an order: best of each cluster, best first."""

    style: str
    items: tuple[ScoredCandidate, ...]
    contact_sheet: Image.Image | None = None
    dropped: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    scored: tuple[ScoredCandidate, ...] = ()
    """Every candidate of the order with its scores, failures included (for "more like #N")."""

    def __len__(self) -> int:
        return len(self.items)


def as_array(image: Image.Image) -> ImageArray:
    """RGB uint8 array view of a PIL image, the form face backends take."""
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


@dataclass(frozen=True)
class CandidateSpec:
    """What one candidate should look like: its seed, prompts, conditioning and the
    variation parameters that produced them (kept so "more like #3" can reuse them)."""

    seed: int
    prompt: str
    negative_prompt: str
    control_images: dict[str, Image.Image] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GenerationRequest:
    """Everything a generation backend needs for one batch of candidates.

    `control_weights` maps a ControlNet kind (``"depth"``, ``"canny"``, ``"openpose"``,
    ``"instantid"``) to its conditioning scale; `reference_faces` are aligned crops of the
    user's best selfies (for identity conditioning and the preview backend).
    """

    style: str
    candidates: tuple[CandidateSpec, ...]
    identity: IdentityProfile
    reference_faces: tuple[FaceCrop, ...]
    width: int = 1024
    height: int = 1024
    steps: int = 30
    guidance: float = 5.0
    control_weights: dict[str, float] = field(default_factory=dict)
    identity_scale: float = 0.8
    reference_selfies: tuple[AssessedPhoto, ...] = ()
    """The user's best selfies, full frame with their detected face, for backends that
    reframe the real photo (the preview backend); diffusion backends may ignore them."""
    control_ends: dict[str, float] = field(default_factory=dict)
    """ControlNet kind -> fraction of the steps it acts on (`control_guidance_end`); 1.0 if absent."""


class GenerationBackend(Protocol):
    """Turns a request into candidates; reports (stage "generate", step, total) through
    `progress` and stops between steps when `cancel` is set."""

    name: str

    def generate(
        self,
        request: GenerationRequest,
        *,
        progress: Callable[[ProgressEvent], None],
        cancel: CancelToken,
    ) -> list[Candidate]: ...


@dataclass(frozen=True)
class PhotoRecord:
    """What the set check needs from one assessed photo, small enough to store in a DB row.

    The conversation layer keeps one per photo (`to_json()` into a JSON column) and rebuilds
    the set verdict from them whenever a photo arrives, also after a restart, without running
    face detection again. `embedding` is None when the photo has no single usable face;
    `dhash` is a 64-bit perceptual hash (hex) of the whole photo for near-duplicates.
    """

    name: str
    ok: bool
    codes: tuple[str, ...]
    embedding: tuple[float, ...] | None
    yaw: float | None = None
    pitch: float | None = None
    roll: float | None = None
    brightness: float | None = None
    dhash: str | None = None
    attributes: tuple[Attribute, ...] = ()
    face_hash: str | None = None
    geometry: tuple[float, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "codes": list(self.codes),
            "embedding": None if self.embedding is None else [round(v, 6) for v in self.embedding],
            "yaw": self.yaw,
            "pitch": self.pitch,
            "roll": self.roll,
            "brightness": self.brightness,
            "dhash": self.dhash,
            "attributes": [[a.name, a.value, a.confidence] for a in self.attributes],
            "face_hash": self.face_hash,
            "geometry": None if self.geometry is None else list(self.geometry),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PhotoRecord:
        """Also reads rows stored before a field existed (missing fields are None)."""
        embedding = data.get("embedding")
        geometry = data.get("geometry")
        return cls(
            name=str(data["name"]),
            ok=bool(data["ok"]),
            codes=tuple(str(code) for code in data.get("codes", ())),
            embedding=None if embedding is None else tuple(float(v) for v in embedding),
            yaw=data.get("yaw"),
            pitch=data.get("pitch"),
            roll=data.get("roll"),
            brightness=data.get("brightness"),
            dhash=data.get("dhash"),
            attributes=tuple(
                Attribute(str(name), str(value), float(conf))
                for name, value, conf in data.get("attributes", ())
            ),
            face_hash=data.get("face_hash"),
            geometry=None if geometry is None else tuple(float(v) for v in geometry),
        )


@dataclass(frozen=True)
class SetAssessment:
    """The verdict on a whole selfie set plus what it means for each photo.

    `similarities` maps photo name to cosine similarity with the profile (None without a
    face); `issues` maps a photo name to set-level problems (`identity_mismatch`,
    `duplicate`); `usable` names the photos generation should use, in upload order, and
    `readiness` says whether there are enough of them.
    """

    readiness: SetReadiness
    profile: IdentityProfile | None
    similarities: dict[str, float | None]
    issues: dict[str, tuple[QualityIssue, ...]]
    usable: tuple[str, ...]
    duplicates: tuple[str, ...] = ()

    def applied_to(self, report: PhotoVerdict) -> PhotoVerdict:
        """`report` with this set's verdict on it: similarity filled in, set issues added."""
        extra = self.issues.get(report.name, ())
        return replace(report, issues=report.issues + extra, similarity=self.similarities.get(report.name))

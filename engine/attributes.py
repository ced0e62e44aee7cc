"""Attributes for prompts, each with its confidence: what a model says, and what is measured.

The backend contributes what it has: insightface's age/gender head gives an apparent age
range and a gender presentation; dlib has no attribute model and gives nothing. Glasses and
facial hair are measured on every backend from the face's own regions
(`engine.occlusion.worn_attributes`: a frame's bridge across the nose, hair darker than the
cheeks), with a confidence that clears the prompt's bar only on clear evidence and never for
"no". Hair length needs a person/hair segmentation that no offline model here provides, so
it is not reported. Skin tone is not reported either. (We tried
measuring skin tone from the cheeks as Chardon's ITA: on the shared photos it swung between
classes with the light, e.g. one person read "brown" and "dark" in two press photos, so it is
left out; see docs/quality-thresholds.md.) A set's summary keeps one value per attribute.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from engine.occlusion import measure_parts, worn_attributes
from engine.types import Attribute, Face, FaceAnalyzer, ImageArray


def describe_face(analyzer: FaceAnalyzer, image: ImageArray, face: Face) -> tuple[Attribute, ...]:
    """Everything the backend can say about one face, then the measured attributes it did
    not give (a backend's own glasses or beard model wins over the measurement)."""
    given = list(analyzer.attributes(image, face))
    parts = measure_parts(image, face)
    measured = () if parts is None else worn_attributes(parts)
    names = {a.name for a in given}
    return (*given, *(a for a in measured if a.name not in names))


def summarise(per_photo: Sequence[Sequence[Attribute]]) -> tuple[Attribute, ...]:
    """One value per attribute across a set: the most common value; its confidence is the
    mean confidence of the photos that say it times the share of photos that say it.
    Age ranges vote like any other value (photos of one person mostly agree to the decade)."""
    names = sorted({a.name for attrs in per_photo for a in attrs})
    summary = []
    for name in names:
        said = [a for attrs in per_photo for a in attrs if a.name == name]
        value, count = Counter(a.value for a in said).most_common(1)[0]
        agreeing = [a.confidence for a in said if a.value == value]
        confidence = sum(agreeing) / len(agreeing) * count / len(said)
        summary.append(Attribute(name, value, round(confidence, 3)))
    return tuple(summary)


STATABLE = {"glasses": ("yes", "no"), "facial_hair": ("beard", "none"), "hair": ()}
"""What a person may say about themselves for the prompt, with the values each takes (hair:
free text such as "short grey"). The names are the measured attributes' own."""
_STATED_ALIASES = {"beard": "facial_hair", "glasses": "glasses", "hair": "hair", "facial_hair": "facial_hair"}
_STATED_VALUES = {"yes": "yes", "no": "no", "true": "yes", "false": "no", "none": "none", "beard": "beard"}


def stated_attribute(name: str, value: str) -> Attribute:
    """One thing the person said ("glasses", "no"), checked and spelled as the measured
    attribute is, so it replaces the measurement (`with_stated`)."""
    key = _STATED_ALIASES.get(name.strip().lower())
    if key is None:
        raise ValueError(f"unknown attribute {name!r}; say one of: {', '.join(STATABLE)}")
    said = " ".join(value.strip().lower().split())
    if key == "facial_hair":
        said = {"yes": "beard", "no": "none"}.get(_STATED_VALUES.get(said, said), said)
    elif STATABLE[key]:
        said = _STATED_VALUES.get(said, said)
    allowed = STATABLE[key]
    if (allowed and said not in allowed) or not said or len(said) > 40:
        choices = " or ".join(allowed) if allowed else "a few words, e.g. 'short grey'"
        raise ValueError(f"{key} must be {choices}, got {value!r}")
    return Attribute(key, said, 1.0)


def with_stated(measured: Sequence[Attribute], stated: Sequence[Attribute]) -> tuple[Attribute, ...]:
    """`measured` with what the person said about themselves in its place: a stated value
    ("glasses": "no" from someone who wants them off) has confidence 1 and wins."""
    said = {a.name: Attribute(a.name, a.value, 1.0) for a in stated}
    return (*(a for a in measured if a.name not in said), *said.values())

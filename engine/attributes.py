"""Attributes for prompts: only what a model says, each with its confidence, never guessed.

The backend contributes what it has: insightface's age/gender head gives an apparent age
range and a gender presentation; dlib has no attribute model and gives nothing. Glasses,
beard, skin tone and hair have no trained model here, so they are not reported. (We tried
measuring skin tone from the cheeks as Chardon's ITA: on the shared photos it swung between
classes with the light, e.g. one person read "brown" and "dark" in two press photos, so it is
left out; see docs/quality-thresholds.md.) A set's summary keeps one value per attribute.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from engine.types import Attribute, Face, FaceAnalyzer, ImageArray


def describe_face(analyzer: FaceAnalyzer, image: ImageArray, face: Face) -> tuple[Attribute, ...]:
    """Everything the backend can say about one face."""
    return tuple(analyzer.attributes(image, face))


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

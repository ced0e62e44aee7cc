"""Duplicates that survive re-sharing: a user sends their selfies, then some of them again as
they come back from a phone or a chat (recompressed, resized, cropped, screenshotted,
filtered). Each copy must count once and name the photo it repeats; distinct photos never do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.duplicates import (
    find_duplicates,
    fingerprint,
    image_hash,
    same_photo,
    trim_borders,
)
from engine.identity import fingerprint_of
from engine.intake import Assessment, Assessor
from engine.types import Fingerprint
from tests.engine import degrade

PERSON_A = [f"selfie_{i:02d}.jpg" for i in range(1, 9)]


@pytest.fixture(scope="module")
def first_uploads(assessed_faces: dict[str, Assessment]) -> list[Assessment]:
    """person_a's usable photos as the user first sent them."""
    return [assessed_faces[name] for name in PERSON_A if assessed_faces[name].report.ok]


@pytest.mark.parametrize("transform", list(degrade.RESHARES), ids=list(degrade.RESHARES))
def test_a_reshared_copy_counts_once_and_names_the_original(
    assessor: Assessor,
    first_uploads: list[Assessment],
    person_a_paths: list[Path],
    transform: str,
) -> None:
    change: Callable[[Image.Image], Image.Image] = degrade.RESHARES[transform]
    signatures = [a.signature for a in first_uploads]
    before = assessor.assess_set(signatures)
    by_name = {p.name: p for p in person_a_paths}
    copies = []
    for original in first_uploads[::2]:
        image = change(Image.open(by_name[original.report.name]).convert("RGB"))
        sent = assessor.assess(degrade.jpeg_bytes(image, 90), f"copy of {original.report.name}")
        assert sent.report.ok, (transform, original.report.name, sent.report.codes)
        copies.append(sent.signature)
    result = assessor.assess_set(signatures + copies)
    assert result.duplicates == tuple(c.name for c in copies)
    for copy in copies:
        (issue,) = result.issues[copy.name]
        assert issue.code.value == "duplicate"
        assert copy.name.removeprefix("copy of ") in issue.message
    assert result.readiness.usable_count == before.readiness.usable_count


def test_distinct_photos_of_one_person_are_never_duplicates(
    assessed_faces: dict[str, Assessment],
) -> None:
    items = [(name, _print(assessed_faces[name])) for name in PERSON_A]
    items += [(name, _print(a)) for name, a in assessed_faces.items() if name.startswith("obama_")]
    found = find_duplicates(items)
    # obama_240p is obama_1 letterboxed into a 427x240 frame: a real re-shared copy.
    assert found == {"obama_240p.jpg": "obama_1.jpg"}


def test_a_copy_of_a_copy_names_the_first_photo(assessor: Assessor, person_a_paths: list[Path]) -> None:
    image = Image.open(person_a_paths[4]).convert("RGB")
    once = degrade.screenshot(degrade.resized(image, 0.7))
    twice = degrade.reencoded(degrade.cropped(once, 0.02), 55)
    prints = [
        (name, _print(assessor.assess(degrade.jpeg_bytes(picture, 90), name)))
        for name, picture in (("original", image), ("screenshot", once), ("cropped again", twice))
    ]
    assert find_duplicates(prints) == {"screenshot": "original", "cropped again": "original"}


def test_photos_without_a_face_match_on_the_whole_frame() -> None:
    from skimage import data

    cat = np.ascontiguousarray(data.chelsea())
    coffee = np.ascontiguousarray(data.coffee())
    bordered = np.asarray(degrade.screenshot(Image.fromarray(cat)))
    assert same_photo(fingerprint(cat), fingerprint(bordered))
    assert not same_photo(fingerprint(cat), fingerprint(coffee))
    assert not same_photo(Fingerprint(), Fingerprint())


def test_borders_are_trimmed_but_a_flat_photo_is_kept() -> None:
    photo = np.random.default_rng(0).integers(0, 255, (120, 90, 3), dtype=np.uint8)
    framed = np.asarray(degrade.screenshot(Image.fromarray(photo), border=0.1, bar=0.08))
    assert trim_borders(framed).shape == photo.shape
    assert image_hash(framed) == image_hash(photo)
    flat = np.full((50, 50, 3), 128, np.uint8)
    assert trim_borders(flat).shape == flat.shape


def _print(assessment: Assessment) -> Fingerprint:
    return fingerprint_of(assessment.signature)

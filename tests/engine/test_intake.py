"""The Assessor facade: never raises for a bad upload, handles phone formats, fast paths."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.duplicates import fingerprint, image_hash
from engine.intake import Assessor, signature_of
from tests.engine import degrade


@pytest.fixture(scope="module")
def selfie(person_a_paths: list[Path]) -> Image.Image:
    return Image.open(person_a_paths[1]).convert("RGB")


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "unreadable"), (b"GIF89a" + b"\0" * 20, "unreadable"), (b"%PDF-1.7\n" * 50, "unreadable")],
)
def test_bad_uploads_become_reports(assessor: Assessor, data: bytes, code: str) -> None:
    result = assessor.assess(data, "upload.jpg")
    assert result.report.codes == [code]
    assert result.assessed is None
    assert result.signature.ok is False
    assert result.signature.embedding is None
    assert result.report.issues[0].message


def test_truncated_and_oversized_uploads(assessor: Assessor, selfie: Image.Image) -> None:
    data = degrade.jpeg_bytes(selfie, 90)
    small = Assessor(assessor.analyzer, max_bytes=len(data) - 1, max_pixels=50_000_000, min_photos=8)
    assert small.assess(data, "a.jpg").report.codes == ["too_large"]
    assert small.assess(data[: len(data) // 3], "a.jpg").report.codes == ["unreadable"]


def test_heic_and_exif_rotated_uploads_are_judged_upright(assessor: Assessor, selfie: Image.Image) -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    buffer = io.BytesIO()
    selfie.resize((selfie.width // 2, selfie.height // 2)).save(buffer, "HEIF", quality=85)
    heic = assessor.assess(buffer.getvalue(), "a.heic")
    assert heic.report.ok, heic.report.codes
    exif = Image.Exif()
    exif[0x0112] = 8  # stored turned; "rotate 90 counter-clockwise to display"
    buffer = io.BytesIO()
    selfie.transpose(Image.Transpose.ROTATE_270).save(buffer, "JPEG", exif=exif, quality=92)
    rotated = assessor.assess(buffer.getvalue(), "b.jpg")
    assert rotated.report.ok, rotated.report.codes
    assert rotated.report.roll is not None
    assert abs(rotated.report.roll) < 10


def test_big_jpegs_are_decoded_at_working_size(assessor: Assessor, selfie: Image.Image) -> None:
    big = selfie.resize((selfie.width * 4, selfie.height * 4))
    result = assessor.assess(degrade.jpeg_bytes(big, 85), "big.jpg")
    assert result.assessed is not None
    assert max(result.assessed.photo.size) >= assessor.working_side
    assert max(result.assessed.photo.size) < max(big.size)
    assert result.report.ok


def test_signature_is_what_the_set_check_needs(assessor: Assessor, selfie: Image.Image) -> None:
    result = assessor.assess(degrade.jpeg_bytes(selfie, 92), "s.jpg")
    assert result.assessed is not None
    image = np.asarray(result.assessed.photo.image)
    signature = signature_of(
        result.assessed, fingerprint(image, result.assessed.face), result.signature.attributes
    )
    assert signature == result.signature
    assert signature.ok
    assert signature.embedding is not None
    assert signature.yaw == result.report.yaw
    assert signature.dhash == image_hash(image)
    assert signature.face_hash is not None
    assert signature.geometry is not None
    assert assessor.assess_photo(result.assessed.photo).report == result.report


def test_threads_get_the_same_verdicts(assessor: Assessor, person_a_paths: list[Path]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    uploads = [(p.read_bytes(), p.name) for p in person_a_paths[3:7]]
    serial = [assessor.assess(data, name).signature for data, name in uploads]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda upload: assessor.assess(*upload).signature, uploads))
    assert parallel == serial

"""Hostile input through the intake: mutated JPEG/PNG/WebP/HEIC, bombs, huge headers,
polyglots and path-like names. `HEADSHOTS_FUZZ_EXAMPLES` raises the number of mutated
cases (CI runs 200 through the decoder and 40 through the whole Assessor; the recorded
10,000-case run is `bench/fuzz_intake.py`)."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from PIL import Image

from engine.decode import decode_photo
from engine.errors import ImageRejectedError
from engine.intake import Assessor
from storage.photos import LocalPhotoStore
from tests.engine import fuzzing
from tests.engine.fuzzing import LIMITS, check_assess, check_decode, mutated_uploads

EXAMPLES = int(os.environ.get("HEADSHOTS_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=5),  # "no hang": one case past 5 s fails the run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
    derandomize=True,
)


@pytest.fixture(scope="module")
def seeds(person_a_paths: list[Path]) -> dict[str, bytes]:
    return fuzzing.seed_files(person_a_paths[0])


def test_seeds_decode_in_every_format(seeds: dict[str, bytes]) -> None:
    for fmt, data in seeds.items():
        assert check_decode(data, f"seed.{fmt.lower()}") == "decoded", fmt


def test_mutated_uploads_decode_or_are_refused_with_a_typed_error(seeds: dict[str, bytes]) -> None:
    outcomes: set[str] = set()

    @FUZZ
    @given(case=mutated_uploads(seeds))
    def run(case: tuple[str, bytes]) -> None:
        fmt, data = case
        outcomes.add(check_decode(data, f"upload.{fmt.lower()}"))

    run()
    assert "unreadable" in outcomes, "the mutations never broke a file: the fuzzer is not fuzzing"


def test_mutated_uploads_through_the_assessor_never_raise(
    seeds: dict[str, bytes], assessor: Assessor
) -> None:
    @settings(FUZZ, max_examples=max(10, EXAMPLES // 5))
    @given(case=mutated_uploads(seeds))
    def run(case: tuple[str, bytes]) -> None:
        fmt, data = case
        check_assess(assessor, data, f"upload.{fmt.lower()}")

    run()


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = fuzzing.png_bomb(20_000)  # 400 megapixels in a few hundred KB
    assert len(bomb) < LIMITS["max_bytes"]
    with pytest.raises(ImageRejectedError) as caught:
        decode_photo(bomb, "bomb.png", **LIMITS)
    assert caught.value.code == "too_large"
    assert "pixels" in caught.value.user_message


@pytest.mark.parametrize(("width", "height"), [(0x7FFFFFFF, 1), (65_535, 65_535), (100_000, 100_000)])
def test_huge_png_dimensions_in_the_header(width: int, height: int) -> None:
    outcome = check_decode(fuzzing.png_with_dimensions(width, height), "huge.png")
    assert outcome in {"too_large", "unreadable"}


def test_huge_and_lying_jpeg_dimensions(seeds: dict[str, bytes]) -> None:
    assert (
        check_decode(fuzzing.jpeg_with_dimensions(seeds["JPEG"], 65_535, 65_535), "huge.jpg") == "too_large"
    )
    # Within the limits but far more pixels than the data holds: refused or decoded, never a crash.
    assert check_decode(fuzzing.jpeg_with_dimensions(seeds["JPEG"], 1_900, 1_900), "liar.jpg") in {
        "unreadable",
        "decoded",
    }


def test_jpeg_zip_polyglot_is_stored_without_the_archive(
    seeds: dict[str, bytes], photo_store: LocalPhotoStore
) -> None:
    archive = fuzzing.zip_archive()
    polyglot = seeds["JPEG"] + archive
    photo = decode_photo(polyglot, "holiday.jpg", **LIMITS)
    key = photo_store.put_image("users/1/sessions/1/01.jpg", photo.image)
    stored = photo_store.get_bytes(key)
    assert b"PK\x03\x04" not in stored
    assert b"payload.js" not in stored


def test_png_with_trailing_html_is_stored_as_pixels_only(
    seeds: dict[str, bytes], photo_store: LocalPhotoStore
) -> None:
    html = b"<html><script>alert(document.cookie)</script></html>"
    photo = decode_photo(seeds["PNG"] + html, "page.png", **LIMITS)
    stored = photo_store.get_bytes(photo_store.put_image("users/1/sessions/1/02.jpg", photo.image))
    assert b"<script>" not in stored
    assert Image.open(io.BytesIO(stored)).format == "JPEG"


def test_gif_javascript_polyglot_is_refused() -> None:
    gifjs = b"GIF89a/*\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01*/=alert(1);//"
    with pytest.raises(ImageRejectedError) as caught:
        decode_photo(gifjs + b"\x00" * 32, "cat.gif", **LIMITS)
    assert caught.value.code == "unreadable"
    fuzzing.assert_friendly(caught.value.user_message, "cat.gif")


def test_html_named_like_a_photo_is_refused() -> None:
    outcome = check_decode(b"<!doctype html><html><body>hi</body></html>", "photo.jpg")
    assert outcome == "unreadable"


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.jpg",
        "/etc/passwd",
        "evil\x00.jpg",
        "a" * 5_000 + ".jpg",
        "..\\..\\boot.ini",
        "\u202egpj.exe",
    ],
)
def test_path_like_names_reach_the_user_short_and_harmless(name: str, assessor: Assessor) -> None:
    result = assessor.assess(b"not an image at all", name)
    assert list(result.report.codes) == ["unreadable"]
    message = result.report.issues[0].message
    fuzzing.assert_friendly(message, name)
    assert "\x00" not in message
    assert "\u202e" not in message
    assert len(message) < 200


@pytest.mark.parametrize(
    "key", ["../../etc/passwd.jpg", "users/1/../../x.jpg", "/etc/passwd", "a\x00.jpg", "k" * 300]
)
def test_photo_store_refuses_path_like_keys(key: str, photo_store: LocalPhotoStore) -> None:
    from storage.photos import InvalidKeyError

    with pytest.raises(InvalidKeyError):
        photo_store.put_bytes(key, b"x")
    assert not any(photo_store.root.rglob("*"))

"""Safe decoding: every odd upload becomes an upright RGB photo or a typed, friendly refusal."""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from engine.decode import decode_photo
from engine.errors import ImageRejectedError

LIMITS: dict[str, Any] = {"max_bytes": 25_000_000, "max_pixels": 50_000_000}


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def selfie(person_a_paths: list[Path]) -> Image.Image:
    return Image.open(person_a_paths[4]).convert("RGB")


def rejected(data: bytes, **limits: int) -> ImageRejectedError:
    with pytest.raises(ImageRejectedError) as caught:
        decode_photo(data, "upload.jpg", **{**LIMITS, **limits})
    assert caught.value.user_message
    assert "upload.jpg" in caught.value.user_message
    return caught.value


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_common_formats_decode_to_rgb(selfie: Image.Image, fmt: str) -> None:
    photo = decode_photo(encode(selfie, fmt), "a", **LIMITS)
    assert photo.image.mode == "RGB"
    assert photo.size == selfie.size
    assert photo.source_format == fmt
    assert len(photo.sha256) == 64


def test_heic_decodes(selfie: Image.Image) -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    small = selfie.resize((selfie.width // 3, selfie.height // 3))
    photo = decode_photo(encode(small, "HEIF", quality=80), "a.heic", **LIMITS)
    assert photo.source_format == "HEIF"
    assert photo.size == small.size
    assert abs(float(np.asarray(photo.image).mean()) - float(np.asarray(small).mean())) < 3


def test_exif_orientation_is_applied(selfie: Image.Image) -> None:
    # Pixels stored sideways with "rotate 90 CW to display" (orientation 6), as phones do.
    stored = selfie.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = decode_photo(encode(stored, "JPEG", exif=exif, quality=95), "a", **LIMITS)
    assert photo.size == selfie.size
    diff = np.abs(np.asarray(photo.image, np.int16) - np.asarray(selfie, np.int16)).mean()
    assert diff < 6


def test_cmyk_is_converted(selfie: Image.Image) -> None:
    photo = decode_photo(encode(selfie.convert("CMYK"), "JPEG", quality=95), "a", **LIMITS)
    assert photo.image.mode == "RGB"
    assert abs(float(np.asarray(photo.image).mean()) - float(np.asarray(selfie).mean())) < 8


def test_sixteen_bit_png_is_scaled_not_clipped(selfie: Image.Image) -> None:
    gray8 = np.asarray(selfie.convert("L"), dtype=np.uint16)
    sixteen = Image.fromarray(gray8 * 257)  # full 16-bit range
    assert sixteen.mode.startswith("I")
    photo = decode_photo(encode(sixteen, "PNG"), "a", **LIMITS)
    assert photo.image.mode == "RGB"
    assert abs(float(np.asarray(photo.image)[..., 0].mean()) - float(gray8.mean())) < 1.5


def test_palette_with_transparency_lands_on_white() -> None:
    palette = Image.new("P", (64, 64), 0)
    palette.putpalette([0, 0, 0, 200, 0, 0] + [0, 0, 0] * 254)
    palette.paste(1, (16, 16, 48, 48))
    photo = decode_photo(encode(palette, "PNG", transparency=0), "a", **LIMITS)
    assert photo.image.getpixel((0, 0)) == (255, 255, 255)
    assert photo.image.getpixel((32, 32)) == (200, 0, 0)
    alpha = Image.new("LA", (64, 64), (0, 0))
    alpha.paste((90, 255), (16, 16, 48, 48))
    photo = decode_photo(encode(alpha, "PNG"), "b", **LIMITS)
    assert photo.image.getpixel((0, 0)) == (255, 255, 255)
    assert photo.image.getpixel((32, 32)) == (90, 90, 90)


def test_zero_bytes_text_and_truncated_are_unreadable(selfie: Image.Image) -> None:
    assert rejected(b"").code == "unreadable"
    assert rejected(b"hello, this is not a photo\n" * 10).code == "unreadable"
    whole = encode(selfie, "JPEG", quality=90)
    assert rejected(whole[: len(whole) // 2]).code == "unreadable"


def test_too_many_bytes_is_too_large(selfie: Image.Image) -> None:
    data = encode(selfie, "JPEG")
    assert rejected(data, max_bytes=len(data) - 1).code == "too_large"


def test_too_many_pixels_is_too_large(selfie: Image.Image) -> None:
    assert rejected(encode(selfie, "JPEG"), max_pixels=selfie.width * selfie.height - 1).code == "too_large"


def test_decompression_bomb_is_too_large_without_a_warning() -> None:
    # 15000 x 15000 of one colour: tens of KB as a 1-bit PNG, 675 MB once decoded to RGB.
    bomb = encode(Image.new("1", (15000, 15000), 0), "PNG")
    assert len(bomb) < 2_000_000
    assert rejected(bomb, max_pixels=10**12).code == "too_large"
    assert rejected(bomb).code == "too_large"


def test_animations_are_refused(selfie: Image.Image) -> None:
    frames = [selfie.resize((64, 64)), selfie.resize((64, 64)).rotate(10)]
    for fmt in ("GIF", "PNG", "WEBP"):
        data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
        error = rejected(data)
        assert error.code == "unreadable"
        assert "animation" in error.user_message


def test_single_frame_gif_is_refused_as_unsupported(selfie: Image.Image) -> None:
    assert "JPEG, PNG, WebP or HEIC" in rejected(encode(selfie.resize((64, 64)), "GIF")).user_message


@pytest.mark.parametrize(
    "head",
    [
        struct.pack(">I", 24) + b"ftypisom" + b"\0" * 12 + b"mdat",  # MP4
        struct.pack(">I", 20) + b"ftypqt  " + b"\0" * 8,  # QuickTime .mov
        b"\x1a\x45\xdf\xa3" + b"\0" * 28,  # WebM / Matroska
    ],
)
def test_videos_are_refused(head: bytes) -> None:
    error = rejected(head + b"\0" * 1000)
    assert "video" in error.user_message


def test_damaged_exif_decodes_without_a_warning_escaping(selfie: Image.Image) -> None:
    """Regression (fuzzing): an EXIF tag claiming more data than the file holds made Pillow
    warn "Tag data larger than file", which escaped `decode_photo` (an error under -W error)."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make, ASCII
    raw = bytearray(exif.tobytes())
    entry = raw.index(struct.pack(">HH", 0x010F, 2))  # Pillow writes big-endian EXIF
    raw[entry + 4 : entry + 8] = struct.pack(">I", 0x00100000)  # count: 1 MB of "Make"
    small = selfie.copy()
    small.thumbnail((200, 200))
    photo = decode_photo(encode(small, "JPEG", exif=bytes(raw)), "a.jpg", **LIMITS)
    assert photo.image.mode == "RGB"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("evil\x00.jpg", "evil.jpg"),
        ("\u202egpj.exe", "gpj.exe"),
        ("x" * 5_000, "x" * 39 + "…"),
        ("photo 3", "photo 3"),
    ],
)
def test_upload_names_are_quoted_short_and_clean(name: str, shown: str) -> None:
    with pytest.raises(ImageRejectedError) as caught:
        decode_photo(b"not an image", name, **LIMITS)
    assert caught.value.user_message.startswith(shown + " is not a photo")

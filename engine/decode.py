"""Stage 0: turn an upload's bytes into a `Photo`, or refuse it with a message a user can act on.

Chat uploads are untrusted: phones send HEIC, MPO and rotated JPEGs, people send videos, GIFs,
screenshots with alpha, scanned CMYK files, and sometimes something hostile (a decompression
bomb). Everything here ends as either an upright RGB `Photo` within the limits or an
`ImageRejectedError` with a stable `code` (`unreadable` or `too_large`); nothing else escapes,
not even a Pillow warning.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import unicodedata
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.errors import ImageRejectedError
from engine.types import Photo

log = logging.getLogger(__name__)

ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "HEIF"})
"""Pillow format names we take. MPO is how Pillow names many phone JPEGs (extra frames are
depth maps or previews, not animation); HEIF is pillow-heif's name for HEIC/HEIF."""

SEND_A_PHOTO = "Please send a JPEG, PNG, WebP or HEIC photo."

_VIDEO_BRANDS = (
    b"isom",
    b"iso2",
    b"mp41",
    b"mp42",
    b"avc1",
    b"qt  ",
    b"M4V ",
    b"M4VP",
    b"3gp4",
    b"3gp5",
    b"3g2a",
)
_VIDEO_MAGIC = (b"\x1a\x45\xdf\xa3", b"FLV")  # Matroska/WebM, Flash video


def _register_heif() -> None:
    """pillow-heif registers itself with Pillow; idempotent, done on first use, not at import."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _looks_like_video(data: bytes) -> bool:
    head = data[:32]
    if head.startswith(_VIDEO_MAGIC):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return True
    return head[4:8] == b"ftyp" and head[8:12] in _VIDEO_BRANDS


MAX_SHOWN_NAME = 40
"""Longest upload name quoted back to a user: a 5,000-character file name must not make the
reply too long to send (Telegram refuses messages over 4,096 characters)."""


def shown_name(name: str) -> str:
    """`name` as it may appear in a reply: no control or bidi-override characters (a NUL,
    U+202E turning "gpj.exe" around), no folders, at most `MAX_SHOWN_NAME` characters."""
    visible = "".join(ch for ch in name if ch.isprintable() and unicodedata.category(ch) != "Cf")
    visible = visible.replace("\\", "/").rsplit("/", 1)[-1].strip() or "This file"
    if len(visible) > MAX_SHOWN_NAME:
        visible = visible[: MAX_SHOWN_NAME - 1] + "…"
    return visible


def _rejected(message: str, code: str = "unreadable") -> ImageRejectedError:
    return ImageRejectedError(message, code=code)


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB 8-bit from any mode: 16-bit and float are rescaled, alpha is laid on white."""
    mode = image.mode
    if mode in {"I;16", "I;16L", "I;16B", "I;16N", "I"}:
        values = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if mode != "I" or values.max(initial=0) > 255 else 255.0
        image = Image.fromarray(np.clip(values / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    elif mode == "F":
        values = np.asarray(image, dtype=np.float64)
        peak = 1.0 if values.max(initial=0) <= 1.0 else 255.0
        image = Image.fromarray(np.clip(values / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    has_alpha = image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def _frames(image: Image.Image) -> int:
    return int(getattr(image, "n_frames", 1) or 1)


def decode_photo(
    data: bytes, name: str, *, max_bytes: int, max_pixels: int, max_side: int | None = None
) -> Photo:
    """Decode `data` into an upright RGB `Photo`.

    `max_side` lets JPEGs decode at a reduced scale (1/2, 1/4, 1/8: libjpeg's DCT scaling,
    several times faster) while the long side stays at least `max_side`; the pixel limit
    applies to the stored size, before any reduction.

    Raises `ImageRejectedError` with code `too_large` (bytes or pixels over the limits, a
    decompression bomb) or `unreadable` (empty, truncated, not an image, animated, a video).
    """
    label = shown_name(name)
    if not data:
        raise _rejected(f"{label} is empty (0 bytes). {SEND_A_PHOTO}")
    if len(data) > max_bytes:
        raise _rejected(
            f"{label} is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB. "
            "Send it compressed (as a photo, not a file).",
            "too_large",
        )
    if _looks_like_video(data):
        raise _rejected(f"{label} looks like a video. Send still photos, not videos.")
    _register_heif()
    with warnings.catch_warnings():
        # Pillow warns (and past 2x errors) on huge images; we enforce our own pixel limit. It
        # also warns on damaged metadata ("Tag data larger than file", corrupt EXIF): the pixels
        # are what we judge, so those are ignored too rather than escaping as a crash under
        # `-W error` (found by tests/engine/test_fuzz_intake.py).
        warnings.simplefilter("ignore")
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise _rejected(
                f"{label} has too many pixels to process. Send a smaller photo.", "too_large"
            ) from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise _rejected(f"{label} is not a photo we can read. {SEND_A_PHOTO}") from exc
        return _decode_opened(image, data, name, label=label, max_pixels=max_pixels, max_side=max_side)


def _decode_opened(
    image: Image.Image, data: bytes, name: str, *, label: str, max_pixels: int, max_side: int | None
) -> Photo:
    source_format = str(image.format or "")
    if source_format not in ACCEPTED_FORMATS:
        if source_format == "GIF" and _frames(image) > 1:
            raise _rejected(f"{label} is an animation. Send still photos.")
        raise _rejected(f"{label} is a {source_format or 'file'} we do not take. {SEND_A_PHOTO}")
    if source_format in {"PNG", "WEBP"} and (getattr(image, "is_animated", False) or _frames(image) > 1):
        raise _rejected(f"{label} is an animation. Send still photos.")
    width, height = image.size
    if width * height > max_pixels:
        raise _rejected(
            f"{label} is {width}x{height} pixels, over the {max_pixels / 1e6:.0f}-megapixel limit. "
            "Send a smaller photo.",
            "too_large",
        )
    if width < 1 or height < 1:
        raise _rejected(f"{label} has no pixels. {SEND_A_PHOTO}")
    if max_side is not None and source_format in {"JPEG", "MPO"} and max(width, height) > 2 * max_side:
        factor = max_side / max(width, height)
        image.draft("RGB", (math.ceil(width * factor), math.ceil(height * factor)))
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
        rgb = _to_rgb(upright if upright is not None else image)
    except Image.DecompressionBombError as exc:
        raise _rejected(
            f"{label} has too many pixels to process. Send a smaller photo.", "too_large"
        ) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        log.info("cannot decode %s: %s", label, exc)
        raise _rejected(
            f"{label} is damaged or incomplete (the upload may have been cut off). Send it again."
        ) from exc
    return Photo(
        name=name,
        image=rgb,
        sha256=hashlib.sha256(data).hexdigest(),
        source_format=source_format,
        source_bytes=len(data),
    )

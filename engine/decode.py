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

from PIL import Image, UnidentifiedImageError

from engine.errors import ImageRejectedError
from engine.pixels import LARGE_DECODES, LargeDecodes, decoded_bytes, reduction, to_rgb8
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


ORIENTATION = 0x0112
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""EXIF orientation -> the transposition that makes the photo upright (as `ImageOps.exif_transpose`)."""


def _rejected(message: str, code: str = "unreadable") -> ImageRejectedError:
    return ImageRejectedError(message, code=code)


def _frames(image: Image.Image) -> int:
    return int(getattr(image, "n_frames", 1) or 1)


def decode_photo(
    data: bytes,
    name: str,
    *,
    max_bytes: int,
    max_pixels: int,
    max_side: int | None = None,
    large_decodes: LargeDecodes = LARGE_DECODES,
) -> Photo:
    """Decode `data` into an upright RGB `Photo`.

    `max_side` reduces big images while the long side stays at least `max_side`: JPEGs decode
    at a reduced scale (1/2, 1/4, 1/8: libjpeg's DCT scaling, several times faster), HEICs
    from an embedded thumbnail when one is big enough, and the rest (PNG, WebP: Pillow has no
    scaled decoder for them) are reduced band by band straight after decoding, before any
    conversion (`engine.pixels`). The pixel limit applies to the stored size, before any
    reduction. Big decodes run on `large_decodes`' few threads, so a burst of huge uploads takes turns.

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
        return _decode_opened(
            image,
            data,
            name,
            label=label,
            max_pixels=max_pixels,
            max_side=max_side,
            large_decodes=large_decodes,
        )


def _decode_opened(
    image: Image.Image,
    data: bytes,
    name: str,
    *,
    label: str,
    max_pixels: int,
    max_side: int | None,
    large_decodes: LargeDecodes,
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
    if max_side is not None and max(width, height) > 2 * max_side and source_format != "PNG":
        # Decode at a reduced scale where the format can: libjpeg's DCT scaling (1/2..1/8), or
        # a HEIC's embedded scaled thumbnail when it is big enough.
        factor = max_side / max(width, height)
        image.draft("RGB", (math.ceil(width * factor), math.ceil(height * factor)))
    factor = reduction(image.size, max_side)
    cost = decoded_bytes(image.mode, image.size)

    def load_upright() -> Image.Image:
        image.load()
        orientation = image.getexif().get(ORIENTATION, 1)
        rgb = to_rgb8(image, factor)
        if rgb is not image:
            image.close()  # the full-size copy goes now, not when the caller lets go
        method = UPRIGHT.get(orientation)
        return rgb if method is None else rgb.transpose(method)

    try:
        rgb = large_decodes.run(cost, load_upright)
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

"""Hostile uploads for the intake: real photos in four formats, mutated by hypothesis.

Shared by `tests/engine/test_fuzz_intake.py` (a short run in CI) and `bench/fuzz_intake.py`
(the recorded 10,000-case run). The contract checked for every case: `decode_photo` returns
an RGB photo within the limits or raises `ImageRejectedError` with a stable code and a
message a person can act on; the `Assessor` never raises and reports `unreadable` /
`too_large` instead. Anything else (another exception type, a warning turned error, a hang
past the deadline) is a bug in the intake.
"""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from PIL import Image

from engine.decode import decode_photo
from engine.errors import ImageRejectedError
from engine.intake import Assessor
from engine.types import IssueCode

FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
LIMITS: dict[str, Any] = {"max_bytes": 2_000_000, "max_pixels": 4_000_000}
REJECT_CODES = frozenset({"unreadable", "too_large"})
SEED_SIDE = 160
"""Small seeds keep one case to a few milliseconds, so 10,000 of them fit in minutes."""


def seed_files(photo: Path) -> dict[str, bytes]:
    """One real selfie, downscaled and encoded in each accepted format (EXIF kept for JPEG)."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    with Image.open(photo) as source:
        exif = source.getexif()
        image = source.convert("RGB")
    image.thumbnail((SEED_SIDE, SEED_SIDE))
    seeds: dict[str, bytes] = {}
    for fmt in FORMATS:
        buffer = io.BytesIO()
        options: dict[str, object] = {"quality": 80}
        if fmt == "JPEG":
            options["exif"] = exif.tobytes()
        if fmt == "PNG":
            options = {}
        image.save(buffer, format=fmt, **options)
        seeds[fmt] = buffer.getvalue()
    return seeds


@st.composite
def _mutation(draw: st.DrawFn, size: int) -> tuple[str, int, bytes]:
    kind = draw(st.sampled_from(("flip", "overwrite", "insert", "delete", "truncate", "header")))
    # Headers matter most: half the positions land in the first 64 bytes.
    position = draw(st.one_of(st.integers(0, min(63, size - 1)), st.integers(0, size - 1)))
    payload = draw(st.binary(min_size=1, max_size=16))
    return kind, position, payload


def apply(data: bytes, mutations: list[tuple[str, int, bytes]]) -> bytes:
    """Apply byte mutations in order; positions wrap so every mutation does something."""
    buf = bytearray(data)
    for kind, position, payload in mutations:
        if not buf:
            break
        pos = position % len(buf)
        if kind == "flip":
            buf[pos] ^= payload[0] or 0xFF
        elif kind == "overwrite":
            buf[pos : pos + len(payload)] = payload
        elif kind == "insert":
            buf[pos:pos] = payload
        elif kind == "delete":
            del buf[pos : pos + len(payload)]
        elif kind == "truncate":
            del buf[max(1, pos) :]
        else:  # "header": big-endian or little-endian 0xFFFF / 0x7FFFFFFF where sizes live
            big = struct.pack(">I", 0x7FFFFFFF) if payload[0] % 2 else b"\xff\xff"
            buf[pos : pos + len(big)] = big
    return bytes(buf)


def mutated_uploads(seeds: dict[str, bytes]) -> st.SearchStrategy[tuple[str, bytes]]:
    """(format, bytes): a seed with 1-6 mutations."""

    @st.composite
    def build(draw: st.DrawFn) -> tuple[str, bytes]:
        fmt = draw(st.sampled_from(FORMATS))
        data = seeds[fmt]
        mutations = draw(st.lists(_mutation(len(data)), min_size=1, max_size=6))
        return fmt, apply(data, mutations)

    return build()


@dataclass
class FuzzStats:
    """Outcomes and the slowest case, for the bench's record."""

    outcomes: Counter[str] = field(default_factory=Counter)
    slowest_s: float = 0.0
    total_s: float = 0.0

    def add(self, outcome: str, seconds: float) -> None:
        self.outcomes[outcome] += 1
        self.slowest_s = max(self.slowest_s, seconds)
        self.total_s += seconds


def check_decode(data: bytes, name: str, stats: FuzzStats | None = None) -> str:
    """One case through `decode_photo`; asserts the contract and returns the outcome."""
    started = time.perf_counter()
    try:
        photo = decode_photo(data, name, **LIMITS)
    except ImageRejectedError as exc:
        assert exc.code in REJECT_CODES, exc.code  # noqa: PT017 - a property, not one expected raise
        assert_friendly(exc.user_message, name)
        outcome = exc.code
    else:
        assert photo.image.mode == "RGB"
        width, height = photo.image.size
        assert width >= 1
        assert height >= 1
        assert width * height <= LIMITS["max_pixels"]
        outcome = "decoded"
    if stats is not None:
        stats.add(outcome, time.perf_counter() - started)
    return outcome


def check_assess(assessor: Assessor, data: bytes, name: str, stats: FuzzStats | None = None) -> str:
    """One case through the `Assessor`: never raises; a refusal is a report code."""
    started = time.perf_counter()
    result = assessor.assess(data, name)
    codes = set(result.report.codes)
    if result.assessed is None:
        assert codes & {IssueCode.UNREADABLE.value, IssueCode.TOO_LARGE.value}, codes
        assert result.signature.ok is False
        outcome = "refused"
    else:
        outcome = "ok" if result.report.ok else "judged"
    for issue in result.report.issues:
        assert_friendly(issue.message, name)
    if stats is not None:
        stats.add(outcome, time.perf_counter() - started)
    return outcome


def assert_friendly(message: str, name: str) -> None:
    """A sentence for a person: names the upload or says what to do, no Python internals."""
    assert message.strip(), "empty message"
    assert len(message) < 400, message
    for internal in ("Traceback", "Error:", "errno", "0x", "<", "PIL", "cannot identify"):
        assert internal not in message, message
    _ = name


# Hand-made hostile files (not mutations): bombs, huge headers, polyglots.


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(side: int) -> bytes:
    """A valid PNG of `side` x `side` black pixels: a few KB compressed, side**2 bytes raw."""
    raw = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * side
    body = b"".join(raw.compress(row) for _ in range(side)) + raw.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", body) + png_chunk(b"IEND", b"")
    )


def png_with_dimensions(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height` but holds almost no data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def jpeg_with_dimensions(jpeg: bytes, width: int, height: int) -> bytes:
    """`jpeg` with its SOF0/SOF2 frame header rewritten to claim `width` x `height`."""
    data = bytearray(jpeg)
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            break
        marker = data[index + 1]
        length = struct.unpack(">H", data[index + 2 : index + 4])[0]
        if marker in {0xC0, 0xC1, 0xC2}:
            data[index + 5 : index + 9] = struct.pack(">HH", height, width)
            return bytes(data)
        index += 2 + length
    msg = "no SOF marker found"
    raise ValueError(msg)


def zip_archive() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.js", "alert(1)")
    return buffer.getvalue()

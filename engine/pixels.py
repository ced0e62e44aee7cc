"""Decoded pixels of any mode to 8-bit RGB, a band at a time, reduced on the way.

A hostile upload can be small on the wire and huge in memory: a 95 KB 16-bit PNG of
7000x7000 pixels is 98 MB once decoded, and the obvious conversion (the whole image as
float64, scaled, clipped, cast) briefly needs more than ten times that. Here the decoded image
is the only full-size copy: each band of rows is cropped, converted with integer arithmetic,
reduced by the integer `factor` and pasted into the (already small) result. Peak memory is the
decoded image plus the result plus one band.

`LargeDecodes` runs the decodes of big images on a small pool of threads, so ten such uploads
arriving together take turns instead of adding up.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

import numpy as np
from PIL import Image

MB: Final = 1024 * 1024
BAND_PIXELS: Final = 1 << 20
"""About this many source pixels per band (4 MB of RGBA)."""
SIXTEEN_BIT: Final = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_ALPHA: Final = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
T = TypeVar("T")


def decoded_bytes(mode: str, size: tuple[int, int]) -> int:
    """What Pillow keeps for an image of `mode` and `size` (RGB is stored 4 bytes a pixel)."""
    per_pixel = 1 if mode in {"1", "L", "P"} else 2 if mode in SIXTEEN_BIT else 4
    return size[0] * size[1] * per_pixel


def reduction(size: tuple[int, int], min_side: int | None) -> int:
    """The integer factor that keeps the long side at least `min_side` (1: keep the size)."""
    if min_side is None or max(size) <= 2 * min_side:
        return 1
    return max(1, max(size) // min_side)


def _peak(image: Image.Image) -> float:
    """The value that maps to 255: 65535 for 16-bit data, else what the extrema suggest."""
    if image.mode in SIXTEEN_BIT:
        return 65535.0
    if image.mode not in {"I", "F"}:
        return 255.0
    low_high = image.getextrema()
    high = float(low_high[1]) if isinstance(low_high, tuple) else 0.0  # type: ignore[arg-type]
    if image.mode == "F":
        return 1.0 if high <= 1.0 else 255.0
    return 65535.0 if high > 255 else 255.0


@functools.cache
def _lookup(peak: int) -> np.ndarray[tuple[int], np.dtype[np.uint8]]:
    """0..peak -> 0..255, rounded: one table lookup per pixel instead of arithmetic."""
    return ((np.arange(peak + 1, dtype=np.uint32) * 255 + peak // 2) // peak).astype(np.uint8)


def _band_rgb(band: Image.Image, peak: float) -> Image.Image:
    """One band as 8-bit L or RGB: high-bit-depth values rescaled (a table lookup, or float32
    for float data), alpha laid on white. Grey stays grey until it is reduced: less to reduce."""
    if band.mode in SIXTEEN_BIT or band.mode == "I":
        values = np.asarray(band)
        if band.mode == "I":
            values = np.clip(values, 0, int(peak))
        band = Image.fromarray(_lookup(int(peak))[values], "L")
    elif band.mode == "F":
        values32 = np.asarray(band, dtype=np.float32)
        band = Image.fromarray(np.clip(values32 / np.float32(peak) * 255 + 0.5, 0, 255).astype(np.uint8), "L")
    if band.mode in _ALPHA or (band.mode == "P" and "transparency" in band.info):
        rgba = band.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return band if band.mode in {"RGB", "L"} else band.convert("RGB")


def to_rgb8(image: Image.Image, factor: int = 1) -> Image.Image:
    """`image` (loaded, any mode) as 8-bit RGB, reduced by `factor` (box filter), in bands."""
    if image.mode == "RGB" and factor == 1:
        return image
    width, height = image.size
    rows = max(factor, BAND_PIXELS // max(width, 1) // factor * factor)
    peak = _peak(image)
    out = Image.new("RGB", (math.ceil(width / factor), math.ceil(height / factor)))
    for top in range(0, height, rows):
        band = _band_rgb(image.crop((0, top, width, min(height, top + rows))), peak)
        band = band.reduce(factor) if factor > 1 else band
        out.paste(band if band.mode == "RGB" else band.convert("RGB"), (0, top // factor))
    return out


class LargeDecodes:
    """Where decodes of big images run: a pool of `workers` threads, so a burst of them waits
    its turn instead of adding up.

    A pool rather than a counter, because of how memory is given back: glibc gives every
    thread its own heap, and pixels freed in one are kept for that thread's next allocation
    rather than returned. Ten threads each decoding a 100 MB image keep about 1 GB resident even
    when they take turns; two decode threads keep what two decodes need, and reuse it.
    Images under `min_bytes` decoded (ordinary phone photos) decode in the caller's thread.
    """

    def __init__(self, *, workers: int, min_bytes: int) -> None:
        self.workers = workers
        self.min_bytes = min_bytes
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, cost: int, decode: Callable[[], T]) -> T:
        """`decode()`'s result, run on the pool when `cost` (decoded bytes) is large."""
        if cost < self.min_bytes:
            return decode()
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="large-decode")
            pool = self._pool
        return pool.submit(decode).result()


LARGE_DECODES: Final = LargeDecodes(workers=2, min_bytes=64 * MB)
"""The process's pool: a 12 MP phone JPEG (48 MB decoded) stays in its own thread; with the
bot's models loaded, ten 16-bit bombs at once stay under 1.5 GB (measured by
`bench/bench_decode_memory.py`, see docs/reliability.md)."""

"""Hostile uploads that cost memory: a 95 KB 16-bit PNG bomb decodes without float64 copies,
big PNGs are reduced while they are converted, and a burst of them takes turns."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from PIL import Image

from engine.decode import decode_photo
from engine.pixels import MB, LargeDecodes, to_rgb8

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
LIMITS: dict[str, Any] = {"max_bytes": 25_000_000, "max_pixels": 50_000_000}

BOMB_SIDE = 7000


def sixteen_bit_bomb(side: int = BOMB_SIDE) -> bytes:
    """A 16-bit greyscale PNG, nearly all one value: ~95 KB on the wire, 98 MB decoded."""
    values = np.full((side, side), 40_000, dtype=np.uint16)
    values[: side // 2, : side // 2] = 65_535
    image = Image.frombytes("I;16", (side, side), values.tobytes())
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=9)
    return buffer.getvalue()


PEAK_SCRIPT = """
import resource, sys
from engine.decode import decode_photo
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
photo = decode_photo(data, "bomb.png", max_bytes=25_000_000, max_pixels=50_000_000, max_side=None)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024, photo.image.size[0], photo.image.getpixel((0, 0))[0])
"""


def test_sixteen_bit_bomb_decodes_without_float64(tmp_path: Path) -> None:
    """Full size (no reduction asked for): the decoded 98 MB, the RGB result (196 MB, Pillow
    keeps RGB in 4 bytes) and bands; the float64 conversion used to add over 1 GB."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(sixteen_bit_bomb())
    assert bomb.stat().st_size < 150_000
    done = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(bomb)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    grown_mb, width, corner = (int(v) for v in done.stdout.split())
    assert width == BOMB_SIDE
    assert corner == 255, "16-bit values are scaled, not clipped"
    assert grown_mb < 450, f"decoding grew the process by {grown_mb} MB"


def test_big_png_is_reduced_while_converting() -> None:
    """PNG has no scaled decoder, so the reduction happens band by band right after decoding,
    keeping the long side at least `max_side` as JPEG's DCT scaling does."""
    gradient = np.linspace(0, 255, 5000, dtype=np.uint8)
    rgb = np.stack([np.tile(gradient, (3000, 1))] * 3, axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "PNG", compress_level=1)
    photo = decode_photo(buffer.getvalue(), "big.png", max_side=1024, **LIMITS)
    assert 1024 <= max(photo.image.size) < 2048
    assert photo.image.size == (1250, 750)
    pixels = np.asarray(photo.image)
    assert pixels[300, 0, 0] < 5 < 250 < pixels[300, 1249, 0]


def test_banded_conversion_matches_whole_image_conversion() -> None:
    alpha = Image.new("RGBA", (1500, 1400), (10, 200, 30, 128))
    banded = to_rgb8(alpha)
    whole = Image.alpha_composite(Image.new("RGBA", alpha.size, (255,) * 4), alpha).convert("RGB")
    assert np.array_equal(np.asarray(banded), np.asarray(whole))
    reduced = to_rgb8(alpha, 3)
    assert reduced.size == (500, 467)
    assert np.abs(np.asarray(reduced, np.int16) - np.asarray(whole.reduce(3), np.int16)).max() <= 1


class CountingDecodes(LargeDecodes):
    """The real pool, counting how many decodes ran on it at once, and where."""

    def __init__(self, *, workers: int, min_bytes: int) -> None:
        super().__init__(workers=workers, min_bytes=min_bytes)
        self.running = 0
        self.most = 0
        self.threads: set[str] = set()
        self._count = threading.Lock()

    def run(self, cost: int, decode: Callable[[], T]) -> T:
        def counted() -> T:
            with self._count:
                self.running += 1
                self.most = max(self.most, self.running)
                self.threads.add(threading.current_thread().name)
            try:
                return decode()
            finally:
                with self._count:
                    self.running -= 1

        return super().run(cost, counted)


def test_a_burst_of_bombs_takes_turns_on_two_threads() -> None:
    """Ten bombs at once: two decode at a time, always on the same two threads (whose freed
    memory the next decode reuses), while a small photo decodes in its caller's thread."""
    bomb = sixteen_bit_bomb(3000)  # 18 MB decoded each
    pool = CountingDecodes(workers=2, min_bytes=8 * MB)
    errors: list[BaseException] = []

    def decode() -> None:
        try:
            decode_photo(bomb, "bomb.png", max_side=1024, large_decodes=pool, **LIMITS)
        except BaseException as exc:  # noqa: BLE001 -- reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=decode) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    assert pool.most == 2
    assert len(pool.threads) == 2
    assert all(name.startswith("large-decode") for name in pool.threads)

    small = io.BytesIO()
    Image.new("RGB", (640, 480), (1, 2, 3)).save(small, "PNG")
    decode_photo(small.getvalue(), "small.png", large_decodes=pool, **LIMITS)
    assert threading.current_thread().name in pool.threads

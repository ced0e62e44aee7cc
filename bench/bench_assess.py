"""Intake speed and memory: one 12-megapixel photo, a set of 15, model load, peak RSS.

Run: PYTHONPATH=. python bench/bench_assess.py   (figures go to docs/benchmarks.md)
"""

from __future__ import annotations

import io
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.faces import DlibFaceAnalyzer  # noqa: E402
from engine.intake import Assessor  # noqa: E402

FACES = Path(os.environ.get("HEADSHOTS_SHARED", REPO.parent / "shared")) / "faces"
ROUNDS = 15


def twelve_megapixel_jpeg(path: Path) -> bytes:
    """A shared selfie upscaled to 4000x3000 (12 MP), saved as a phone would (quality 90)."""
    image = Image.open(path).convert("RGB")
    scale = (12_000_000 / (image.width * image.height)) ** 0.5
    big = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def selfie_set() -> list[tuple[bytes, str]]:
    """15 uploads of one person: person_a's 8 photos as sent, plus 7 of them mirrored."""
    paths = sorted((FACES / "person_a").glob("selfie_*.jpg"))
    uploads = [(p.read_bytes(), p.name) for p in paths]
    for path in paths[:7]:
        buffer = io.BytesIO()
        Image.open(path).convert("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(
            buffer, "JPEG", quality=90
        )
        uploads.append((buffer.getvalue(), f"mirrored_{path.name}"))
    return uploads


def main() -> None:
    started = time.perf_counter()
    analyzer = DlibFaceAnalyzer()
    load_s = time.perf_counter() - started
    assessor = Assessor(analyzer, max_bytes=50_000_000, max_pixels=50_000_000, min_photos=8)
    photo = twelve_megapixel_jpeg(FACES / "person_a" / "selfie_03.jpg")
    assessor.assess(photo, "warm-up")
    times, cpu = [], []
    for _ in range(ROUNDS):
        cpu_started = time.process_time()
        result = assessor.assess(photo, "12mp.jpg")
        cpu.append(time.process_time() - cpu_started)
        times.append(result.seconds)
    size = Image.open(io.BytesIO(photo)).size
    uploads = selfie_set()
    set_started = time.perf_counter()
    signatures = [assessor.assess(data, name).signature for data, name in uploads]
    verdict = assessor.assess_set(signatures)
    set_s = time.perf_counter() - set_started
    recheck_started = time.perf_counter()
    for _ in range(100):
        assessor.assess_set(signatures)
    recheck_ms = (time.perf_counter() - recheck_started) * 10
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average {load}, {sys.version.split()[0]}"
    )
    print(f"model load (dlib): {load_s:.2f} s")
    print(
        f"12 MP photo {size[0]}x{size[1]} ({len(photo) / 1e6:.1f} MB): "
        f"median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms over {ROUNDS}; "
        f"CPU time median {statistics.median(cpu) * 1000:.0f} ms"
    )
    print(
        f"set of {len(uploads)} person_a photos (330x512 to 2500x1728): {set_s:.2f} s; "
        f"verdict: {verdict.readiness.message}"
    )
    print(f"set re-check from stored signatures: {recheck_ms:.2f} ms")
    print(f"peak RSS: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()

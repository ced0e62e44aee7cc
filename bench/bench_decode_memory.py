"""Memory under a burst of decompression bombs: ten 95 KB 16-bit 7000x7000 PNGs at once.

The bot's intake as `headshots serve` runs it: the engine loaded (dlib face models, preview
backend), then ten threads (what ten `asyncio.to_thread` verdicts are) call
`Assessor.assess` on the bomb at the same moment. A sampler reads the process's resident set
every 5 ms; the figure is the peak during the burst, next to the resident set before it.

Run: PYTHONPATH=. python bench/bench_decode_memory.py [--decode-threads N] [--uploads 10]
(`--decode-threads 10` shows the burst with every decode at once; figures go to
docs/reliability.md)
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.pipeline import load_engine_resources  # noqa: E402
from engine.pixels import LARGE_DECODES  # noqa: E402

SIDE = 7000


def bomb() -> bytes:
    values = np.full((SIDE, SIDE), 40_000, dtype=np.uint16)
    values[: SIDE // 2, : SIDE // 2] = 65_535
    buffer = io.BytesIO()
    Image.frombytes("I;16", (SIDE, SIDE), values.tobytes()).save(buffer, "PNG", compress_level=9)
    return buffer.getvalue()


def rss_mb() -> float:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class PeakSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decode-threads", type=int, default=None, help="override the large-decode pool")
    parser.add_argument("--uploads", type=int, default=10)
    args = parser.parse_args()
    if args.decode_threads is not None:
        LARGE_DECODES.workers = args.decode_threads
    engine = load_engine_resources(min_selfies=8)
    data = bomb()
    engine.assessor.assess(data, "warm-up.png")
    before = rss_mb()
    sampler = PeakSampler()
    sampler.start()
    barrier = threading.Barrier(args.uploads)
    verdicts: list[str] = []

    def upload(index: int) -> None:
        barrier.wait()
        assessment = engine.assessor.assess(data, f"bomb_{index}.png")
        verdicts.append(",".join(assessment.report.codes) or "ok")

    started = time.perf_counter()
    threads = [threading.Thread(target=upload, args=(i,)) for i in range(args.uploads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"upload: {len(data) / 1000:.0f} KB, 16-bit greyscale PNG {SIDE}x{SIDE}")
    print(f"large-decode threads: {LARGE_DECODES.workers}; uploads at once: {args.uploads}")
    print(f"resident before the burst: {before:.0f} MB")
    print(f"peak during the burst:     {sampler.peak:.0f} MB (+{sampler.peak - before:.0f} MB)")
    print(f"burst took {seconds:.1f} s; verdicts: {sorted(set(verdicts))}")


if __name__ == "__main__":
    main()

"""The recorded fuzz run of the intake: N mutated JPEG/PNG/WebP/HEIC uploads (default 10,000)
through `decode_photo`, and N // 10 through the whole `Assessor` (face models included).

Same strategy and contract as `tests/engine/test_fuzz_intake.py` (see `tests/engine/fuzzing.py`);
prints the outcome counts, the slowest case and the mean time per case. A contract breach
stops the run with hypothesis' minimal failing example.

    PYTHONPATH=$PWD python bench/fuzz_intake.py [--examples 10000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from engine.faces import DlibFaceAnalyzer
from engine.intake import Assessor
from tests.engine import fuzzing

FACES = Path(os.environ.get("HEADSHOTS_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "faces"


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=5),
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    args = parser.parse_args()
    seeds = fuzzing.seed_files(min((FACES / "person_a").glob("selfie_*.jpg")))
    decode_stats = fuzzing.FuzzStats()

    @_settings(args.examples)
    @given(case=fuzzing.mutated_uploads(seeds))
    def decode_case(case: tuple[str, bytes]) -> None:
        fmt, data = case
        fuzzing.check_decode(data, f"upload.{fmt.lower()}", decode_stats)

    assessor = Assessor(DlibFaceAnalyzer(), max_bytes=2_000_000, max_pixels=4_000_000, min_photos=8)
    assess_stats = fuzzing.FuzzStats()

    @_settings(max(1, args.examples // 10))
    @given(case=fuzzing.mutated_uploads(seeds))
    def assess_case(case: tuple[str, bytes]) -> None:
        fmt, data = case
        fuzzing.check_assess(assessor, data, f"upload.{fmt.lower()}", assess_stats)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    for label, run, stats in (
        ("decode_photo", decode_case, decode_stats),
        ("Assessor", assess_case, assess_stats),
    ):
        started = time.perf_counter()
        run()
        wall = time.perf_counter() - started
        cases = sum(stats.outcomes.values())
        print(
            f"{label}: {cases} cases in {wall:.1f} s, no contract breach; "
            f"outcomes {dict(sorted(stats.outcomes.items()))}; "
            f"mean {stats.total_s / max(1, cases) * 1000:.1f} ms, slowest {stats.slowest_s * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()

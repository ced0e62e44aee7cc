"""Preview, post-processing and ranking speed, and peak memory, on this machine's CPU.

Run: PYTHONPATH=. python bench/bench_pipeline.py [--images 20] [--rank 100]
Figures go to docs/benchmarks.md under "Pipeline, preview and ranking (issue 6)".
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.crops import crop_face  # noqa: E402
from engine.pipeline import PipelineRequest, best_selfies, load_engine_resources, run_pipeline  # noqa: E402
from engine.progress import CancelToken, ignore_progress  # noqa: E402
from engine.prompts import build_request  # noqa: E402
from engine.ranking import rank_candidates  # noqa: E402
from engine.types import Candidate  # noqa: E402
from engine.variations import plan_variations  # noqa: E402

FACES = REPO.parent / "shared" / "faces" / "person_a"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--rank", type=int, default=100)
    parser.add_argument("--skip-pipeline", action="store_true", help="only the per-image figures")
    args = parser.parse_args()

    started = time.perf_counter()
    resources = load_engine_resources(min_selfies=5)
    print(f"load engine resources (dlib, styles, preview): {time.perf_counter() - started:.2f} s")
    selfies = [(p.name, p.read_bytes()) for p in sorted(FACES.glob("*.jpg"))]
    assessments = [resources.assessor.assess(data, name) for name, data in selfies]
    verdict = resources.assessor.assess_set([a.signature for a in assessments])
    assert verdict.profile is not None
    best = best_selfies(assessments, verdict.usable, verdict.similarities)
    references = [crop_face(s.photo, s.face, 1024) for s in best if s.face is not None]
    template = resources.styles.get("corporate")
    specs = plan_variations(template, [], references, count=args.images, seed=1)
    backend = resources.backend("preview")

    preview_times, finish_times, cpu_times = [], [], []
    finished: list[Candidate] = []
    for spec in specs:
        request = build_request(template, [spec], verdict.profile, references)
        request = dataclasses.replace(request, reference_selfies=tuple(best))
        t0, c0 = time.perf_counter(), time.process_time()
        candidate = backend.generate(request, progress=ignore_progress, cancel=CancelToken())[0]
        t1 = time.perf_counter()
        finished.append(resources.postprocessor.finish(candidate, template.postprocess))
        t2 = time.perf_counter()
        preview_times.append(t1 - t0)
        finish_times.append(t2 - t1)
        cpu_times.append(time.process_time() - c0)
    total = [a + b for a, b in zip(preview_times, finish_times, strict=True)]
    print(
        f"preview look at 1024 px: median {statistics.median(preview_times):.3f} s, "
        f"max {max(preview_times):.3f} s"
    )
    print(f"upscale + detail to 2048: median {statistics.median(finish_times):.3f} s")
    print(
        f"preview image, 2048 px delivered: median {statistics.median(total):.3f} s, "
        f"max {max(total):.3f} s ({len(total)} images); "
        f"process CPU median {statistics.median(cpu_times):.3f} s, load average {os.getloadavg()[0]:.1f}"
    )

    raw = [
        dataclasses.replace(c, params={})
        for c in (Candidate(f.image.resize((1024, 1024)), 0) for f in finished[:5])
    ]
    full_times = []
    for candidate in raw:
        t0 = time.perf_counter()
        resources.postprocessor.finish(candidate, template.postprocess)
        full_times.append(time.perf_counter() - t0)
    print(
        "full post-processing of a raw 1024 candidate to 2048 (detect, background, colour, retouch, "
        f"grade, upscale, detail): median {statistics.median(full_times):.3f} s"
    )

    pool = [finished[i % len(finished)] for i in range(args.rank)]
    t0 = time.perf_counter()
    ranking = rank_candidates(pool, verdict.profile, resources.analyzer, keep=12, template=template)
    seconds = time.perf_counter() - t0
    print(
        f"ranking {args.rank} candidates of 2048 px: {seconds:.2f} s "
        f"({1000 * seconds / args.rank:.0f} ms each), "
        f"{len(ranking.kept)} kept, {len(ranking.rejected)} dropped"
    )

    if args.skip_pipeline:
        return
    t0 = time.perf_counter()
    album = run_pipeline(
        PipelineRequest(selfies=selfies, style="corporate", count=args.images, keep=12, seed=2), resources
    )
    print(
        f"whole pipeline, {args.images} preview candidates: {time.perf_counter() - t0:.1f} s, "
        f"{len(album)} in album, stages {album.stats['seconds']}"
    )
    print(f"peak resident memory: {_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

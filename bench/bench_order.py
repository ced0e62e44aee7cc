"""Order time, preview and tiny diffusers backends, on this machine's CPU (issue 17).

Times `run_pipeline` for one order. Run it against two checkouts to compare code versions:

    PYTHONPATH=. python bench/bench_order.py --backend preview --count 40 --keep 12
    HEADSHOTS_CODE=/path/to/old/checkout python bench/bench_order.py --backend tiny-diffusers

`HEADSHOTS_CODE` picks the checkout whose `engine` is imported (default: this one). The tiny
diffusers backend is the random-weight SDXL of the tests (its output is noise, so every
candidate is dropped: the figure is the cost of what the pipeline does around the model).
Figures go to docs/benchmarks.md under "Order time (issue 17)".
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]
CODE = Path(os.environ.get("HEADSHOTS_CODE", HERE)).resolve()
sys.path.insert(0, str(CODE))
sys.path.insert(1, str(HERE))

from engine.pipeline import PipelineRequest, load_engine_resources, run_pipeline  # noqa: E402

FACES = HERE.parent / "shared" / "faces" / "person_a"


def tiny_diffusers(folder: Path) -> Any:
    """The tests' tiny random SDXL with a FaceID adapter sized for dlib's 128-D embeddings."""
    from tests.engine.tiny_sdxl import load_tiny_backend, save_tiny_models

    adapter = folder / "faceid-128"
    adapter.mkdir()
    return load_tiny_backend(save_tiny_models(folder / "models"), adapter, embed_dim=128)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("preview", "tiny-diffusers"), default="preview")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--keep", type=int, default=12)
    parser.add_argument("--size", type=int, default=1024, help="generation size (tiny diffusers)")
    args = parser.parse_args()
    import dataclasses

    resources = load_engine_resources(min_selfies=5)
    backend = "preview"
    if args.backend == "tiny-diffusers":
        with tempfile.TemporaryDirectory() as folder:
            loaded = tiny_diffusers(Path(folder))
        resources = dataclasses.replace(resources, backends={**resources.backends, "diffusers": loaded})
        backend = "diffusers"
    selfies = [(p.name, p.read_bytes()) for p in sorted(FACES.glob("*.jpg"))]
    request = PipelineRequest(
        selfies=selfies, style="corporate", count=args.count, keep=args.keep, seed=5, backend=backend,
        width=args.size, height=args.size, steps=2 if backend == "diffusers" else None,
    )  # fmt: skip
    started = time.perf_counter()
    album = run_pipeline(request, resources)
    seconds = time.perf_counter() - started
    print(
        f"code {CODE.name}: {args.backend}, {args.count} candidates at {args.size} px, keep {args.keep}: "
        f"{seconds:.1f} s, {len(album)} delivered; stages {album.stats['seconds']}"
    )


if __name__ == "__main__":
    main()

"""Order time, preview and tiny diffusers backends, on this machine's CPU (issue 17).

Times `run_pipeline` for one order. Run it against two checkouts to compare code versions:

    PYTHONPATH=. python bench/bench_order.py --backend preview --count 40 --keep 12
    HEADSHOTS_CODE=/path/to/old/checkout python bench/bench_order.py --backend tiny-diffusers

`HEADSHOTS_CODE` picks the checkout whose `engine` is imported (default: this one). The tiny
diffusers backend is the random-weight SDXL of the measured checkout's tests (its output is
noise, so every candidate is dropped: the figure is the cost of what the pipeline does around
the model). Wall time, process CPU time and the load average are printed: on a shared machine
the CPU time is the figure to compare.
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
    """The tests' tiny random SDXL (from the measured checkout's own tests) with a FaceID
    adapter sized for dlib's 128-D embeddings and the ControlNets that checkout's corporate
    style uses, built with calls every checkout since fa6d026 has."""
    from types import MappingProxyType

    import torch
    from diffusers import UNet2DConditionModel

    import tests.engine.tiny_sdxl as tiny
    from engine.generation.diffusers_backend import DiffusersBackend
    from engine.generation.options import GenerationOptions, ModelIds
    from engine.styles import StyleLibrary

    models = tiny.save_tiny_models(folder / "models")
    adapter = folder / "faceid-128"
    adapter.mkdir()
    unet = UNet2DConditionModel.from_pretrained(models.base, subfolder="unet")
    torch.save(tiny.faceid_state_dict(unet, embed_dim=128), adapter / tiny.IP_ADAPTER_WEIGHT)
    kinds = tuple(k for k in StyleLibrary.builtin().get("corporate").controlnets if k in models.controlnets)
    ids = ModelIds(
        base=models.base,
        ip_adapter=adapter,
        ip_adapter_weight=tiny.IP_ADAPTER_WEIGHT,
        controlnets=MappingProxyType({k: models.controlnets[k] for k in kinds}),
    )
    options = GenerationOptions(
        device="cpu", dtype="float32", controlnets=kinds, scheduler="euler", local_files_only=True
    )
    return DiffusersBackend.load(ids, options)


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
    load_before = os.getloadavg()[0]
    cpu_before = time.process_time()
    started = time.perf_counter()
    album = run_pipeline(request, resources)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    print(
        f"code {CODE.name}: {args.backend}, {args.count} candidates at {args.size} px, keep {args.keep}: "
        f"{seconds:.1f} s wall, {cpu:.1f} s process CPU, {len(album)} delivered; load average "
        f"{load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        f"stages {album.stats['seconds']}"
    )


if __name__ == "__main__":
    main()

"""Verdict burst: N photos at the same instant, judged in the bot or on K intake workers.

K = 0 is today's default (`HEADSHOTS_INTAKE=local`): the bot process judges every photo on
its verdict pool (one thread per core, model calls serialised). K >= 1 starts K real
`headshots intake --concurrency 1` processes on Redis and sends the burst through the
`QueuedAssessor` the bot uses with `HEADSHOTS_INTAKE=queue`. Photos are person_a's selfies
at `--side` px (what Telegram sends for a photo).

Printed per K: verdict latency p50/p99 (burst start to verdict), throughput, and for K = 0
the CPU seconds one verdict costs, which the capacity model in docs/benchmarks.md uses.

    PYTHONPATH=$PWD python bench/bench_intake.py --photos 24 --workers 0 1 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.load_test import pct, selfies
from bot.jobs.intake import QueuedAssessor, intake_queue
from bot.jobs.intake_worker import load_assessor
from bot.settings import Settings
from engine.intake import Assessor

REPO = Path(__file__).resolve().parents[1]
REDIS = os.environ.get("HEADSHOTS_BENCH_REDIS", "redis://127.0.0.1:6379/14")


def photos(count: int, side: int) -> list[bytes]:
    sources = selfies(side)
    return [sources[i % len(sources)] for i in range(count)]


def burst(assessor: Assessor, uploads: list[bytes], threads: int) -> list[float]:
    """Every upload handed over at once; seconds from then to each verdict."""
    start = time.perf_counter()

    def judge(item: tuple[int, bytes]) -> float:
        assessor.assess(item[1], f"photo {item[0]}")
        return time.perf_counter() - start

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(judge, enumerate(uploads, 1)))


def start_workers(count: int, settings: Settings, logs: Path) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HEADSHOTS_REDIS_URL": settings.redis_url,
        "HEADSHOTS_QUEUE_NAME": settings.queue_name,
        "HEADSHOTS_LOG_LEVEL": "WARNING",
    }
    workers = []
    for i in range(count):
        log = (logs / f"intake-{i}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "intake", "--name", f"bench-{i}", "--concurrency", "1"],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    deadline = time.monotonic() + 180
    for i in range(count):
        while f"bench-{i} ready" not in (logs / f"intake-{i}.log").read_text(errors="replace"):
            if time.monotonic() > deadline:
                sys.exit(f"intake worker {i} did not start; see {logs}")
            time.sleep(0.2)
    return workers


async def queued_burst(settings: Settings, local: Assessor, uploads: list[bytes]) -> list[float]:
    queue = intake_queue(settings)
    await queue.connect()
    try:
        remote = QueuedAssessor(local, queue, asyncio.get_running_loop(), timeout_s=300)
        return await asyncio.to_thread(burst, remote, uploads, settings.intake_in_flight)
    finally:
        await queue.disconnect()


def report(label: str, latencies: list[float], extra: str = "") -> None:
    wall = max(latencies)
    print(
        f"{label:<28} p50 {pct(latencies, 0.5):6.2f} s  p99 {pct(latencies, 0.99):6.2f} s  "
        f"{len(latencies) / wall:5.2f} verdicts/s {extra}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--side", type=int, default=1280)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    settings = Settings.model_validate(
        {"redis_url": REDIS, "queue_name": f"bench-{uuid.uuid4().hex[:8]}", "intake": "queue"}
    )
    uploads = photos(args.photos, args.side)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}")
    print(f"{args.photos} photos at {args.side} px, all at once")
    local = load_assessor(settings)
    local.assess(uploads[0], "warm-up")
    logs = Path("/tmp") / f"headshots-bench-intake-{uuid.uuid4().hex[:6]}"
    logs.mkdir()
    for count in args.workers:
        if count == 0:
            cpu = time.process_time()
            latencies = burst(local, uploads, os.cpu_count() or 2)
            per = (time.process_time() - cpu) / len(uploads)
            report("in the bot (local)", latencies, f" CPU {per * 1000:.0f} ms/verdict")
            continue
        workers = start_workers(count, settings, logs)
        try:
            latencies = asyncio.run(queued_burst(settings, local, uploads))
            report(f"{count} intake worker(s)", latencies)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)
    print(f"load after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

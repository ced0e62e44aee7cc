"""Queue overhead per job and listing 1,000 queued jobs with positions.

    PYTHONPATH=. python bench/bench_queue.py [--jobs 20] [--redis redis://127.0.0.1:6379/15]

Overhead is measured on the real code path with the real pipeline (preview backend, one
candidate from person_a's selfies): an in-process SAQ worker (Redis mode) and an
`EmbeddedRunner` (embedded mode) run jobs submitted one at a time to an idle worker. The
real functions are wrapped (never replaced) to timestamp three moments:
  submit -> start:  from calling `JobQueue.submit` to `storage.jobs.start_attempt` returning
  result -> outbox: from `execute.run_order` returning (album stored) to `storage.jobs.complete`
                    returning (results, job done and outbox entry committed)
Listing: 1,000 queued jobs of 1,000 users, `JobQueue.positions()` and one `status()`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from saq import Worker
from sqlalchemy import delete

from bot.jobs import execute, worker
from bot.jobs.embedded import EmbeddedRunner
from bot.jobs.queue import JobQueue
from bot.settings import Settings
from storage import jobs
from storage.database import Database
from storage.models import Job, User
from storage.orders import OrderLimits, OrderSpec, create_job
from storage.photos import LocalPhotoStore, PhotoStore, user_prefix

FACES = Path(__file__).resolve().parents[2] / "shared" / "faces" / "person_a"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


class Stamps:
    """Wraps real functions to record when they return, per job id."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.album_stored: dict[str, float] = {}
        self.completed: dict[str, float] = {}

    def install(self) -> None:
        start_attempt, run_order, complete = jobs.start_attempt, execute.run_order, jobs.complete

        def timed_start(db: Database, job_id: str, **kw: Any) -> Any:
            result = start_attempt(db, job_id, **kw)
            self.started[job_id] = time.perf_counter()
            return result

        def timed_run(job: Any, ctx: Any, **kw: Any) -> Any:
            result = run_order(job, ctx, **kw)
            self.album_stored[job.id] = time.perf_counter()
            return result

        def timed_complete(db: Database, job_id: str, *args: Any, **kw: Any) -> Any:
            result = complete(db, job_id, *args, **kw)
            self.completed[job_id] = time.perf_counter()
            return result

        # `bot.jobs.attempt` calls these through their modules, so it picks the wrappers up.
        setattr(jobs, "start_attempt", timed_start)  # noqa: B010
        setattr(execute, "run_order", timed_run)  # noqa: B010
        setattr(jobs, "complete", timed_complete)  # noqa: B010


def make_settings(root: Path, redis_url: str) -> Settings:
    return Settings.model_validate(
        {
            "data_dir": root,
            "redis_url": redis_url,
            "queue_name": f"bench-{uuid.uuid4().hex[:8]}",
            "active_orders_per_user": 100_000,
            "daily_quota": 0,
            "min_selfies": 4,  # the assessor passes 6 of person_a's 8 photos
        }
    )


def user_with_selfies(db: Database, store: PhotoStore) -> tuple[int, tuple[str, ...]]:
    with db.session() as session:
        user = User(platform="telegram", platform_user_id=uuid.uuid4().hex)
        session.add(user)
        session.flush()
        assert user.id is not None
        user_id = user.id
    keys = tuple(
        store.put_bytes(f"{user_prefix(user_id)}/selfies/{p.name}", p.read_bytes())
        for p in sorted(FACES.glob("*.jpg"))
    )
    return user_id, keys


async def run_jobs(
    queue: JobQueue, stamps: Stamps, user_id: int, keys: tuple[str, ...], n: int
) -> list[tuple[float, float]]:
    submitted: dict[str, float] = {}
    for _ in range(n):
        await asyncio.sleep(0.3)  # let the worker go idle (blocked on the queue)
        spec = OrderSpec(
            user_id=user_id,
            platform="telegram",
            chat_id="1",
            style="corporate",
            photo_keys=keys,
            count=1,
            keep=1,
        )
        t0 = time.perf_counter()
        job = await queue.submit(spec)
        submitted[job.id] = t0
        polls = 0
        while job.id not in stamps.completed:
            polls += 1
            if polls % 50 == 0 and (row := jobs.get_job(queue.db, job.id)).state == "failed":
                raise RuntimeError(f"job {job.id} failed: {row.error}")
            await asyncio.sleep(0.01)
    return [
        (1000 * (stamps.started[j] - submitted[j]), 1000 * (stamps.completed[j] - stamps.album_stored[j]))
        for j in submitted
    ]


def p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * len(values))]


def summarise(label: str, rows: list[tuple[float, float]]) -> None:
    start = [r[0] for r in rows]
    outbox = [r[1] for r in rows]
    print(
        f"{label}: submit->start median {statistics.median(start):.1f} ms (p90 {p90(start):.1f}),"
        f" result->outbox median {statistics.median(outbox):.1f} ms (p90 {p90(outbox):.1f}), {len(rows)} jobs"
    )


async def bench_redis(root: Path, redis_url: str, n: int, stamps: Stamps, *, database_url: str = "") -> None:
    settings = make_settings(root / f"redis-{uuid.uuid4().hex[:6]}", redis_url)
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    label = "redis (SAQ) + " + ("PostgreSQL" if database_url else "SQLite")
    db = Database(settings.effective_database_url)
    db.upgrade()
    store = LocalPhotoStore(settings.effective_photo_dir)
    user_id, keys = user_with_selfies(db, store)
    saq_worker = Worker(**worker.worker_settings(settings, concurrency=1, name="bench"))
    await saq_worker.queue.connect()
    running = asyncio.create_task(saq_worker.start())
    queue = JobQueue.for_redis(settings, db)
    await queue.connect()
    while "resources" not in saq_worker.context:  # noqa: ASYNC110 - SAQ's startup hook has no event
        await asyncio.sleep(0.1)
    await run_jobs(queue, stamps, user_id, keys, 2)  # warm-up
    summarise(label, await run_jobs(queue, stamps, user_id, keys, n))
    await queue.close()
    await saq_worker.stop()
    running.cancel()
    await saq_worker.queue.disconnect()


async def bench_embedded(root: Path, n: int, stamps: Stamps) -> None:
    settings = make_settings(root / "embedded", "")
    db = Database(settings.effective_database_url)
    db.upgrade()
    ctx = await asyncio.to_thread(worker.build_context, settings, "bench")
    user_id, keys = user_with_selfies(ctx.db, ctx.store)
    runner = EmbeddedRunner(ctx)
    running = asyncio.create_task(runner.run())
    queue = JobQueue.embedded(settings, db, runner)
    await run_jobs(queue, stamps, user_id, keys, 2)
    summarise("embedded + SQLite", await run_jobs(queue, stamps, user_id, keys, n))
    runner.stop()
    await running


def bench_listing(label: str, db: Database, settings: Settings) -> None:
    limits = OrderLimits(active_orders=10)
    with db.session() as session:
        users = [User(platform="telegram", platform_user_id=f"u{i}") for i in range(1000)]
        session.add_all(users)
    for user in users:
        assert user.id is not None
        spec = OrderSpec(
            user_id=user.id,
            platform="telegram",
            chat_id="1",
            style="corporate",
            photo_keys=(f"users/{user.id}/selfies/a.jpg",),
        )
        create_job(db, spec, limits)
    queue = JobQueue(settings, db)
    timings, status_timings = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        listed = asyncio.run(queue.positions())
        timings.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        last = asyncio.run(queue.status(listed[-1][0]))
        status_timings.append(time.perf_counter() - t0)
    assert len(listed) == 1000
    assert last.position == 1000
    with db.session() as session:  # a worker's reconciliation would enqueue these rows
        session.execute(delete(Job))
    print(
        f"{label}: 1,000 queued jobs listed with positions, median {1000 * statistics.median(timings):.1f}"
        f" ms; status of the last one (position, ETA) {1000 * statistics.median(status_timings):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--skip-overhead", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = make_settings(root / "list", "")
        sqlite = Database(settings.effective_database_url)
        sqlite.upgrade()
        bench_listing("SQLite", sqlite, settings)
        name = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        pg_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        try:
            pg = Database(pg_url)
            pg.upgrade()
            bench_listing("PostgreSQL", pg, settings)
            pg.dispose()
            if not args.skip_overhead:
                stamps = Stamps()
                stamps.install()
                asyncio.run(bench_redis(root, args.redis, args.jobs, stamps))
                asyncio.run(bench_redis(root, args.redis, args.jobs, stamps, database_url=pg_url))
                asyncio.run(bench_embedded(root, args.jobs, stamps))
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()

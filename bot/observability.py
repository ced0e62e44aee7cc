"""Prometheus metrics and a health endpoint, served by aiohttp beside the bot or the worker.

Metric names live here, in one place, so dashboards and code agree. Labels never carry user
ids, photos or tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from bot.settings import Settings
    from storage.database import Database

logger = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[bool]]


class Metrics:
    """The project's metrics on their own registry (tests create as many as they like)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.queue_depth = Gauge("headshots_queue_depth", "Jobs waiting", registry=self.registry)
        self.jobs_by_state = Gauge(
            "headshots_jobs", "Jobs by lifecycle state", ["state"], registry=self.registry
        )
        self.stage_seconds = Histogram(
            "headshots_stage_seconds",
            "Pipeline stage durations",
            ["stage"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
            registry=self.registry,
        )
        self.gpu_memory_bytes = Gauge(
            "headshots_gpu_memory_bytes", "Peak GPU memory of the last job", registry=self.registry
        )
        self.verdicts = Counter(
            "headshots_verdicts",
            "Selfie verdicts by issue code ('ok' for none)",
            ["code"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "headshots_deliveries",
            "Album deliveries by outcome",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.reply_seconds = Histogram(
            "headshots_reply_seconds",
            "Time from a chat update to our reply",
            ["platform"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

    # The conversation's `Metrics` port (`conversations.shared.ports`).

    def count_verdict(self, code: str) -> None:
        self.verdicts.labels(code=code).inc()

    def observe_reply(self, platform: str, seconds: float) -> None:
        self.reply_seconds.labels(platform=platform).observe(seconds)

    def count_delivery(self, platform: str, outcome: str) -> None:
        self.deliveries.labels(platform=platform, outcome=outcome).inc()


def build_app(metrics: Metrics, checks: dict[str, HealthCheck] | None = None) -> web.Application:
    """`/metrics` for Prometheus; `/healthz` answers 200 only when every check passes."""
    checks = checks or {}

    async def metrics_view(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def health_view(_request: web.Request) -> web.Response:
        results: dict[str, bool] = {}
        for name, check in checks.items():
            try:
                results[name] = await check()
            except Exception:
                logger.exception("health check %s failed", name)
                results[name] = False
        healthy = all(results.values())
        return web.json_response({"ok": healthy, "checks": results}, status=200 if healthy else 503)

    app = web.Application()
    app.router.add_get("/metrics", metrics_view)
    app.router.add_get("/healthz", health_view)
    return app


async def start_metrics_server(
    metrics: Metrics,
    port: int,
    checks: dict[str, HealthCheck] | None = None,
    host: str = "0.0.0.0",  # noqa: S104
) -> web.AppRunner:
    """Start serving; the caller keeps the runner and calls `cleanup()` on shutdown."""
    runner = web.AppRunner(build_app(metrics, checks), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    logger.info("metrics and health on :%d", port)
    return runner


def health_checks(settings: Settings, db: Database) -> dict[str, HealthCheck]:
    """What `/healthz` checks: the database always, Redis when one is configured."""
    from sqlalchemy import text

    def query_db() -> bool:
        with db.engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar() == 1

    async def database() -> bool:
        return await asyncio.to_thread(query_db)

    checks: dict[str, HealthCheck] = {"database": database}
    if settings.redis_url:
        from redis.asyncio import Redis

        async def redis_ping() -> bool:
            client = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
            try:
                return bool(await client.ping())
            finally:
                await client.aclose()

        checks["redis"] = redis_ping
    return checks


async def start_if_configured(settings: Settings, metrics: Metrics, db: Database) -> web.AppRunner | None:
    """Serve `/metrics` and `/healthz` on `Settings.metrics_port`; None when the port is 0."""
    if not settings.metrics_port:
        return None
    return await start_metrics_server(metrics, settings.metrics_port, health_checks(settings, db))


def refresh_job_gauges(metrics: Metrics, db: Database) -> None:
    """Queue depth and jobs by state, read from the job rows (the truth in both modes)."""
    from sqlalchemy import func
    from sqlmodel import select

    from storage.models import Job, JobState

    with db.session() as session:
        counts = dict(session.exec(select(Job.state, func.count()).group_by(Job.state)).all())
    for state in JobState:
        metrics.jobs_by_state.labels(state=state.value).set(counts.get(state.value, 0))
    metrics.queue_depth.set(counts.get(JobState.QUEUED.value, 0))


async def refresh_forever(metrics: Metrics, db: Database, interval_s: float = 5.0) -> None:
    """Keep the job gauges fresh for scrapes, until cancelled."""
    while True:
        try:
            await asyncio.to_thread(refresh_job_gauges, metrics, db)
        except Exception:
            logger.warning("could not refresh job gauges", exc_info=True)
        await asyncio.sleep(interval_s)


def record_job(metrics: Metrics, stage_seconds: dict[str, float]) -> None:
    """After a job: each stage's duration, and the GPU's peak memory when torch has a GPU."""
    for stage, seconds in stage_seconds.items():
        metrics.stage_seconds.labels(stage=stage).observe(seconds)
    torch = sys.modules.get("torch")  # only if the engine loaded it: never import torch here
    if torch is not None and torch.cuda.is_available():
        metrics.gpu_memory_bytes.set(torch.cuda.max_memory_allocated())
        torch.cuda.reset_peak_memory_stats()


@contextlib.asynccontextmanager
async def observed(
    settings: Settings, db: Database, *, gauge_interval_s: float = 5.0
) -> AsyncIterator[Metrics]:
    """What `headshots serve` and `headshots worker` wrap their run in: a `Metrics` to record
    into and, when `HEADSHOTS_METRICS_PORT` is set, `/metrics` + `/healthz` and fresh job gauges."""
    metrics = Metrics()
    runner = await start_if_configured(settings, metrics, db)
    gauges = (
        asyncio.create_task(refresh_forever(metrics, db, gauge_interval_s)) if runner is not None else None
    )
    try:
        yield metrics
    finally:
        if gauges is not None:
            gauges.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await gauges
        if runner is not None:
            await runner.cleanup()

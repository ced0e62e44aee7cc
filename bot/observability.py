"""Prometheus metrics and a health endpoint, served by aiohttp beside the bot or the worker.

Metric names live here, in one place, so dashboards and code agree. Labels never carry user
ids, photos or tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

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

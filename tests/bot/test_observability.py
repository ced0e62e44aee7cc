"""/metrics speaks Prometheus; /healthz turns 503 when a dependency is down."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.observability import Metrics, build_app


async def test_metrics_and_health() -> None:
    metrics = Metrics()
    metrics.verdicts.labels(code="blurry").inc()
    metrics.stage_seconds.labels(stage="generate").observe(1.5)
    state = {"redis": True}

    async def redis_ok() -> bool:
        return state["redis"]

    async with TestClient(TestServer(build_app(metrics, {"redis": redis_ok}))) as client:
        response = await client.get("/metrics")
        text = await response.text()
        assert response.status == 200
        assert 'headshots_verdicts_total{code="blurry"} 1.0' in text
        assert 'headshots_stage_seconds_count{stage="generate"} 1.0' in text

        healthy = await client.get("/healthz")
        assert healthy.status == 200
        assert (await healthy.json())["checks"] == {"redis": True}

        state["redis"] = False
        unhealthy = await client.get("/healthz")
        assert unhealthy.status == 503

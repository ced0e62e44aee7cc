"""A real `headshots worker` process with HEADSHOTS_METRICS_PORT set: /healthz checks the
database and Redis, /metrics shows the job it ran (stage durations, jobs by state)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from storage.models import JobState
from tests.bot.jobs.conftest import make_env, wait_for
from tests.bot.jobs.test_worker import state_of, submit
from tests.handlers.telegram.test_metrics import sample

pytestmark = pytest.mark.redis


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def test_the_worker_serves_health_and_the_metrics_of_its_jobs(
    tmp_path: Path, redis_url: str, person_a_paths: list[Path]
) -> None:
    port = _free_port()
    env = make_env(tmp_path, redis_url, HEADSHOTS_METRICS_PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        env.start_worker("M")
        wait_for(lambda: _get(f"{base}/healthz")[0] == 200, timeout=60, what="the worker's /healthz")
        assert json.loads(_get(f"{base}/healthz")[1]) == {
            "ok": True,
            "checks": {"database": True, "redis": True},
        }

        job_id = submit(env, {"count": 2, "keep": 1}, person_a_paths)
        wait_for(lambda: state_of(env, job_id).state == JobState.DONE, timeout=90, what="the job")
        wait_for(
            lambda: sample(_get(f"{base}/metrics")[1], "headshots_jobs", state="done") == 1,
            timeout=15,
            what="the job gauges to refresh",
        )
        text = _get(f"{base}/metrics")[1]
        assert sample(text, "headshots_stage_seconds_count", stage="generate") == 1
        assert sample(text, "headshots_queue_depth") == 0
    finally:
        env.stop_all()
        env.db.dispose()

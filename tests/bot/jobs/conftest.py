"""Fixtures for the job system: worker processes, an order of real selfies, polling helpers.

Workers are real `headshots worker` processes (`python -m bot.cli worker`) sharing a SQLite
file and the photo folder with the test, on Redis db 15 with short heartbeat and sweep
intervals so lost jobs are found in seconds.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pytest

from bot.settings import Settings
from storage.database import Database
from storage.models import User
from storage.orders import OrderSpec
from storage.photos import LocalPhotoStore, user_prefix

REPO = Path(__file__).resolve().parents[3]


@dataclass
class JobEnv:
    """One isolated job system: its settings, database, store and the workers it started."""

    settings: Settings
    env: dict[str, str]
    db: Database
    store: LocalPhotoStore
    logs: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _log_files: list[BinaryIO] = field(default_factory=list)

    def start_worker(self, name: str, command: str = "worker", *extra: str) -> subprocess.Popen[bytes]:
        """A `headshots worker` (or another `command`, such as `intake`) process."""
        log = (self.logs / f"{name}.log").open("ab")
        self._log_files.append(log)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", command, "--name", name, *extra],
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(process)
        return process

    def worker_log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def user(self, name: str = "alice") -> int:
        with self.db.session() as session:
            user = User(platform="telegram", platform_user_id=name)
            session.add(user)
            session.flush()
            assert user.id is not None
            return user.id

    def order(
        self, user_id: int, selfies: list[Path], *, count: int, keep: int, style: str = "corporate"
    ) -> OrderSpec:
        keys = tuple(
            self.store.put_bytes(f"{user_prefix(user_id)}/selfies/{path.name}", path.read_bytes())
            for path in selfies
        )
        return OrderSpec(
            user_id=user_id,
            platform="telegram",
            chat_id=f"chat-{user_id}",
            style=style,
            photo_keys=keys,
            backend="preview",
            count=count,
            keep=keep,
        )

    def stop_all(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
        for log in self._log_files:
            log.close()


def make_env(tmp_path: Path, redis_url: str, **overrides: str) -> JobEnv:
    data = tmp_path / "data"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HEADSHOTS_DATA_DIR": str(data),
        "HEADSHOTS_REDIS_URL": redis_url,
        "HEADSHOTS_QUEUE_NAME": f"test-{tmp_path.name}",
        # Long enough that a loaded 2-core box (dlib holds the GIL for seconds) never misses a
        # beat, short enough that a killed worker's job is picked up again in about 11 s.
        "HEADSHOTS_JOB_HEARTBEAT_S": "5",
        "HEADSHOTS_QUEUE_SWEEP_S": "1",
        "HEADSHOTS_JOB_RETRY_DELAY_S": "0",
        "HEADSHOTS_SHUTDOWN_GRACE_S": "0",
        "HEADSHOTS_LOG_LEVEL": "INFO",
        # The assessor passes 6 of person_a's 8 photos; an order of those must be accepted.
        "HEADSHOTS_MIN_SELFIES": "4",
        # Workers on Redis refuse to start without a real signing key (bot.callback_key).
        "HEADSHOTS_CALLBACK_SECRET": secrets.token_urlsafe(48),
        **overrides,
    }
    fields = {
        # JSON values (dicts, lists) are decoded as pydantic-settings decodes the environment.
        key.removeprefix("HEADSHOTS_").lower(): json.loads(value) if value.startswith(("{", "[")) else value
        for key, value in env.items()
        if key.startswith("HEADSHOTS_")
    }
    settings = Settings.model_validate(fields)
    db = Database(settings.effective_database_url)
    db.upgrade()
    logs = tmp_path / "logs"
    logs.mkdir()
    return JobEnv(settings, env, db, LocalPhotoStore(settings.effective_photo_dir), logs)


@pytest.fixture
def redis_env(tmp_path: Path, redis_url: str) -> Iterator[JobEnv]:
    job_env = make_env(tmp_path, redis_url)
    yield job_env
    job_env.stop_all()
    job_env.db.dispose()


@pytest.fixture
def embedded_env(tmp_path: Path) -> Iterator[JobEnv]:
    job_env = make_env(tmp_path, "")
    yield job_env
    job_env.stop_all()
    job_env.db.dispose()


def wait_for(predicate: Callable[[], bool], *, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")

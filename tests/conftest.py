"""Shared fixtures: real SQLite, PostgreSQL and Redis, a temp photo store, the shared faces.

PostgreSQL: a scratch database per test session on 127.0.0.1:5432 (trust auth), dropped at
the end. Redis: database 15 on 127.0.0.1:6379, flushed around each test that uses it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from bot.settings import Settings
from storage.database import Database
from storage.photos import LocalPhotoStore

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HEADSHOTS_SHARED", REPO.parent / "shared")).resolve()
FACES = SHARED / "faces"
PG_ADMIN_DSN = os.environ.get("HEADSHOTS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("HEADSHOTS_TEST_REDIS", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    if not FACES.is_dir():
        pytest.fail(f"shared test photos not found at {FACES}; set HEADSHOTS_SHARED")
    return FACES


@pytest.fixture(scope="session")
def person_a_paths(faces_dir: Path) -> list[Path]:
    return sorted((faces_dir / "person_a").glob("selfie_*.jpg"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A scratch PostgreSQL database for this test run, dropped afterwards."""
    name = f"headshots_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    url = f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    yield url
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_postgres(url: str) -> None:
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database on SQLite and, in a second run, on PostgreSQL."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        url = request.getfixturevalue("postgres_url")
        _reset_postgres(url)
        database = Database(url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'test.db'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def photo_store(tmp_path: Path) -> LocalPhotoStore:
    return LocalPhotoStore(tmp_path / "photos")


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.flushdb()
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded-mode settings rooted in a temp folder, no tokens."""
    return Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]

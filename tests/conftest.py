"""Shared fixtures: real SQLite, PostgreSQL, Redis and S3, a temp photo store, the shared faces.

PostgreSQL: a scratch database per test session on 127.0.0.1:5432 (trust auth), dropped at
the end. Redis: database 15 on 127.0.0.1:6379, flushed around each test that uses it. S3:
SeaweedFS on 127.0.0.1:8333 (`.ci/seaweedfs` starts it), one fresh prefix per test in the
bucket `headshots-test`, emptied afterwards.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
import redis

from bot.settings import Settings
from storage.database import Database
from storage.photos import LocalPhotoStore, PhotoStore
from storage.s3_location import S3Location, S3Options

if TYPE_CHECKING:
    from storage.s3_photos import S3PhotoStore

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HEADSHOTS_SHARED", REPO.parent / "shared")).resolve()
FACES = SHARED / "faces"
PG_ADMIN_DSN = os.environ.get("HEADSHOTS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("HEADSHOTS_TEST_REDIS", "redis://127.0.0.1:6379/15")
S3_TEST_ENDPOINT = os.environ.get("HEADSHOTS_TEST_S3", "http://127.0.0.1:8333")
S3_TEST_BUCKET = "headshots-test"
S3_TEST_KEYS = ("headshots", "headshots-secret")  # .ci/s3.json


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


@pytest.fixture(scope="session")
def s3_options() -> S3Options:
    """Options for the test S3 server; fails (not skips) when it is not running."""
    try:
        urllib.request.urlopen(S3_TEST_ENDPOINT, timeout=3)
    except urllib.error.HTTPError:
        pass  # 403 without credentials: it is up
    except OSError:
        pytest.fail(f"no S3 server at {S3_TEST_ENDPOINT}: start one with `bash .ci/seaweedfs`")
    return S3Options(
        endpoint_url=S3_TEST_ENDPOINT,
        access_key_id=S3_TEST_KEYS[0],
        secret_access_key=S3_TEST_KEYS[1],
        max_attempts=3,
        connect_timeout_s=3.0,
        read_timeout_s=30.0,
    )


@pytest.fixture(scope="session")
def s3_client(s3_options: S3Options) -> object:
    """One boto3 client for the run (making one costs about a second)."""
    from storage.s3_photos import make_client  # boto3 is slow to import; only S3 tests pay

    return make_client(s3_options)


@pytest.fixture
def s3_photo_store(s3_options: S3Options, s3_client: object) -> Iterator[S3PhotoStore]:
    """An S3 store under a prefix of its own, emptied (unfinished uploads too) afterwards."""
    from storage.s3_photos import S3PhotoStore

    location = S3Location(S3_TEST_BUCKET, f"test-{uuid.uuid4().hex[:12]}")
    store = S3PhotoStore(location, s3_options, client=s3_client)
    store.ensure_bucket()
    yield store
    store.sweep_unfinished(datetime.now(UTC) + timedelta(days=1))
    for obj in list(store.list_objects()):
        store.delete(obj.key)


@pytest.fixture(params=["local", "s3"])
def any_photo_store(request: pytest.FixtureRequest, tmp_path: Path) -> PhotoStore:
    """The local folder and, in a second run, a bucket on the test S3 server."""
    if request.param == "local":
        return LocalPhotoStore(tmp_path / "photos")
    store: PhotoStore = request.getfixturevalue("s3_photo_store")
    return store


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.flushdb()
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own. Other test sessions flush database 15 around
    tests that use `redis_url`; a test that keeps state in Redis under this prefix does not
    flush anything itself, and its keys are deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(REDIS_TEST_URL)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded-mode settings rooted in a temp folder, no tokens."""
    return Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]

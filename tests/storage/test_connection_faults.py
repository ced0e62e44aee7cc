"""PostgreSQL drops our connections (a failover, an admin's pg_terminate_backend, an idle
timeout in a proxy): the next operation must reconnect by itself (`pool_pre_ping`)."""

from __future__ import annotations

import psycopg
import pytest
from sqlmodel import select

from storage.database import Database
from storage.models import User


def _terminate_our_backends(database: Database) -> int:
    """Kill every server process of this database except the one doing the killing."""
    url = database.engine.url
    dsn = f"postgresql://{url.username}@{url.host}:{url.port}/{url.database}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


@pytest.mark.postgres
def test_operations_recover_after_the_server_drops_every_connection(postgres_url: str) -> None:
    database = Database(postgres_url)
    database.upgrade()
    try:
        with database.session() as session:
            session.add(User(platform="telegram", platform_user_id="before"))
        assert database.engine.pool.checkedin() >= 1, "a pooled connection is waiting"  # type: ignore[attr-defined]

        assert _terminate_our_backends(database) >= 1

        with database.session() as session:  # pre-ping finds the dead connection, opens a new one
            session.add(User(platform="telegram", platform_user_id="after"))
        with database.session() as session:
            names = set(session.exec(select(User.platform_user_id)))
        assert {"before", "after"} <= names
    finally:
        with database.session() as session:
            for user in session.exec(select(User).where(User.platform_user_id.in_(["before", "after"]))):  # type: ignore[attr-defined]
                session.delete(user)
        database.dispose()

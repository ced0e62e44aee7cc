"""`headshots db upgrade | purge`: migrations and the retention pass."""

from __future__ import annotations

import argparse
from typing import Any

from bot.photo_store import open_photo_store
from bot.retention import purge_once
from bot.settings import Settings
from storage.database import Database


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("db", help="database maintenance")
    db_sub = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="apply migrations up to the newest")
    upgrade.add_argument("--revision", default="head")
    upgrade.set_defaults(handler=run_upgrade)
    purge = db_sub.add_parser("purge", help="delete photos and results past the retention period")
    purge.set_defaults(handler=run_purge)


def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    database = Database(settings.effective_database_url)
    database.upgrade(args.revision)
    print(f"database at {args.revision}: {database.engine.url.render_as_string(hide_password=True)}")
    return 0


def run_purge(_args: argparse.Namespace, settings: Settings) -> int:
    database = Database(settings.effective_database_url)
    database.upgrade()
    removed = purge_once(database, open_photo_store(settings), settings.retention_days)
    print(f"removed {removed} files older than {settings.retention_days} days")
    return 0

"""`headshots db upgrade`: apply database migrations."""

from __future__ import annotations

import argparse
from typing import Any

from bot.settings import Settings
from storage.database import Database


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("db", help="database maintenance")
    db_sub = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="apply migrations up to the newest")
    upgrade.add_argument("--revision", default="head")
    upgrade.set_defaults(handler=run_upgrade)


def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    database = Database(settings.effective_database_url)
    database.upgrade(args.revision)
    print(f"database at {args.revision}: {database.engine.url.render_as_string(hide_password=True)}")
    return 0

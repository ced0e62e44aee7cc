"""`headshots ban PLATFORM USER_ID [--unban]`: refuse (or let back) one chat account.

A banned user gets a polite refusal to every message and never reaches the engine; their
data stays until they /delete it or retention removes it. Admins listed in
`HEADSHOTS_ADMIN_IDS` can do the same in chat with /ban and /unban.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.settings import Settings
from storage.bans import set_banned
from storage.database import Database

PLATFORMS = ("telegram", "discord")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("ban", help="ban (or --unban) a chat user")
    parser.add_argument("platform", choices=PLATFORMS)
    parser.add_argument("user_id", help="the user's id on that platform (a number)")
    parser.add_argument("--unban", action="store_true", help="lift the ban instead")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    database = Database(settings.effective_database_url)
    database.upgrade()
    try:
        set_banned(database, args.platform, args.user_id.strip(), banned=not args.unban)
    finally:
        database.dispose()
    print(f"{args.platform} user {args.user_id} is {'no longer banned' if args.unban else 'banned'}")
    return 0

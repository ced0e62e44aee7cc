"""`headshots serve`: run the chat bots (and, without Redis, an in-process worker)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.callback_key import with_callback_key
from bot.settings import Settings, SettingsError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "serve", help="run the chat bots and the web studio (and, without Redis, an in-process worker)"
    )
    parser.set_defaults(handler=run)


def run(_args: argparse.Namespace, settings: Settings) -> int:
    try:
        settings = with_callback_key(settings)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    # Imported here: serving loads the engine, which the other commands must not pay for.
    from bot.model_preset import announce
    from bot.serve import HOW_TO_CONFIGURE, serve

    if not (settings.telegram_token or settings.discord_token):
        print(HOW_TO_CONFIGURE, file=sys.stderr)
    if settings.embedded and (refusal := announce(settings)) is not None:
        print(refusal, file=sys.stderr)
        return 2
    asyncio.run(serve(settings, announce=lambda line: print(line, flush=True)))
    return 0

"""What `headshots serve` runs: the chat bots, the web studio, and in embedded mode the worker.

Start-up order: settings → database (migrated) → photo store → engine resources → job queue
(an in-process `EmbeddedRunner` when no Redis is configured) → the state bot processes share
(Redis, or this process's memory) → the Telegram application and
the Discord bot, each only when its token is set, and the web studio (without any token, or
beside the bots when `HEADSHOTS_WEB_PORT` is set), all sharing one conversation. The
conversation gets its own engine copy (face models for verdicts, the preview backend); the
embedded worker loads its own (the face models are not thread-safe, and the worker may load
the diffusers backend the bot never needs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from bot.callback_key import with_callback_key
from bot.coordination import shared_state
from bot.engine_config import load_engine_from_settings
from bot.jobs.embedded import EmbeddedRunner
from bot.jobs.intake import plug_intake
from bot.jobs.queue import job_queue
from bot.jobs.worker import build_context, default_worker_name
from bot.observability import observed
from bot.photo_store import open_photo_store
from bot.retention import run_retention
from bot.settings import Settings
from conversations.dialogue import Conversation
from conversations.shared.services import Services
from handlers.discord import run_discord
from handlers.telegram import TelegramBot
from handlers.web import WebLinks, WebStudio
from storage.database import Database

log = logging.getLogger(__name__)

HOW_TO_CONFIGURE = """No chat platform is configured (HEADSHOTS_TELEGRAM_TOKEN and
HEADSHOTS_DISCORD_TOKEN are both empty): running the web studio only.

To add Telegram, get a bot token:
  1. open Telegram and talk to @BotFather (https://t.me/BotFather)
  2. send /newbot and choose a name and a username ending in "bot"
  3. copy the token it answers with (it looks like 123456789:AAH...)

Then put it in the .env file next to where you run `headshots serve`:
  HEADSHOTS_TELEGRAM_TOKEN=123456789:AAH...
(or export HEADSHOTS_TELEGRAM_TOKEN in the environment) and run `headshots serve` again.

For Discord: create an application at https://discord.com/developers/applications, add a
Bot, copy its token into HEADSHOTS_DISCORD_TOKEN=..., and invite it with the "bot" and
"applications.commands" scopes (see docs/discord.md)."""


def web_studio_wanted(settings: Settings) -> bool:
    """The web studio runs without any chat token, or when its port is set."""
    return settings.web_port is not None or not (settings.telegram_token or settings.discord_token)


async def serve(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Run until `stop` is set (or SIGINT / SIGTERM when no event is given).

    `announce` is told the web studio's address (and its sign-in link when it needs one)."""
    settings = with_callback_key(settings)
    stop = stop if stop is not None else _stop_on_signals()
    db = Database(settings.effective_database_url)
    await asyncio.to_thread(db.upgrade)
    store = await asyncio.to_thread(open_photo_store, settings)
    # /metrics + /healthz when HEADSHOTS_METRICS_PORT is set; retention runs on its own clock.
    observing = contextlib.AsyncExitStack()
    metrics = await observing.enter_async_context(observed(settings, db))
    retention = asyncio.create_task(run_retention(db, store, settings.retention_days), name="retention")
    engine = await asyncio.to_thread(load_engine_from_settings, settings, ("preview",))
    runner: EmbeddedRunner | None = None
    runner_task: asyncio.Task[None] | None = None
    if settings.embedded:
        name = f"embedded-{default_worker_name()}"
        ctx = await asyncio.to_thread(build_context, settings, name)
        ctx.metrics = metrics
        runner = EmbeddedRunner(ctx, concurrency=settings.worker_concurrency)
        runner_task = asyncio.create_task(runner.run())
        log.info("embedded worker %s running in this process", name)
    queue = job_queue(settings, db, runner)
    await queue.connect()
    engine, gate, intake = await plug_intake(settings, engine)
    links = WebLinks(settings) if web_studio_wanted(settings) else None
    # Rate limits, user locks, album assembly, selfie numbers: in Redis when it is configured,
    # so several `serve` processes behind one webhook act as one bot.
    shared = await observing.enter_async_context(shared_state(settings))
    conversation = Conversation(
        Services(
            settings, db, store, engine, queue, engine_gate=gate, metrics=metrics, links=links, shared=shared
        )
    )
    studio = WebStudio(settings, conversation, links) if links is not None else None
    bot = TelegramBot(settings, conversation) if settings.telegram_token else None
    discord_task = asyncio.create_task(run_discord(settings, conversation, stop), name="discord")
    discord_task.add_done_callback(lambda task: _stop_if_failed(task, stop))
    try:
        if bot is not None:
            await bot.start()
        if studio is not None:
            await _start_studio(studio, announce or log.info)
        log.info("serving; stop with Ctrl-C")
        await stop.wait()
    finally:
        stop.set()
        if bot is not None:
            await bot.stop()
        if studio is not None:
            await studio.stop()
        await discord_task
        if runner is not None and runner_task is not None:
            runner.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await runner_task
        await queue.close()
        if intake is not None:
            await intake.disconnect()
        retention.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await retention
        await observing.aclose()
        db.dispose()


async def _start_studio(studio: WebStudio, announce: Callable[[str], None]) -> None:
    address = await studio.start()
    for line in studio_announcement(studio, address):
        announce(line)


def studio_announcement(studio: WebStudio, address: str) -> list[str]:
    """What `serve` says about a started web studio: where it is, and how to get in."""
    if studio.gate.open:
        return [f"Web studio: {address}/ (open it in a browser on this machine)"]
    lines = [f"Web studio: {studio.links.base_url}/ (sign-in required)"]
    if not studio.settings.public_url:
        lines.append(
            "Warning: HEADSHOTS_PUBLIC_URL is not set, so links name the bound address; set it to "
            "the https:// address people reach (behind a TLS proxy)."
        )
    elif not studio.settings.public_url.startswith("https://"):
        lines.append(
            "Warning: plain http: sign-in links and session cookies cross the network unencrypted; "
            "serve the studio behind https and set HEADSHOTS_PUBLIC_URL=https://..."
        )
    lines.append(
        f"Sign-in link for this start-up (works {studio.links.sign_in_minutes} minutes): "
        f"{studio.links.start_up()}"
    )
    return lines


def _stop_if_failed(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    """A bot that cannot run (a bad token) stops the whole service; `serve` re-raises its error."""
    if not task.cancelled() and task.exception() is not None:
        stop.set()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop

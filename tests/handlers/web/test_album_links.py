"""Album pages for chat users: the web studio beside the Telegram bot, one conversation.

A Telegram user's album message carries the album page's link (HEADSHOTS_PUBLIC_URL set);
anyone holding it sees the stored files, byte for byte, until the user's /delete."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from pathlib import Path

import aiohttp
from sqlmodel import col, select

from bot.jobs.context import WorkerContext
from bot.jobs.embedded import EmbeddedRunner
from bot.jobs.queue import JobQueue
from conversations.dialogue import Conversation
from conversations.shared.services import Services
from engine.pipeline import EngineResources
from handlers.telegram import TelegramBot
from handlers.web import WebLinks, WebStudio
from storage.database import Database
from storage.models import Result
from storage.photos import LocalPhotoStore
from tests.emulators.telegram import TelegramEmulator
from tests.handlers.telegram.conftest import harness_settings
from tests.handlers.telegram.helpers import place_order, reply_to


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_telegram_album_links_to_its_page_until_delete(
    tmp_path: Path, web_engines: tuple[EngineResources, EngineResources], person_a_paths: list[Path]
) -> None:
    port = _free_port()
    emu = TelegramEmulator()
    await emu.start()
    settings = harness_settings(tmp_path, emu, web_port=port, public_url=f"http://127.0.0.1:{port}")
    db = Database(settings.effective_database_url)
    db.upgrade()
    store = LocalPhotoStore(settings.effective_photo_dir)
    ctx = WorkerContext(settings=settings, db=db, store=store, engine=web_engines[1], name="embedded-test")
    runner = EmbeddedRunner(ctx, poll_s=0.2)
    runner_task = asyncio.create_task(runner.run())
    links = WebLinks(settings)
    queue = JobQueue.embedded(settings, db, runner)
    conversation = Conversation(Services(settings, db, store, web_engines[0], queue, links=links))
    bot, studio = TelegramBot(settings, conversation), WebStudio(settings, conversation, links)
    await bot.start(poll_timeout=1)
    await studio.start()
    try:
        user = emu.user(4001, "Ada")
        good = [p for p in person_a_paths if p.name not in {"selfie_04.jpg", "selfie_07.jpg"}]
        await place_order(emu, user, [p.read_bytes() for p in good], "corporate")
        line = await reply_to(emu, user, "in full resolution, and a zip", wait_s=120)
        url = re.search(r"http://\S+/a/\S+", line.text)
        assert url is not None, line.text
        buttons = await reply_to(emu, user, "Want more?")
        assert emu.calls.index(line) < emu.calls.index(buttons), "the buttons stay last"

        with db.session() as session:
            first = session.exec(select(Result).order_by(col(Result.rank))).first()
        assert first is not None
        async with aiohttp.ClientSession() as http:  # a stranger's browser: no cookie at all
            async with http.get(url.group(0)) as response:
                assert response.status == 200
                assert "#3" in await response.text()
            async with http.get(url.group(0) + "/1.jpg") as response:
                assert await response.read() == store.get_bytes(first.store_key)
            async with http.get(f"http://127.0.0.1:{port}/") as response:
                assert response.status == 401, "the studio itself needs a sign-in here"

            await user.send_text("/delete")
            ask = await reply_to(emu, user, "Delete everything?")
            await user.press(ask, ask.button("yes")["callback_data"])
            await reply_to(emu, user, "records are deleted")
            async with http.get(url.group(0) + "/1.jpg") as response:
                assert response.status == 404
    finally:
        await studio.stop()
        await bot.stop()
        runner.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await runner_task
        await emu.stop()
        db.dispose()

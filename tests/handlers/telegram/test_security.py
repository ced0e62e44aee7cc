"""Security on the real PTB Application and emulator: rate limits, bans (in chat and from the
CLI's storage call), a full photo store, and the bot token never reaching the logs."""

from __future__ import annotations

import asyncio
import errno
import io
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.logs import configure_logging
from conversations.shared import messages as msg
from engine.pipeline import EngineResources
from storage.bans import set_banned
from storage.database import Database
from storage.models import Photo, User
from storage.photos import LocalPhotoStore
from tests.emulators.telegram import TelegramEmulator
from tests.handlers.telegram.conftest import Harness, harness_settings
from tests.handlers.telegram.helpers import reply_to, texts_to

ADMIN = 3000
REAL_LOOKING_TOKEN = "7123456789:AAHk3vQ8x_Zr4Lm9PqT2wYs6UoB1cD5eF7g"


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    """This file's emulator answers a real-looking token, so the redaction regex is exercised."""
    emu = TelegramEmulator(REAL_LOOKING_TOKEN)
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def harness(
    tmp_path: Path,
    emulator: TelegramEmulator,
    engine_resources: EngineResources,
    worker_engine: EngineResources,
) -> AsyncIterator[Harness]:
    settings = harness_settings(
        tmp_path,
        emulator,
        telegram_token=REAL_LOOKING_TOKEN,
        admin_ids=[f"telegram:{ADMIN}"],
        rate_user_burst=8,
        rate_user_per_minute=6,
    )
    db = Database(settings.effective_database_url)
    db.upgrade()
    store = LocalPhotoStore(settings.effective_photo_dir)
    running = Harness(emulator, settings, db, store, engine_resources, worker_engine)
    await running.start()
    yield running
    await running.stop()
    db.dispose()


def _photos(harness: Harness) -> list[Photo]:
    with harness.db.session() as session:
        return list(session.exec(select(Photo)))


async def test_a_flooding_user_is_told_to_slow_down_once(harness: Harness) -> None:
    emu = harness.emulator
    user = emu.user(2001, "Flo")
    for index in range(15):
        await user.send_text(f"hello {index}")
    await reply_to(emu, user, "very fast")
    await asyncio.sleep(1.5)
    texts = texts_to(emu, user)
    assert sum("very fast" in t for t in texts) == 1
    assert sum(msg.TEXT_NOT_PHOTO in t for t in texts) == 8, "the burst is answered, the rest dropped"
    other = emu.user(2002, "Calm")
    await other.send_text("/help")
    await reply_to(emu, other, "How it works")


async def test_admin_bans_in_chat_and_the_user_gets_a_polite_refusal(
    harness: Harness, person_a_paths: list[Path]
) -> None:
    emu = harness.emulator
    admin, bad, plain = emu.user(ADMIN, "Ops"), emu.user(2003, "Spam"), emu.user(2004, "Nosy")
    await plain.send_text("/ban 2003")
    await reply_to(emu, plain, "don't know that command")
    await admin.send_text("/ban")
    await reply_to(emu, admin, "Usage: /ban")
    await admin.send_text("/ban 2003")
    await reply_to(emu, admin, "User 2003 is banned")

    await bad.send_photo(person_a_paths[0].read_bytes())
    await reply_to(emu, bad, "can't use the bot")
    await bad.send_text("/start")
    await asyncio.sleep(0.5)
    assert not any("good selfies" in t for t in texts_to(emu, bad))
    assert _photos(harness) == [], "a banned user's photo is not even judged"

    await admin.send_text("/unban 2003")
    await reply_to(emu, admin, "no longer banned")
    await bad.send_text("/help")
    await reply_to(emu, bad, "How it works")


async def test_a_ban_from_the_cli_reaches_a_user_who_never_wrote(harness: Harness) -> None:
    set_banned(harness.db, "telegram", "2005")  # what `headshots ban telegram 2005` does
    user = harness.emulator.user(2005, "New")
    await user.send_text("/start")
    await reply_to(harness.emulator, user, "can't use the bot")
    with harness.db.session() as session:
        rows = list(session.exec(select(User).where(User.platform_user_id == "2005")))
    assert [row.banned for row in rows] == [True]


@pytest.fixture
def disk_full_after(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The disk fills up: once the budget of successful writes is spent, fsync fails with ENOSPC
    (what a full ext4 reports for delayed allocation); the operating system is what is faked."""
    budget = [10_000]
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if budget[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        budget[0] -= 1
        real_fsync(fd)

    monkeypatch.setattr("storage.photos.os.fsync", fsync)
    return budget


async def test_full_photo_store_gets_a_friendly_answer_and_keeps_nothing(
    harness: Harness, person_a_paths: list[Path], disk_full_after: list[int]
) -> None:
    emu = harness.emulator
    user = emu.user(2006, "Di")
    disk_full_after[0] = 2  # two photos of the album fit, the third does not
    await user.send_album([p.read_bytes() for p in person_a_paths[:4]], group_id="full")
    await reply_to(emu, user, "storage is full")
    assert _photos(harness) == []
    files = [p for p in harness.settings.effective_photo_dir.rglob("*") if p.is_file()]
    assert files == [], "nothing half-written, and no file without its row"

    disk_full_after[0] = 10_000  # space again: the same photos go through
    await user.send_album([p.read_bytes() for p in person_a_paths[:2]], group_id="again")
    await reply_to(emu, user, "good photos")
    assert len(_photos(harness)) == 2


async def test_the_bot_token_never_reaches_the_logs(harness: Harness, person_a_paths: list[Path]) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("DEBUG", [harness.settings.telegram_token, harness.settings.callback_secret])
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    for noisy in ("httpx", "httpcore", "telegram", "aiohttp"):
        logging.getLogger(noisy).setLevel(logging.DEBUG)  # the loggers that see URLs, at their chattiest
    try:
        emu = harness.emulator
        user = emu.user(2007, "Log")
        await user.send_text("/start")
        await reply_to(emu, user, "good selfies")
        await user.send_photo(person_a_paths[0].read_bytes())
        await reply_to(emu, user, "good photos")
        await user.send_text("/nonsense")
        await reply_to(emu, user, "don't know that command")
    finally:
        for noisy in ("httpx", "httpcore", "telegram", "aiohttp"):
            logging.getLogger(noisy).setLevel(logging.NOTSET)
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    logged = stream.getvalue()
    assert "/bot[redacted]/" in logged or "[redacted]" in logged, "URLs with the token were logged, redacted"
    assert REAL_LOOKING_TOKEN not in logged
    assert REAL_LOOKING_TOKEN.split(":")[1] not in logged

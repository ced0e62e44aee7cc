"""Webhook mode: the bot registers its URL and secret, and takes only updates that carry it."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp

from conversations.shared import messages as msg
from engine.pipeline import EngineResources
from handlers.telegram.bot import webhook_secret
from storage.database import Database
from storage.photos import LocalPhotoStore
from tests.emulators.telegram import EmulatedUser, TelegramEmulator
from tests.handlers.telegram.conftest import Harness, harness_settings

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_updates_arrive_by_webhook_with_the_secret(
    tmp_path: Path,
    emulator: TelegramEmulator,
    engine_resources: EngineResources,
    worker_engine: EngineResources,
) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = harness_settings(
        tmp_path,
        emulator,
        telegram_webhook_url=url,
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
    )
    db = Database(settings.effective_database_url)
    db.upgrade()
    harness = Harness(
        emulator, settings, db, LocalPhotoStore(settings.effective_photo_dir), engine_resources, worker_engine
    )
    await harness.start()
    try:
        registered = await emulator.wait_for(lambda c: c.method == "setWebhook")
        secret = webhook_secret(settings)
        assert registered.params["url"] == url
        assert registered.params["secret_token"] == secret
        assert settings.telegram_token not in secret
        assert not any(c.method == "getUpdates" for c in emulator.calls)

        user = EmulatedUser(emulator, 501, "Webhook")
        command = [{"type": "bot_command", "offset": 0, "length": 5}]
        update = {"update_id": 1, "message": user._message(text="/help", entities=command)}
        emulator.saw(update)  # Telegram posts it to the webhook; the chat then exists for replies
        async with aiohttp.ClientSession() as session:
            forged = await session.post(url, json=update, headers={SECRET_HEADER: "not-the-secret"})
            assert forged.status == 403
            accepted = await session.post(url, json=update, headers={SECRET_HEADER: secret})
            assert accepted.status == 200
        reply = await emulator.wait_for(
            lambda c: c.method == "sendMessage" and str(c.params.get("chat_id")) == "501"
        )
        assert reply.params["text"] == msg.HELP.format(min=settings.min_selfies, max=settings.max_selfies)
        assert sum(1 for c in emulator.calls if c.method == "sendMessage") == 1
    finally:
        await harness.stop()
        db.dispose()

"""Two bot processes on one token behind one webhook: they act as one bot.

Two real PTB applications, each with its own conversation, engine copy and webhook port,
share what `headshots serve` processes share in production: the database, the photo store
and Redis (`bot.coordination`, on a key prefix of this test's own). A round-robin reverse
proxy on loopback is the webhook Telegram posts to, so consecutive updates of one user reach
alternate processes: an album's six parts are split three and three.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from redis.asyncio import Redis
from sqlmodel import select

from bot.coordination import redis_state
from bot.jobs.queue import JobQueue
from bot.settings import Settings
from conversations.dialogue import Conversation
from conversations.shared import messages as msg
from conversations.shared.services import Services
from engine.pipeline import EngineResources
from handlers.telegram import TelegramBot
from storage.database import Database
from storage.models import Photo
from storage.photos import LocalPhotoStore
from tests.conftest import REDIS_TEST_URL
from tests.emulators.proxy import RoundRobinProxy, free_port
from tests.emulators.telegram import TelegramEmulator
from tests.handlers.telegram.conftest import harness_settings
from tests.handlers.telegram.helpers import reply_to, texts_to


async def test_two_processes_behind_one_webhook_act_as_one_bot(
    tmp_path: Path,
    emulator: TelegramEmulator,
    engine_resources: EngineResources,
    worker_engine: EngineResources,
    person_a_paths: list[Path],
    redis_prefix: str,
) -> None:
    ports = [free_port(), free_port()]
    proxy = RoundRobinProxy([f"http://127.0.0.1:{port}" for port in ports])
    await proxy.start()
    url = f"http://127.0.0.1:{proxy.port}/telegram/hook"

    def settings_for(port: int) -> Settings:
        return harness_settings(
            tmp_path,
            emulator,
            telegram_webhook_url=url,
            telegram_webhook_listen="127.0.0.1",
            telegram_webhook_port=port,
            redis_url=REDIS_TEST_URL,
            queue_name=redis_prefix,
            rate_user_per_minute=0.01,
            rate_user_burst=10,
            telegram_album_wait_s=1.0,
        )

    first = settings_for(ports[0])
    db = Database(first.effective_database_url)
    db.upgrade()
    store = LocalPhotoStore(first.effective_photo_dir)
    clients = [Redis.from_url(REDIS_TEST_URL), Redis.from_url(REDIS_TEST_URL)]
    bots = []
    for port, engine, client in zip(ports, (engine_resources, worker_engine), clients, strict=True):
        settings = settings_for(port)
        services = Services(
            settings,
            Database(settings.effective_database_url),
            store,
            engine,
            JobQueue.embedded(settings, db),
            shared=redis_state(client, redis_prefix, settings),
        )
        bots.append(TelegramBot(settings, Conversation(services)))
    try:
        for bot in bots:
            await bot.start()
        await emulator.wait_for(lambda c: c.method == "setWebhook")
        user = emulator.user(601, "Twin")
        bad = {"selfie_04.jpg", "selfie_07.jpg"}
        good = [p for p in person_a_paths if p.name not in bad]
        others = [p for p in person_a_paths if p.name in bad]

        # An album of six: its updates alternate between the processes, one answer comes.
        await asyncio.gather(*(user.send_photo(p.read_bytes(), media_group_id="twin-album") for p in good))
        assert sorted(proxy.sent_to.count(b) for b in set(proxy.sent_to)) == [3, 3], proxy.sent_to
        verdict = await reply_to(emulator, user, "good photos")
        assert "6 of 6 good photos" in verdict.text, verdict.text
        assert verdict.text.count("Photo ") == 6, verdict.text

        # Two single photos at once, one per process: numbered 7 and 8, not both 7.
        mark = len(emulator.calls)
        await asyncio.gather(*(user.send_photo(p.read_bytes()) for p in others))
        await reply_to(emulator, user, "Photo 7", after=mark)
        await reply_to(emulator, user, "Photo 8", after=mark)
        with db.session() as session:
            rows = list(session.exec(select(Photo)))
        keys = sorted(row.store_key for row in rows)
        assert len(keys) == 8 == len(set(keys)), keys
        assert [k.rsplit("/", 1)[1] for k in keys] == [f"{n:02d}.jpg" for n in range(1, 9)]
        assert all(store.exists(key) for key in keys)
        assert sorted(row.quality["signature"]["name"] for row in rows) == sorted(
            f"photo {n}" for n in range(1, 9)
        )

        # Rate limits counted once across both: 8 photos + 1 + 1 texts fill the burst of 10.
        for _ in range(2):
            mark = len(emulator.calls)
            await user.send_text("hello")
            await reply_to(emulator, user, msg.TEXT_NOT_PHOTO[:20], after=mark)
        await user.send_text("hello")
        await reply_to(emulator, user, msg.SLOW_DOWN[:20], after=mark)
        assert sum("good photos" in t for t in texts_to(emulator, user)) == 3, "the album, then two photos"
    finally:
        for bot in bots:
            await bot.stop()
        await proxy.stop()
        for client in clients:
            await client.aclose()
        db.dispose()

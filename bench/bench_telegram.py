"""Telegram bot under load: N users send selfies at once; how fast does each verdict come back?

    PYTHONPATH=. python bench/bench_telegram.py [--users 200] [--photos 1] [--spread 0] [--max-side 1280]

The real PTB `Application` polls the Bot API emulator (tests/emulators/telegram.py) on
loopback, with the real engine (dlib face models, the Assessor), SQLite and the photo store.
Each simulated user sends `--photos` selfies from person_a one after another, each as soon as
the verdict of the previous arrived (how a person sends). All users start within `--spread`
seconds (0 = the same instant). Photos are resized to `--max-side` pixels first, as Telegram
itself does for photos sent as photos (1280 px); 0 sends the originals.

Latency per photo: from the update being queued in the emulator to the bot's verdict message
arriving at the emulator (download, decoding, face detection, landmarks, embedding, storing,
the set verdict, the database and the rate limiter included). It also checks that every
update was fetched, every photo got exactly one verdict, and no error reply was sent.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import platform
import secrets
import statistics
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

from PIL import Image

from bot.jobs.queue import JobQueue
from bot.settings import Settings
from conversations.dialogue import Conversation
from conversations.shared.messages import PHOTO_UNREADABLE, SOMETHING_WENT_WRONG
from conversations.shared.services import Services
from engine.pipeline import load_engine_resources
from handlers.telegram import TelegramBot
from storage.database import Database
from storage.photos import LocalPhotoStore
from tests.emulators.telegram import TOKEN, ApiCall, EmulatedUser, TelegramEmulator

FACES = Path(__file__).resolve().parents[2] / "shared" / "faces" / "person_a"


def selfies(max_side: int) -> list[bytes]:
    out = []
    for path in sorted(FACES.glob("selfie_*.jpg")):
        if not max_side:
            out.append(path.read_bytes())
            continue
        with Image.open(path) as original:
            image = original.convert("RGB")
            image.thumbnail((max_side, max_side))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=87)
            out.append(buffer.getvalue())
    return out


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if "model name" in line:
            return line.split(":", 1)[1].strip()
    return platform.processor()


def is_verdict(chat_id: str, number: int, call: ApiCall) -> bool:
    """The verdict for photo `number`, or any other answer that ends the wait (an error)."""
    if call.chat_id != chat_id or call.method != "sendMessage":
        return False
    return (
        f"Photo {number}:" in call.text or SOMETHING_WENT_WRONG in call.text or PHOTO_UNREADABLE in call.text
    )


async def one_user(
    emulator: TelegramEmulator, user: EmulatedUser, photos: list[bytes], start_at: float
) -> list[float]:
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    latencies = []
    for index, data in enumerate(photos, start=1):
        mark = len(emulator.calls)
        sent = time.monotonic()
        await user.send_photo(data)
        reply = await emulator.wait_for(partial(is_verdict, str(user.id), index), after=mark, wait_s=900)
        latencies.append(reply.at - sent)
    return latencies


def serve_bot(settings: Settings, ready: threading.Event, stop: threading.Event, load_s: list[float]) -> None:
    """The bot in its own thread and event loop, as a separate server would be."""

    async def main() -> None:
        db = Database(settings.effective_database_url)
        db.upgrade()
        started = time.perf_counter()
        engine = load_engine_resources(min_selfies=6)
        load_s.append(time.perf_counter() - started)
        store = LocalPhotoStore(settings.effective_photo_dir)
        conversation = Conversation(Services(settings, db, store, engine, JobQueue.embedded(settings, db)))
        bot = TelegramBot(settings, conversation)
        await bot.start(poll_timeout=1)
        ready.set()
        await asyncio.to_thread(stop.wait)
        await bot.stop()
        db.dispose()

    asyncio.run(main())


async def run(args: argparse.Namespace) -> None:
    emulator = TelegramEmulator()
    await emulator.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=Path(tmp),
            telegram_token=TOKEN,
            telegram_base_url=emulator.base_url,
            telegram_base_file_url=emulator.base_file_url,
            telegram_concurrent_updates=args.concurrency,
            callback_secret=secrets.token_urlsafe(48),
            min_selfies=6,
        )
        ready, stop = threading.Event(), threading.Event()
        load_times: list[float] = []
        server = threading.Thread(target=serve_bot, args=(settings, ready, stop, load_times), daemon=True)
        server.start()
        await asyncio.to_thread(ready.wait)
        load_s = load_times[0]
        pool = selfies(args.max_side)
        users = [emulator.user(10_000 + i) for i in range(args.users)]
        begin = time.monotonic() + 0.5
        plans = [[pool[(i + k) % len(pool)] for k in range(args.photos)] for i in range(args.users)]
        wall = time.perf_counter()
        results = await asyncio.gather(
            *(
                one_user(emulator, user, plan, begin + (args.spread * i / max(1, args.users - 1)))
                for i, (user, plan) in enumerate(zip(users, plans, strict=True))
            )
        )
        wall = time.perf_counter() - wall
        await asyncio.sleep(1.0)
        stop.set()
        await asyncio.to_thread(server.join)
    await emulator.stop()

    latencies = sorted(x for user in results for x in user)
    verdicts = [c for c in emulator.calls if c.method == "sendMessage" and "good photos" in c.text]
    errors = [c for c in emulator.calls if SOMETHING_WENT_WRONG in c.text or PHOTO_UNREADABLE in c.text]
    pushed = args.users * args.photos
    cpu = cpu_name()
    print(f"machine: {cpu}, {os.cpu_count()} cores; python-telegram-bot via emulator on loopback")
    print(f"engine load: {load_s:.1f} s (excluded)")
    print(
        f"users: {args.users}, photos each: {args.photos}, start spread: {args.spread} s, "
        f"photo size: {args.max_side or 'original'} px, concurrent updates: {args.concurrency}"
    )
    fetched = len(emulator.delivered_update_ids)
    print(f"photos: {pushed}, verdicts: {len(verdicts)}, updates fetched: {fetched}, errors: {len(errors)}")
    print(
        f"verdict latency: median {statistics.median(latencies):.2f} s, "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.2f} s, max {latencies[-1]:.2f} s, "
        f"min {latencies[0]:.2f} s"
    )
    print(f"wall: {wall:.1f} s, throughput: {pushed / wall:.1f} photos/s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--photos", type=int, default=1, help="photos per user, one after another")
    parser.add_argument("--spread", type=float, default=0.0, help="seconds over which users start")
    parser.add_argument("--max-side", type=int, default=1280, help="resize like Telegram does; 0 = originals")
    parser.add_argument("--concurrency", type=int, default=64, help="PTB concurrent_updates")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

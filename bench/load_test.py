"""Load test on loopback: simulated Telegram users against the real bot, two real workers.

The real PTB `Application` polls the Bot API emulator (`tests/emulators/telegram.py`); the
conversation runs the real intake (dlib) and preview; orders go through SAQ on Redis to two
`headshots worker` processes (preview backend) on a scratch PostgreSQL database. Users
arrive evenly over `--duration` seconds; each sends an album of selfies, picks a style,
continues after the preview, confirms, and waits for the album.

Checked at the end: no lost update (every step was answered), no lost photo (rows = photos
sent), no duplicated album (one outbox entry per job, one "ready" headline per user).
Printed: p50/p99 reply latency per step and overall, albums per minute, updates per second.

`--intake-workers K` also starts K `headshots intake` processes and sets
`HEADSHOTS_INTAKE=queue`, so verdicts leave the bot process; `--s3` keeps the photos on the
SeaweedFS test server (`.ci/seaweedfs`) instead of a folder.

`--serve-processes N` runs the bot as N real `headshots serve` processes in webhook mode
behind a round-robin proxy (`tests/emulators/proxy.py`) instead of in this process: the
emulator posts each update to the proxy, so one user's updates (an album's parts too) land on
alternating processes, which share Redis, PostgreSQL and the photo store.

    PYTHONPATH=$PWD python bench/load_test.py --users 40 --duration 120
    PYTHONPATH=$PWD python bench/load_test.py --users 12 --duration 60 --intake-workers 2 --s3
    PYTHONPATH=$PWD python bench/load_test.py --users 12 --duration 60 --serve-processes 2
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import platform
import secrets
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path

import psycopg
from PIL import Image
from saq import Queue
from sqlalchemy import func
from sqlmodel import select

from bot.engine_config import load_engine_from_settings
from bot.jobs.intake import plug_intake
from bot.jobs.queue import JobQueue
from bot.observability import Metrics
from bot.photo_store import open_photo_store
from bot.settings import Settings
from conversations.dialogue import Conversation
from conversations.shared.services import Services
from handlers.telegram import TelegramBot
from storage.database import Database
from storage.models import Job, OutboxEntry, Photo
from tests.emulators.proxy import RoundRobinProxy, free_port
from tests.emulators.telegram import TOKEN, ApiCall, EmulatedUser, TelegramEmulator

REPO = Path(__file__).resolve().parents[1]
FACES = Path(os.environ.get("HEADSHOTS_SHARED", REPO.parent / "shared")) / "faces"
PG_ADMIN = os.environ.get("HEADSHOTS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("HEADSHOTS_BENCH_REDIS", "redis://127.0.0.1:6379/14")
GOOD = ("selfie_01.jpg", "selfie_02.jpg", "selfie_03.jpg", "selfie_05.jpg", "selfie_06.jpg", "selfie_08.jpg")
STEP_TIMEOUT = 120.0
SIDE = 900
"""Selfies are sent at this long side: phone-photo content, a fraction of the detection time."""


def selfies(side: int = SIDE) -> list[bytes]:
    """person_a's good selfies at `side` px, as a phone would send them."""
    photos = []
    for name in GOOD:
        with Image.open(FACES / "person_a" / name) as image:
            small = image.convert("RGB")
        small.thumbnail((side, side))
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=90)
        photos.append(buffer.getvalue())
    return photos


S3_BENCH = {
    "HEADSHOTS_PHOTO_STORE": f"s3://headshots-test/load-{uuid.uuid4().hex[:8]}",
    "HEADSHOTS_S3_ENDPOINT_URL": os.environ.get("HEADSHOTS_TEST_S3", "http://127.0.0.1:8333"),
    "HEADSHOTS_S3_ACCESS_KEY_ID": "headshots",  # .ci/s3.json
    "HEADSHOTS_S3_SECRET_ACCESS_KEY": "headshots-secret",
}


def environment(data: Path, database_url: str, queue: str, emulator: TelegramEmulator) -> dict[str, str]:
    return {
        "HEADSHOTS_DATA_DIR": str(data),
        "HEADSHOTS_DATABASE_URL": database_url,
        "HEADSHOTS_REDIS_URL": REDIS,
        "HEADSHOTS_QUEUE_NAME": queue,
        "HEADSHOTS_TELEGRAM_TOKEN": TOKEN,
        "HEADSHOTS_TELEGRAM_BASE_URL": emulator.base_url,
        "HEADSHOTS_TELEGRAM_BASE_FILE_URL": emulator.base_file_url,
        "HEADSHOTS_CALLBACK_SECRET": secrets.token_urlsafe(48),
        "HEADSHOTS_MIN_SELFIES": "4",
        "HEADSHOTS_CANDIDATES_PER_ORDER": "3",
        "HEADSHOTS_ALBUM_SIZE": "3",
        "HEADSHOTS_DAILY_QUOTA": "0",
        "HEADSHOTS_TELEGRAM_ALBUM_WAIT_S": "1.0",
        "HEADSHOTS_TELEGRAM_COURIER_INTERVAL_S": "0.5",
        "HEADSHOTS_RATE_USER_BURST": "100",
        "HEADSHOTS_RATE_CHAT_BURST": "100",
        "HEADSHOTS_LOG_LEVEL": "WARNING",
        "HEADSHOTS_JOB_HEARTBEAT_S": "10",
    }


class Recorder:
    """Reply latency per step (seconds from the update to the bot's first matching call).

    `contains` may list alternatives as "a|b": an order placed while a worker is idle starts at
    once, and its progress message then says "Making your headshots" instead of the position."""

    def __init__(self, wait_s: float = STEP_TIMEOUT) -> None:
        self.wait_s = wait_s
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    async def reply(
        self,
        emu: TelegramEmulator,
        user: EmulatedUser,
        name: str,
        contains: str,
        method: str,
        mark: int,
        started: float,
        wait_s: float | None = None,
    ) -> ApiCall:
        chat = str(user.id)
        wait_s = wait_s or self.wait_s
        try:
            wanted = [part.lower() for part in contains.split("|")]
            call = await emu.wait_for(
                lambda c: (
                    c.method == method and c.chat_id == chat and any(w in c.text.lower() for w in wanted)
                ),
                after=mark,
                wait_s=wait_s,
            )
        except AssertionError as exc:
            msg = f"no {name!r} reply within {wait_s:.0f} s"
            raise TimeoutError(msg) from exc
        self.latency[name].append(call.at - started)
        return call


async def one_user(
    emu: TelegramEmulator, rec: Recorder, user_id: int, photos: list[bytes], delay: float
) -> None:
    await asyncio.sleep(delay)
    user = emu.user(user_id, f"U{user_id}")
    try:
        mark, started = len(emu.calls), time.monotonic()
        await user.send_album(photos, group_id=f"album-{user_id}")
        verdict = await rec.reply(emu, user, "verdict", "good photos", "sendMessage", mark, started)
        mark, started = len(emu.calls), time.monotonic()
        await user.press(verdict, verdict.button("choose a style")["callback_data"])
        picker = await rec.reply(emu, user, "picker", "Pick a style", "sendMessage", mark, started)
        style = next(b for b in picker.buttons() if b["callback_data"].split(".")[1] == "st")
        mark, started = len(emu.calls), time.monotonic()
        await user.press(picker, style["callback_data"])
        preview = await rec.reply(emu, user, "preview", "studio retouch|preview", "sendPhoto", mark, started)
        mark, started = len(emu.calls), time.monotonic()
        await user.press(preview, preview.button("looks good")["callback_data"])
        summary = await rec.reply(emu, user, "summary", "Place the order?", "sendMessage", mark, started)
        mark, started = len(emu.calls), time.monotonic()
        await user.press(summary, summary.button("generate")["callback_data"])
        await rec.reply(
            emu, user, "queued", "Position in the queue|Making your headshots", "sendMessage", mark, started
        )
        await rec.reply(emu, user, "album", "Want more?", "sendMessage", mark, started, wait_s=900)
    except Exception as exc:  # noqa: BLE001 - recorded, reported, and makes the run fail
        rec.errors.append(f"user {user_id}: {exc!s:.600}")
        print("ERROR", rec.errors[-1], flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def start_processes(
    command: str, names: list[str], env: dict[str, str], data: Path
) -> list[subprocess.Popen[bytes]]:
    processes = []
    for name in names:
        log = (data / f"{name}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "bot.cli", command, "--name", name],
                env={**os.environ, **env, "PYTHONPATH": str(REPO)},
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()
    return processes


def wait_until_ready(names: list[str], data: Path) -> None:
    deadline = time.monotonic() + 300
    for name in names:
        while f"{name} ready" not in (data / f"{name}.log").read_text(errors="replace"):
            if time.monotonic() > deadline:
                sys.exit(f"{name} did not start; see {data / name}.log")
            time.sleep(0.2)


async def start_serve_processes(
    count: int, env: dict[str, str], data: Path, emu: TelegramEmulator
) -> tuple[list[subprocess.Popen[bytes]], RoundRobinProxy]:
    """`count` real `headshots serve` processes on webhook ports behind one round-robin proxy;
    returns once each has registered the webhook."""
    ports = [free_port() for _ in range(count)]
    proxy = RoundRobinProxy([f"http://127.0.0.1:{port}" for port in ports])
    await proxy.start()
    processes = []
    for i, port in enumerate(ports, 1):
        serve_env = {
            **os.environ,
            **env,
            "PYTHONPATH": str(REPO),
            "HEADSHOTS_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{proxy.port}/telegram/hook",
            "HEADSHOTS_TELEGRAM_WEBHOOK_LISTEN": "127.0.0.1",
            "HEADSHOTS_TELEGRAM_WEBHOOK_PORT": str(port),
        }
        log = (data / f"serve-{i}.log").open("wb")
        processes.append(
            subprocess.Popen(  # noqa: ASYNC220 - started once, before the clock runs
                [sys.executable, "-m", "bot.cli", "serve"],
                env=serve_env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()
    await emu.wait_for(lambda c: c.method == "setWebhook", wait_s=300)
    deadline = time.monotonic() + 300
    while sum(c.method == "setWebhook" for c in emu.calls) < count:
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            sys.exit(f"a serve process did not start; see {data}/serve-*.log")
        await asyncio.sleep(0.2)
    return processes, proxy


async def run(
    users: int,
    duration: float,
    data: Path,
    database_url: str,
    wait_s: float,
    intake_workers: int,
    s3: bool,
    serve_processes: int = 0,
) -> int:
    emu = TelegramEmulator()
    await emu.start()
    queue_name = f"load-{uuid.uuid4().hex[:8]}"
    env = environment(data, database_url, queue_name, emu)
    if intake_workers:
        env["HEADSHOTS_INTAKE"] = "queue"
    if s3:
        env.update(S3_BENCH)
    settings = Settings.model_validate({k.removeprefix("HEADSHOTS_").lower(): v for k, v in env.items()})
    db = Database(settings.effective_database_url)
    db.upgrade()
    logs = [(data / f"worker-{i}.log").open("wb") for i in (1, 2)]
    workers = [
        subprocess.Popen(  # noqa: ASYNC220 - started once, before the clock runs
            [sys.executable, "-m", "bot.cli", "worker", "--name", f"load-{i}"],
            env={**os.environ, **env, "PYTHONPATH": str(REPO)},
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for i, log in zip((1, 2), logs, strict=True)
    ]
    intake_names = [f"intake-{i}" for i in range(1, intake_workers + 1)]
    workers += start_processes("intake", intake_names, env, data)
    await asyncio.to_thread(wait_until_ready, intake_names, data)
    bot: TelegramBot | None = None
    queue: JobQueue | None = None
    intake: Queue | None = None
    proxy: RoundRobinProxy | None = None
    if serve_processes:
        servers, proxy = await start_serve_processes(serve_processes, env, data, emu)
        workers += servers
    else:
        queue = JobQueue.for_redis(settings, db)
        await queue.connect()
        metrics = Metrics()
        engine = await asyncio.to_thread(load_engine_from_settings, settings)
        engine, gate, intake = await plug_intake(settings, engine)
        store = await asyncio.to_thread(open_photo_store, settings)
        services = Services(settings, db, store, engine, queue, engine_gate=gate, metrics=metrics)
        bot = TelegramBot(settings, Conversation(services))
        await bot.start(poll_timeout=1)
    photos = selfies()
    rec = Recorder(wait_s)
    started = time.monotonic()
    try:
        await asyncio.gather(
            *(one_user(emu, rec, 10_000 + i, photos, i * duration / users) for i in range(users))
        )
        wall = time.monotonic() - started
        await asyncio.sleep(3.0)  # anything duplicated would arrive now
    finally:
        if bot is not None:
            await bot.stop()
        if queue is not None:
            await queue.close()
        if intake is not None:
            await intake.disconnect()
        if proxy is not None:
            await proxy.stop()
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        for log in logs:
            log.close()
        await emu.stop()

    with db.session() as session:
        photo_rows = session.exec(select(func.count()).select_from(Photo)).one()
        jobs_by_state = dict(session.exec(select(Job.state, func.count()).group_by(Job.state)).all())
        entries = list(session.exec(select(OutboxEntry.job_id)))
    db.dispose()
    headlines: dict[str, int] = defaultdict(int)
    for call in emu.calls:
        if call.method == "sendMessage" and " are ready: " in call.text and call.chat_id:
            headlines[call.chat_id] += 1
    albums = len(rec.latency["album"])

    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} CPUs; load average {os.getloadavg()}")
    where = f"verdicts on {intake_workers} intake workers" if intake_workers else "verdicts in the bot"
    bots = (
        f"{serve_processes} serve processes behind a webhook proxy"
        if serve_processes
        else "1 bot (in-process)"
    )
    print(f"users {users} over {duration:.0f} s; wall {wall:.1f} s; {bots}, 2 workers (preview), {where}")
    print(f"photo store: {settings.photo_store or 'local folder'}")
    print(f"albums delivered {albums}/{users}; {albums / (wall / 60):.1f} albums/min")
    print(f"updates sent {users * (len(photos) + 4)}; {users * (len(photos) + 4) / wall:.1f} updates/s")
    print(f"photos stored {photo_rows}/{users * len(photos)}; jobs {jobs_by_state}")
    most = max(headlines.values(), default=0)
    print(f"outbox entries {len(entries)} for {len(set(entries))} jobs; most headlines to one user {most}")
    print(f"errors {len(rec.errors)}; Bot API calls {len(emu.calls)}")
    for name, values in rec.latency.items():
        print(f"  {name:8s} n={len(values):4d} p50 {pct(values, 0.5):7.2f} s  p99 {pct(values, 0.99):7.2f} s")
    chat_steps = [v for name, values in rec.latency.items() if name != "album" for v in values]
    line = f"p50 {pct(chat_steps, 0.5):7.2f} s  p99 {pct(chat_steps, 0.99):7.2f} s"
    print(f"  replies  n={len(chat_steps):4d} {line}")
    for error in rec.errors[:10]:
        print("ERROR", error)
    lost_photo = photo_rows != users * len(photos)
    duplicated = len(entries) != len(set(entries)) or any(n > 1 for n in headlines.values())
    return 1 if rec.errors or lost_photo or duplicated else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds over which users arrive")
    parser.add_argument("--step-timeout", type=float, default=STEP_TIMEOUT, help="seconds a reply may take")
    parser.add_argument("--intake-workers", type=int, default=0, help="headshots intake processes (0: none)")
    parser.add_argument("--s3", action="store_true", help="photos on the test S3 server, not a folder")
    parser.add_argument(
        "--serve-processes",
        type=int,
        default=0,
        help="real `headshots serve` processes behind a proxy (0: in-process)",
    )
    parser.add_argument("--data", type=Path, default=Path("/tmp") / f"headshots-load-{uuid.uuid4().hex[:6]}")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    name = f"headshots_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    args.data.mkdir(parents=True, exist_ok=True)
    try:
        return asyncio.run(
            run(
                args.users,
                args.duration,
                args.data,
                url,
                args.step_timeout,
                args.intake_workers,
                args.s3,
                args.serve_processes,
            )
        )
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())

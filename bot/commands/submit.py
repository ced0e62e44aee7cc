"""`headshots submit DIR --style S`: queue a generation job for a folder of selfies.

The selfies are copied into the photo store (orientation applied, metadata stripped) under a
`cli` user, exactly as a chat would store them, and the job id is printed; a worker (or, in
embedded mode, `headshots worker` / `headshots serve`) takes it from there.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import select

from bot.jobs.queue import job_queue
from bot.photo_store import open_photo_store
from bot.settings import Settings
from storage.database import Database
from storage.models import Platform, User
from storage.orders import OrderRefusedError, OrderSpec
from storage.photos import PhotoStore, user_prefix

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"}


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "submit", help="queue a generation job for a folder of selfies"
    )
    parser.add_argument("directory", type=Path, help="folder with the selfies")
    parser.add_argument("--style", required=True, help="style name, e.g. corporate")
    parser.add_argument("--backend", choices=["preview", "diffusers"], default=None)
    parser.add_argument("--count", type=int, default=None, help="candidates to generate")
    parser.add_argument("--keep", type=int, default=None, help="images in the album")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of the id")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    files = sorted(p for p in args.directory.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not args.directory.is_dir() or not files:
        print(f"no selfies (jpg, png, webp, heic) found in {args.directory}", file=sys.stderr)
        return 2
    database = Database(settings.effective_database_url)
    database.upgrade()
    try:
        return asyncio.run(_submit(args, settings, database, files))
    finally:
        database.dispose()


async def _submit(args: argparse.Namespace, settings: Settings, database: Database, files: list[Path]) -> int:
    store = open_photo_store(settings)
    user_id = _cli_user(database)
    try:
        keys = tuple(_import_selfie(store, user_id, path) for path in files)
    except (OSError, UnidentifiedImageError) as exc:
        print(f"cannot read a selfie: {exc}", file=sys.stderr)
        return 2
    spec = OrderSpec(
        user_id=user_id,
        platform=Platform.CLI.value,
        chat_id="cli",
        style=args.style,
        photo_keys=keys,
        backend=args.backend or settings.generation_backend,
        count=args.count or settings.candidates_per_order,
        keep=args.keep or settings.album_size,
        seed=args.seed,
    )
    queue = job_queue(settings, database)
    await queue.connect()
    try:
        job = await queue.submit(spec)
    except OrderRefusedError as exc:
        print(exc.user_message, file=sys.stderr)
        return 1
    finally:
        await queue.close()
    if args.json:
        mode = "embedded" if settings.embedded else "redis"
        print(json.dumps({"job_id": job.id, "state": job.state, "selfies": len(keys), "mode": mode}))
    else:
        print(job.id)
    if settings.embedded:
        print("embedded mode: `headshots worker` or `headshots serve` runs it", file=sys.stderr)
    return 0


def _cli_user(database: Database) -> int:
    """The operator as a user of platform `cli` (one per OS account)."""
    name = getpass.getuser()
    with database.session() as session:
        user = session.exec(
            select(User).where(User.platform == Platform.CLI.value, User.platform_user_id == name)
        ).first()
        if user is None:
            user = User(platform=Platform.CLI.value, platform_user_id=name, display_name=name)
            session.add(user)
            session.flush()
        assert user.id is not None
        return user.id


def _import_selfie(store: PhotoStore, user_id: int, path: Path) -> str:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:20]
    if path.suffix.lower() in {".heic", ".heif"}:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    return store.put_image(f"{user_prefix(user_id)}/selfies/{digest}.jpg", upright)

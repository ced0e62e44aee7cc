"""Where photos and results live: keys in, bytes out, nothing outside the store's folder.

The interface is small on purpose so an S3-compatible store (`storage/s3_photos.py`) stands
in for the local folder. Every store keeps the same promises, checked by one contract test
(`tests/storage/test_photo_store_contract.py`): writes are atomic (a reader sees the old object
or the whole new one, never a half; here: temp file + rename), images lose every metadata
block (EXIF, GPS, XMP, ICC comments) on the way in, keys cannot reach outside the store, a
user's data is removed by prefix, and the store can be listed so sweeps need no database.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from PIL import Image

_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*$")


TEMP_PREFIX = ".tmp-"


class InvalidKeyError(ValueError):
    """A key that would reach outside the store (`..`, absolute, odd characters)."""


class PhotoStoreError(OSError):
    """The store could not do what was asked; nothing was half-written."""


class StoreFullError(PhotoStoreError):
    """The disk (or the bucket's quota) is full; nothing was half-written."""


class StoreUnavailableError(PhotoStoreError):
    """The store did not answer (network, server errors) even after retries; nothing was half-written."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One object as a listing sees it: sweeps (retention, orphans) work from these."""

    key: str
    size: int
    modified: datetime


USERS_PREFIX = "users"


def user_prefix(user_id: int) -> str:
    """Every key of a user starts here, so deleting a user is deleting a prefix."""
    return f"{USERS_PREFIX}/{user_id}"


class PhotoStore(Protocol):
    """What the bot, the worker and erasure need from a store; see the module docstring."""

    def put_bytes(self, key: str, data: bytes) -> str: ...
    def put_image(self, key: str, image: Image.Image, *, quality: int = 95) -> str: ...
    def put_stream(self, key: str, source: BinaryIO) -> str:
        """Store a file-like object read in chunks (never whole in memory), atomically."""
        ...

    def get_bytes(self, key: str) -> bytes:
        """The object's bytes; `FileNotFoundError` when there is none."""
        ...

    def get_stream(self, key: str, sink: BinaryIO) -> None:
        """Write the object into `sink` in chunks; `FileNotFoundError` when there is none."""
        ...

    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int:
        """Remove `prefix` and everything under `prefix/` (not `prefix10/...`); returns how many."""
        ...

    def list_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every finished object under `prefix/` (all of them for ''), in no promised order."""
        ...

    def sweep_unfinished(self, older_than: datetime) -> int:
        """Remove what killed writers left behind (temp files, open multipart uploads) that
        started before `older_than`; never visible to readers, but it takes space."""
        ...

    def location(self, key: str) -> str:
        """Where an operator finds the object (a path, an s3:// URL), for CLI output."""
        ...


def validate_key(key: str) -> str:
    if len(key) > 255 or not _KEY_RE.match(key) or any(part in {".", ".."} for part in key.split("/")):
        msg = f"invalid photo store key: {key!r}"
        raise InvalidKeyError(msg)
    return key


def encode_without_metadata(image: Image.Image, *, fmt: str = "JPEG", quality: int = 95) -> bytes:
    """Re-encode pixels only: no EXIF, GPS, XMP or comments survive."""
    if image.mode not in {"RGB", "L", "RGBA"}:
        has_alpha = image.mode in {"LA", "PA"} or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    if fmt == "JPEG" and image.mode == "RGBA":
        image = image.convert("RGB")
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    buffer = io.BytesIO()
    options: dict[str, object] = {"quality": quality, "optimize": True} if fmt == "JPEG" else {}
    clean.save(buffer, format=fmt, **options)
    return buffer.getvalue()


class LocalPhotoStore:
    """A folder on disk. The embedded default and what a single-machine deployment uses."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        validate_key(key)
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root) or target == self.root:
            msg = f"invalid photo store key: {key!r}"
            raise InvalidKeyError(msg)
        return target

    def put_bytes(self, key: str, data: bytes) -> str:
        return self.put_stream(key, io.BytesIO(data))

    def put_stream(self, key: str, source: BinaryIO) -> str:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                shutil.copyfileobj(source, handle, 1024 * 1024)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp_name).replace(target)
        except OSError as exc:
            Path(tmp_name).unlink(missing_ok=True)
            if exc.errno == 28:  # ENOSPC
                msg = "The photo store is full."
                raise StoreFullError(28, msg) from exc
            raise
        return key

    def put_image(self, key: str, image: Image.Image, *, quality: int = 95) -> str:
        fmt = "PNG" if key.lower().endswith(".png") else "JPEG"
        return self.put_bytes(key, encode_without_metadata(image, fmt=fmt, quality=quality))

    def get_bytes(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def get_stream(self, key: str, sink: BinaryIO) -> None:
        with self.path(key).open("rb") as handle:
            shutil.copyfileobj(handle, sink, 1024 * 1024)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def location(self, key: str) -> str:
        return str(self.path(key))

    def list_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        base = self.path(prefix.rstrip("/")) if prefix else self.root
        if base.is_file():
            files: Iterator[Path] = iter([base])
        elif base.is_dir():
            files = base.rglob("*")
        else:
            return
        for file in files:
            if file.is_file() and not file.name.startswith(TEMP_PREFIX):
                stat = file.stat()
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                yield StoredObject(file.relative_to(self.root).as_posix(), stat.st_size, modified)

    def sweep_unfinished(self, older_than: datetime) -> int:
        removed = 0
        for file in self.root.rglob(f"{TEMP_PREFIX}*"):
            if file.is_file() and datetime.fromtimestamp(file.stat().st_mtime, UTC) < older_than:
                file.unlink(missing_ok=True)
                removed += 1
        return removed

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every file under `prefix`; returns how many went."""
        base = self.path(prefix.rstrip("/"))
        if base.is_file():
            base.unlink()
            return 1
        count = 0
        if base.is_dir():
            for file in sorted(base.rglob("*"), reverse=True):
                if file.is_file() or file.is_symlink():
                    file.unlink()
                    count += 1
                elif file.is_dir():
                    file.rmdir()
            base.rmdir()
        return count

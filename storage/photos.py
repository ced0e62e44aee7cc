"""Where photos and results live: keys in, bytes out, nothing outside the store's folder.

The interface is small on purpose so an S3-compatible store can stand in for the local
folder. Writes are atomic (temp file + rename), images lose every metadata block (EXIF,
GPS, XMP, ICC comments) on the way in, and a user's data can be removed by prefix.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from PIL import Image

_KEY_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*$")


class InvalidKeyError(ValueError):
    """A key that would reach outside the store (`..`, absolute, odd characters)."""


class StoreFullError(OSError):
    """The disk is full; nothing was half-written."""


def user_prefix(user_id: int) -> str:
    """Every key of a user starts here, so deleting a user is deleting a prefix."""
    return f"users/{user_id}"


class PhotoStore(Protocol):
    def put_bytes(self, key: str, data: bytes) -> str: ...
    def put_image(self, key: str, image: Image.Image, *, quality: int = 95) -> str: ...
    def get_bytes(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def path(self, key: str) -> Path: ...


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
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
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

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

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

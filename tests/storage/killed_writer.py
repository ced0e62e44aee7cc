"""A writer to kill: streams an object into a store and stops halfway, forever.

`python -m tests.storage.killed_writer SPEC KEY SIZE` where SPEC is JSON naming the store
(`{"local": ROOT}` or `{"s3": [BUCKET, PREFIX], "options": {...}}`). It prints HALFWAY once
`SIZE // 2` bytes were handed to the store, then blocks; the test kills it with SIGKILL.
"""

from __future__ import annotations

import io
import json
import sys
import threading
from pathlib import Path
from typing import Any

from storage.photos import LocalPhotoStore, PhotoStore
from storage.s3_location import S3Location, S3Options


class StallingReader(io.RawIOBase):
    """`size` bytes of data that stop coming after half of them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.given >= self.size // 2:
            print("HALFWAY", flush=True)
            threading.Event().wait()
        count = min(len(buffer), self.size - self.given, self.size // 2 - self.given)
        buffer[:count] = b"n" * count
        self.given += count
        return count


def open_store(spec: dict[str, Any]) -> PhotoStore:
    if "local" in spec:
        return LocalPhotoStore(Path(spec["local"]))
    from storage.s3_photos import S3PhotoStore

    bucket, prefix = spec["s3"]
    return S3PhotoStore(S3Location(bucket, prefix), S3Options(**spec["options"]))


def main() -> None:
    spec, key, size = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    open_store(spec).put_stream(key, io.BufferedReader(StallingReader(size)))


if __name__ == "__main__":
    main()

"""The promises every photo store keeps, checked on the local folder and on a real S3 server.

Each test runs twice (`any_photo_store`): a `LocalPhotoStore` in a temp folder and an
`S3PhotoStore` on SeaweedFS. What only one kind can break (symlinks, a full disk, a dropped
connection) is tested beside it, in `test_photos.py` and at the end of this file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from storage.photos import (
    TEMP_PREFIX,
    InvalidKeyError,
    LocalPhotoStore,
    PhotoStore,
    StoreUnavailableError,
    user_prefix,
)
from storage.s3_location import S3Location, S3Options
from tests.conftest import REPO
from tests.storage.tcp_faults import cutting_proxy

MB = 1024 * 1024


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0132] = "2024:01:01 12:00:00"  # DateTime
    gps = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, comment=b"secret")
    return buffer.getvalue()


def _keys(store: PhotoStore, prefix: str = "") -> set[str]:
    return {obj.key for obj in store.list_objects(prefix)}


def test_bytes_round_trip_and_missing_keys(any_photo_store: PhotoStore) -> None:
    store = any_photo_store
    assert store.put_bytes("users/1/a.bin", b"first") == "users/1/a.bin"
    assert store.get_bytes("users/1/a.bin") == b"first"
    assert store.exists("users/1/a.bin")
    assert not store.exists("users/1/b.bin")
    with pytest.raises(FileNotFoundError):
        store.get_bytes("users/1/b.bin")
    store.delete("users/1/a.bin")
    store.delete("users/1/a.bin")  # deleting twice is fine
    assert not store.exists("users/1/a.bin")


def test_exif_and_gps_are_stripped(any_photo_store: PhotoStore) -> None:
    source = Image.open(io.BytesIO(jpeg_with_gps()))
    assert source.getexif().get(0x010F) == "SpyCam"
    any_photo_store.put_image("users/1/selfies/a.jpg", source)
    data = any_photo_store.get_bytes("users/1/selfies/a.jpg")
    stored = Image.open(io.BytesIO(data))
    assert len(stored.getexif()) == 0
    assert "exif" not in stored.info
    assert "comment" not in stored.info
    assert b"SpyCam" not in data
    assert b"secret" not in data
    assert stored.size == (64, 48)


@pytest.mark.parametrize(
    "key",
    ["../../etc/passwd", "/etc/passwd", "users/../../x", "users/1/../../../x", "", "a//b", "users/./x", "ü"],
)
def test_keys_cannot_escape(any_photo_store: PhotoStore, key: str) -> None:
    with pytest.raises(InvalidKeyError):
        any_photo_store.put_bytes(key, b"x")
    with pytest.raises(InvalidKeyError):
        any_photo_store.get_bytes(key)
    with pytest.raises(InvalidKeyError):
        any_photo_store.delete_prefix(key or "/")


def test_overwrite_is_atomic_for_a_concurrent_reader(any_photo_store: PhotoStore) -> None:
    """A reader during an overwrite sees the whole old object or the whole new one."""
    store, key = any_photo_store, "users/1/big.bin"
    old, new = b"o" * (3 * MB), b"N" * (3 * MB)
    store.put_bytes(key, old)
    seen: set[bytes] = set()
    writing = threading.Event()

    def read_until_new() -> None:
        writing.wait(timeout=30)
        for _ in range(200):
            data = store.get_bytes(key)
            seen.add(hashlib.sha256(data).digest())
            if data == new:
                return

    reader = threading.Thread(target=read_until_new)
    reader.start()
    writing.set()
    store.put_bytes(key, new)
    reader.join(timeout=60)
    assert seen <= {hashlib.sha256(old).digest(), hashlib.sha256(new).digest()}
    assert store.get_bytes(key) == new


def test_large_files_stream_in_and_out(any_photo_store: PhotoStore, tmp_path: Path) -> None:
    """20 MB goes through in chunks (multipart on S3) and comes back identical."""
    source = tmp_path / "big.zip"
    source.write_bytes(os.urandom(20 * MB))
    with source.open("rb") as handle:
        any_photo_store.put_stream("users/1/exports/big.zip", handle)
    copy = tmp_path / "copy.zip"
    with copy.open("wb") as sink:
        any_photo_store.get_stream("users/1/exports/big.zip", sink)
    assert hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(source.read_bytes()).digest()
    (listed,) = any_photo_store.list_objects("users/1/exports")
    assert listed.size == 20 * MB
    with pytest.raises(FileNotFoundError):
        any_photo_store.get_stream("users/1/exports/none.zip", io.BytesIO())


def test_delete_prefix_removes_every_object_of_one_user_only(any_photo_store: PhotoStore) -> None:
    store = any_photo_store
    mine = [f"users/1/sessions/{s}/{n:02d}.jpg" for s in range(3) for n in range(8)]
    mine += ["users/1/jobs/j1/01.jpg", "users/1/jobs/j1/album.json", "users/1/selfies/x.jpg"]
    others = ["users/10/selfies/a.jpg", "users/2/selfies/b.jpg", "users/1x"]
    for key in mine + others:
        store.put_bytes(key, b"x")
    assert _keys(store, user_prefix(1)) == set(mine)

    assert store.delete_prefix(user_prefix(1)) == len(mine)

    assert _keys(store, user_prefix(1)) == set()
    assert _keys(store) == set(others)
    assert store.delete_prefix(user_prefix(1)) == 0


def test_listing_sees_finished_objects_with_their_age(any_photo_store: PhotoStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    any_photo_store.put_bytes("users/3/a.jpg", b"abc")
    any_photo_store.put_bytes("users/3/deep/b.jpg", b"de")
    listed = {obj.key: obj for obj in any_photo_store.list_objects("users/3")}
    assert set(listed) == {"users/3/a.jpg", "users/3/deep/b.jpg"}
    assert listed["users/3/a.jpg"].size == 3
    assert all(before < obj.modified < datetime.now(UTC) + timedelta(seconds=5) for obj in listed.values())
    assert list(any_photo_store.list_objects("users/4")) == []


def _spec(store: PhotoStore) -> str:
    if isinstance(store, LocalPhotoStore):
        return json.dumps({"local": str(store.root)})
    location: S3Location = store.spec  # type: ignore[attr-defined]
    options: S3Options = store.options  # type: ignore[attr-defined]
    return json.dumps({"s3": [location.bucket, location.prefix], "options": asdict(options)})


def _wait_for_line(process: subprocess.Popen[str], timeout_s: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout_s)
    return process.stdout.readline().strip() if ready else ""


def _wait_for_leftover(store: PhotoStore, timeout_s: float) -> None:
    """Until the writer's unfinished upload exists (the S3 client opens it in a thread)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if isinstance(store, LocalPhotoStore):
            if list(store.root.rglob(f"{TEMP_PREFIX}*")):
                return
        elif store.client.list_multipart_uploads(  # type: ignore[attr-defined]
            Bucket=store.bucket,  # type: ignore[attr-defined]
            Prefix=f"{store.spec.prefix}/",  # type: ignore[attr-defined]
        ).get("Uploads"):
            return
        time.sleep(0.05)
    pytest.fail("the writer never started its upload")


def test_a_writer_killed_mid_upload_leaves_no_visible_half_object(any_photo_store: PhotoStore) -> None:
    """SIGKILL halfway through a 24 MB stream: readers still see the old object, the listing
    shows nothing new, and the sweep removes what the writer left (temp file, multipart parts)."""
    store, key = any_photo_store, "users/5/exports/team.zip"
    store.put_bytes(key, b"old export")
    with subprocess.Popen(
        [sys.executable, "-m", "tests.storage.killed_writer", _spec(store), key, str(24 * MB)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    ) as writer:
        try:
            assert _wait_for_line(writer, 60) == "HALFWAY"
            _wait_for_leftover(store, timeout_s=30)
        finally:
            writer.kill()
            writer.wait(timeout=30)
    assert store.get_bytes(key) == b"old export"
    assert [(o.key, o.size) for o in store.list_objects("users/5")] == [(key, len(b"old export"))]
    assert store.sweep_unfinished(datetime.now(UTC) - timedelta(hours=1)) == 0  # a live writer's is kept
    assert store.sweep_unfinished(datetime.now(UTC) + timedelta(minutes=1)) >= 1
    assert store.sweep_unfinished(datetime.now(UTC) + timedelta(minutes=1)) == 0
    assert store.get_bytes(key) == b"old export"
    if isinstance(store, LocalPhotoStore):
        assert not list(store.root.rglob(f"{TEMP_PREFIX}*"))


def _s3_port(options: S3Options) -> int:
    return int(options.endpoint_url.rsplit(":", 1)[1])


def test_s3_upload_retries_after_a_dropped_connection(s3_photo_store: PhotoStore) -> None:
    from storage.s3_photos import S3PhotoStore

    assert isinstance(s3_photo_store, S3PhotoStore)
    data = os.urandom(2 * MB)
    with cutting_proxy(_s3_port(s3_photo_store.options), cut_after=256 * 1024, cut_connections=1) as proxy:
        options = S3Options(**{**asdict(s3_photo_store.options), "endpoint_url": proxy.url})
        flaky = S3PhotoStore(s3_photo_store.spec, options)
        flaky.put_bytes("users/6/a.jpg", data)
    assert proxy.cuts == 1
    assert proxy.connections >= 2
    assert s3_photo_store.get_bytes("users/6/a.jpg") == data


def test_s3_upload_fails_cleanly_when_the_connection_keeps_dropping(s3_photo_store: PhotoStore) -> None:
    from storage.s3_photos import S3PhotoStore

    assert isinstance(s3_photo_store, S3PhotoStore)
    s3_photo_store.put_bytes("users/6/a.jpg", b"old")
    with cutting_proxy(_s3_port(s3_photo_store.options), cut_after=64 * 1024, cut_connections=99) as proxy:
        options = S3Options(**{**asdict(s3_photo_store.options), "endpoint_url": proxy.url})
        flaky = S3PhotoStore(s3_photo_store.spec, options)
        with pytest.raises(StoreUnavailableError, match="did not answer"):
            flaky.put_bytes("users/6/a.jpg", os.urandom(MB))
        with pytest.raises(StoreUnavailableError):
            flaky.put_bytes("users/6/b.jpg", os.urandom(MB))
    assert proxy.cuts == 2 * options.max_attempts
    assert s3_photo_store.get_bytes("users/6/a.jpg") == b"old"
    assert _keys(s3_photo_store, "users/6") == {"users/6/a.jpg"}

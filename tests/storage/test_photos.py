"""The photo store: atomic writes, no metadata, no escaping its folder, deletion by user."""

from __future__ import annotations

import errno
import io
from pathlib import Path

import pytest
from PIL import Image

from storage.photos import InvalidKeyError, LocalPhotoStore, StoreFullError, user_prefix


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0132] = "2024:01:01 12:00:00"  # DateTime
    gps = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, comment=b"secret")
    return buffer.getvalue()


def test_exif_and_gps_are_stripped(photo_store: LocalPhotoStore) -> None:
    source = Image.open(io.BytesIO(_jpeg_with_gps()))
    assert source.getexif().get(0x010F) == "SpyCam"
    photo_store.put_image("users/1/selfies/a.jpg", source)
    stored = Image.open(io.BytesIO(photo_store.get_bytes("users/1/selfies/a.jpg")))
    assert len(stored.getexif()) == 0
    assert "exif" not in stored.info
    assert "comment" not in stored.info
    assert b"SpyCam" not in photo_store.get_bytes("users/1/selfies/a.jpg")
    assert stored.size == (64, 48)


@pytest.mark.parametrize(
    "key",
    ["../../etc/passwd", "/etc/passwd", "users/../../x", "users/1/../../../x", "", "a//b", "users/./x", "ü"],
)
def test_keys_cannot_escape(photo_store: LocalPhotoStore, key: str) -> None:
    with pytest.raises(InvalidKeyError):
        photo_store.put_bytes(key, b"x")
    with pytest.raises(InvalidKeyError):
        photo_store.get_bytes(key)


def test_symlink_out_of_the_store_is_refused(photo_store: LocalPhotoStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (photo_store.root / "users").mkdir()
    (photo_store.root / "users" / "evil").symlink_to(outside)
    with pytest.raises(InvalidKeyError):
        photo_store.put_bytes("users/evil/x.jpg", b"x")
    assert not (outside / "x.jpg").exists()


def test_write_is_atomic_and_leaves_no_temp_files(photo_store: LocalPhotoStore) -> None:
    photo_store.put_bytes("users/1/a.bin", b"first")
    photo_store.put_bytes("users/1/a.bin", b"second")
    assert photo_store.get_bytes("users/1/a.bin") == b"second"
    assert [p.name for p in (photo_store.root / "users" / "1").iterdir()] == ["a.bin"]


def test_disk_full_is_a_clear_error_and_nothing_half_written(
    photo_store: LocalPhotoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo_store.put_bytes("users/1/a.bin", b"old")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("storage.photos.os.fsync", full)
    with pytest.raises(StoreFullError, match="full"):
        photo_store.put_bytes("users/1/a.bin", b"new")
    assert photo_store.get_bytes("users/1/a.bin") == b"old"
    assert [p.name for p in (photo_store.root / "users" / "1").iterdir()] == ["a.bin"]


def test_delete_prefix_removes_one_user_only(photo_store: LocalPhotoStore) -> None:
    for key in ["users/1/selfies/a.jpg", "users/1/jobs/j/1.jpg", "users/2/selfies/b.jpg"]:
        photo_store.put_bytes(key, b"x")
    assert photo_store.delete_prefix(user_prefix(1)) == 2
    assert not (photo_store.root / "users" / "1").exists()
    assert photo_store.exists("users/2/selfies/b.jpg")
    assert photo_store.delete_prefix(user_prefix(1)) == 0

"""What only the local folder can get wrong: symlinks, temp files, a full disk.

The promises every store keeps are in `test_photo_store_contract.py`.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from storage.photos import InvalidKeyError, LocalPhotoStore, StoreFullError


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

"""`HEADSHOTS_PHOTO_STORE` picks the store: the folder by default, a bucket for s3:// URLs."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bot.photo_store import open_photo_store
from bot.settings import Settings, SettingsError, load_settings
from storage.photos import LocalPhotoStore
from storage.s3_location import S3Options


def test_default_is_the_local_folder(settings: Settings) -> None:
    store = open_photo_store(settings)
    assert isinstance(store, LocalPhotoStore)
    assert store.root == settings.effective_photo_dir.resolve()


@pytest.mark.parametrize("url", ["s3://", "http://bucket/x", "s3://bucket/../x", "s3://bucket/p?x=1"])
def test_a_bad_store_url_names_the_variable(url: str) -> None:
    with pytest.raises(SettingsError, match="HEADSHOTS_PHOTO_STORE"):
        load_settings(_env_file=None, photo_store=url)


def test_an_s3_url_opens_the_bucket_creating_it(tmp_path: Path, s3_options: S3Options) -> None:
    from storage.s3_photos import S3PhotoStore

    bucket = f"headshots-new-{uuid.uuid4().hex[:8]}"
    settings = load_settings(
        _env_file=None,
        data_dir=tmp_path,
        photo_store=f"s3://{bucket}/prod",
        s3_endpoint_url=s3_options.endpoint_url,
        s3_access_key_id=s3_options.access_key_id,
        s3_secret_access_key=s3_options.secret_access_key,
    )
    store = open_photo_store(settings)
    assert isinstance(store, S3PhotoStore)
    try:
        store.put_bytes("users/1/a.jpg", b"x")
        assert store.location("users/1/a.jpg") == f"s3://{bucket}/prod/users/1/a.jpg"
        again = open_photo_store(settings)  # the bucket exists now: opened, not re-created
        assert again.get_bytes("users/1/a.jpg") == b"x"
    finally:
        store.delete_prefix("users")
        store.client.delete_bucket(Bucket=bucket)


def test_wrong_credentials_say_which_settings_to_check(tmp_path: Path, s3_options: S3Options) -> None:
    settings = load_settings(
        _env_file=None,
        data_dir=tmp_path,
        photo_store="s3://headshots-test/x",
        s3_endpoint_url=s3_options.endpoint_url,
        s3_access_key_id="nobody",
        s3_secret_access_key="wrong",
        s3_max_attempts=1,
    )
    with pytest.raises(PermissionError, match="HEADSHOTS_S3_ACCESS_KEY_ID"):
        open_photo_store(settings).put_bytes("users/1/a.jpg", b"x")

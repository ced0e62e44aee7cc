"""Settings -> the photo store: the local folder, or an S3-compatible bucket.

The one place that reads `HEADSHOTS_PHOTO_STORE`, so the bot, the worker and every CLI
command open the same store.
"""

from __future__ import annotations

from bot.settings import Settings
from storage.photos import LocalPhotoStore, PhotoStore
from storage.s3_location import S3Location, S3Options


def s3_options(settings: Settings) -> S3Options:
    return S3Options(
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
        max_attempts=settings.s3_max_attempts,
    )


def open_photo_store(settings: Settings, *, prepare: bool = True) -> PhotoStore:
    """The configured store; with `prepare`, an S3 bucket is created when missing (start-up)."""
    if not settings.photo_store:
        return LocalPhotoStore(settings.effective_photo_dir)
    from storage.s3_photos import S3PhotoStore  # boto3 costs ~1 s to import; only S3 users pay it

    store = S3PhotoStore(S3Location.parse(settings.photo_store), s3_options(settings))
    if prepare:
        store.ensure_bucket()
    return store

"""Which bucket and how to reach it: parsed from settings without importing boto3.

Kept apart from `storage/s3_photos.py` so reading the settings (every CLI command, every
test) does not pay for importing the S3 client.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from storage.photos import validate_key

MULTIPART_BYTES = 8 * 1024 * 1024


class InvalidStoreUrlError(ValueError):
    """`HEADSHOTS_PHOTO_STORE` is not `s3://bucket[/prefix]`."""


@dataclass(frozen=True, slots=True)
class S3Location:
    """`s3://bucket/prefix`: the bucket and the key prefix every object of this store has."""

    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        prefix = parts.path.strip("/")
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            msg = f"photo store {url!r} is not of the form s3://bucket/prefix"
            raise InvalidStoreUrlError(msg)
        if prefix:
            validate_key(prefix)
        return cls(parts.netloc, prefix)


@dataclass(frozen=True, slots=True)
class S3Options:
    """How to reach the server; empty credentials mean boto3's own chain (env, instance role)."""

    endpoint_url: str = ""
    region: str = "us-east-1"
    access_key_id: str = ""
    secret_access_key: str = ""
    max_attempts: int = 5
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    multipart_bytes: int = MULTIPART_BYTES

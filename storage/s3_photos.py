"""The photo store in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, Ceph RGW, R2 ...).

What makes several machines share photos without NFS. The client is boto3: the reference
SDK, maintained by AWS, synchronous like the `PhotoStore` protocol (callers already run the
store in threads), with retries with backoff built in (botocore's "standard" mode: dropped
connections, timeouts, 5xx and throttling are retried, the body is re-sent from its start),
and multipart transfers through s3transfer for streams. It pulls no native code (botocore,
s3transfer, jmespath, urllib3, python-dateutil); aiobotocore would force an async protocol
on every caller, obstore is younger and its retry and multipart knobs differ per backend.

The same promises as the local folder:
- atomic writes: a single PUT becomes visible only when its last byte arrived; a stream
  goes up as a multipart upload that is only visible once completed, aborted on any error.
  A writer killed mid-upload leaves at most an invisible unfinished multipart upload, which
  `sweep_unfinished` aborts;
- metadata stripped (the same re-encode as the local store; no user metadata is sent);
- keys validated by the same rule, below a fixed prefix inside the bucket;
- delete by prefix and listing by prefix (`prefix/`, so user 1 never matches user 10).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, BinaryIO, TypeVar

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image

from storage.photos import (
    PhotoStoreError,
    StoredObject,
    StoreFullError,
    StoreUnavailableError,
    encode_without_metadata,
    validate_key,
)
from storage.s3_location import S3Location, S3Options

S3Client = Any  # boto3 builds its clients at run time; it ships no types

T = TypeVar("T")

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}
_FULL = {"QuotaExceeded", "InsufficientStorage", "EntityTooLarge", "507"}
_ALREADY = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}
_DENIED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}


def make_client(options: S3Options) -> S3Client:
    """A thread-safe boto3 client with retries on; path-style addressing for self-hosted servers."""
    config = Config(
        region_name=options.region,
        retries={"mode": "standard", "total_max_attempts": options.max_attempts},
        connect_timeout=options.connect_timeout_s,
        read_timeout=options.read_timeout_s,
        max_pool_connections=32,
        s3={"addressing_style": "path" if options.endpoint_url else "auto"},
        # Checksums only where S3 requires them: several S3-compatible servers reject the
        # newer default (CRC trailers on every upload).
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    credentials = (
        {"aws_access_key_id": options.access_key_id, "aws_secret_access_key": options.secret_access_key}
        if options.access_key_id
        else {}
    )
    session = boto3.session.Session()
    client: S3Client = session.client(
        "s3", endpoint_url=options.endpoint_url or None, config=config, **credentials
    )
    return client


class S3PhotoStore:
    """A bucket (under a prefix) holding the same keys the local folder would."""

    def __init__(self, location: S3Location, options: S3Options, *, client: S3Client | None = None) -> None:
        self.spec = location
        self.options = options
        self.client = client if client is not None else make_client(options)
        self._transfer = TransferConfig(
            multipart_threshold=options.multipart_bytes,
            multipart_chunksize=options.multipart_bytes,
            max_concurrency=4,
        )

    @property
    def bucket(self) -> str:
        return self.spec.bucket

    def _full(self, key: str) -> str:
        validate_key(key)
        return f"{self.spec.prefix}/{key}" if self.spec.prefix else key

    def _relative(self, full: str) -> str:
        return full.removeprefix(f"{self.spec.prefix}/") if self.spec.prefix else full

    def ensure_bucket(self) -> None:
        """Create the bucket if it is missing (start-up); a clear error if we may not."""
        try:
            self._call(self.client.head_bucket, Bucket=self.bucket)
        except FileNotFoundError:
            try:
                self.client.create_bucket(Bucket=self.bucket)
            except ClientError as exc:  # another process may have just made it
                if exc.response.get("Error", {}).get("Code") not in _ALREADY:
                    raise self._translate(exc) from exc
            except BotoCoreError as exc:
                raise StoreUnavailableError(f"the photo store at {self._where()} did not answer") from exc

    def put_bytes(self, key: str, data: bytes) -> str:
        full = self._full(key)
        if len(data) >= self.options.multipart_bytes:
            return self.put_stream(key, io.BytesIO(data))
        self._call(self.client.put_object, Bucket=self.bucket, Key=full, Body=data)
        return key

    def put_image(self, key: str, image: Image.Image, *, quality: int = 95) -> str:
        fmt = "PNG" if key.lower().endswith(".png") else "JPEG"
        return self.put_bytes(key, encode_without_metadata(image, fmt=fmt, quality=quality))

    def put_stream(self, key: str, source: BinaryIO) -> str:
        full = self._full(key)
        self._call(
            self.client.upload_fileobj, Fileobj=source, Bucket=self.bucket, Key=full, Config=self._transfer
        )
        return key

    def get_bytes(self, key: str) -> bytes:
        full = self._full(key)
        return self._call(self._read, full=full)

    def get_stream(self, key: str, sink: BinaryIO) -> None:
        full = self._full(key)
        self._call(
            self.client.download_fileobj, Bucket=self.bucket, Key=full, Fileobj=sink, Config=self._transfer
        )

    def exists(self, key: str) -> bool:
        full = self._full(key)
        try:
            self._call(self.client.head_object, Bucket=self.bucket, Key=full)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        full = self._full(key)
        self._call(self.client.delete_object, Bucket=self.bucket, Key=full)

    def delete_prefix(self, prefix: str) -> int:
        prefix = prefix.rstrip("/")
        keys = [obj.key for obj in self.list_objects(prefix)]
        if self.exists(prefix):
            keys.append(prefix)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self._full(k)} for k in keys[start : start + 1000]]
            answer = self._call(self.client.delete_objects, Bucket=self.bucket, Delete={"Objects": batch})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                msg = f"could not delete {first.get('Key')} from {self.bucket}: {first.get('Message')}"
                raise StoreUnavailableError(msg)
        return len(keys)

    def list_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        below = f"{self._full(prefix.rstrip('/'))}/" if prefix else self._root_prefix()
        for page in self._call(self._pages, operation="list_objects_v2", Prefix=below):
            for item in page.get("Contents", []):
                yield StoredObject(self._relative(item["Key"]), item["Size"], item["LastModified"])

    def sweep_unfinished(self, older_than: datetime) -> int:
        aborted = 0
        for page in self._call(self._pages, operation="list_multipart_uploads", Prefix=self._root_prefix()):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < older_than:
                    self._call(
                        self.client.abort_multipart_upload,
                        Bucket=self.bucket,
                        Key=upload["Key"],
                        UploadId=upload["UploadId"],
                    )
                    aborted += 1
        return aborted

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._full(key)}"

    def _read(self, full: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=full)["Body"].read()
        return body

    def _pages(self, operation: str, **kwargs: Any) -> list[dict[str, Any]]:
        """Every page of a listing, fetched inside `_call` so a failure is translated."""
        return list(self.client.get_paginator(operation).paginate(Bucket=self.bucket, **kwargs))

    def _root_prefix(self) -> str:
        return f"{self.spec.prefix}/" if self.spec.prefix else ""

    def _call(self, action: Callable[..., T], /, **kwargs: Any) -> T:
        """Run one client call (botocore already retried it) and turn its failure into ours."""
        try:
            return action(**kwargs)
        except ClientError as exc:
            raise self._translate(exc) from exc
        except BotoCoreError as exc:
            msg = f"the photo store at {self._where()} did not answer: {exc}"
            raise StoreUnavailableError(msg) from exc

    def _translate(self, exc: ClientError) -> OSError:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if code in _MISSING or status == "404":
            return FileNotFoundError(f"no object {error.get('Key', '')} in {self._where()}".strip())
        if code in _FULL or status == "507":
            return StoreFullError(28, "The photo store is full.")
        if code in _DENIED or status == "403":
            return PermissionError(
                f"the photo store at {self._where()} refused access ({code}): check "
                "HEADSHOTS_S3_ACCESS_KEY_ID / HEADSHOTS_S3_SECRET_ACCESS_KEY and the bucket policy"
            )
        return PhotoStoreError(
            f"the photo store at {self._where()} failed: {code} {error.get('Message', '')}"
        )

    def _where(self) -> str:
        endpoint = self.options.endpoint_url or "AWS S3"
        return f"s3://{self.bucket}/{self.spec.prefix} ({endpoint})"

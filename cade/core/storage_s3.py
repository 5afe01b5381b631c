"""Files in an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage…): the `Storage` protocol over boto3.

Several web hosts and workers see the same files only through shared
storage; this is it. Names and guarantees are those of LocalStorage
(cade/core/storage.py), and so is memory use:

- `put` reads the stream in chunks, hashing and counting as it goes, and
  sends it in parts of PART_BYTES (one PUT when it fits in one part), so a
  process holds one part whatever the file's size. Past `max_bytes`, or on
  any failure, a multipart upload is aborted: the bucket keeps nothing.
- `open` answers a stream (`S3Reader`) that reads the HTTP body as the
  caller asks, a chunk at a time; a download never holds the whole object.
  A seek starts a ranged GET, so the zip check of an office file reads its
  directory at the end, not the whole archive.
- A store that cannot be reached fails within seconds (short connect and
  read timeouts, two attempts) as StorageUnavailable, logged with its cause;
  a key that is not there is FileNotFoundError.

One boto3 client serves a process (clients are thread-safe and keep a
connection pool); the cache is keyed by the process id too, so a process
forked after the first use (gunicorn --preload, Celery prefork) opens its
own connections rather than sharing its parent's sockets.
"""

import functools
import hashlib
import io
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import BinaryIO

from botocore.exceptions import BotoCoreError, ClientError

from cade.core.errors import StorageUnavailable
from cade.core.storage import CHUNK_BYTES, StoredFile, check_name, new_stored_name

logger = logging.getLogger(__name__)

# S3's smallest part but the last is 5 MiB; 8 MiB is boto3's own default part size.
PART_BYTES = 8 * 1024 * 1024
# Error codes S3-compatible stores answer for a key (or, on a HEAD, anything) that is not there.
MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
DEFAULT_CONNECT_TIMEOUT = 3.0  # seconds
# Seconds without a byte from the store once connected. A PUT may also wait up to 1 s for "100 Continue":
# a store that hangs answers a page in at most 2 × (1 + 5) s plus a backoff under 1 s.
DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_MAX_ATTEMPTS = 2  # the first try and one retry: an outage answers in seconds, not minutes


@functools.lru_cache(maxsize=8)
def _client(pid: int, endpoint_url: str | None, region: str | None, access_key: str | None,
            secret_key: str | None, connect_timeout: float, read_timeout: float, attempts: int):
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=connect_timeout, read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": attempts},
        # A store of our own (MinIO, Ceph, moto) is addressed by path; AWS by virtual host.
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        # Checksums only where S3 requires them: several S3-compatible stores refuse the newer headers,
        # and `put` computes the file's sha256 itself.
        request_checksum_calculation="when_required", response_checksum_validation="when_required",
    )
    # A session of its own: boto3's default session is not safe to create clients from in several threads.
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url or None, region_name=region or None,
        aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None, config=config)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _translated(action: str, key: str = "") -> Iterator[None]:
    """botocore's failures as the protocol's: FileNotFoundError for a missing key, else StorageUnavailable."""
    try:
        yield
    except ClientError as exc:
        if key and _code(exc) in MISSING_CODES:
            raise FileNotFoundError(key) from None
        logger.warning("S3 %s of %r refused: %s", action, key, exc)
        raise StorageUnavailable(reason=f"S3 {action} refused: {_code(exc) or exc}") from exc
    except BotoCoreError as exc:  # no connection, timeouts, a cut stream, no credentials
        logger.warning("S3 %s of %r failed: %s", action, key, exc)
        raise StorageUnavailable(reason=f"S3 {action} failed: {exc}") from exc


class S3Reader(io.RawIOBase):
    """One object's bytes, read from the HTTP body as the caller asks; a seek starts a ranged GET from there.

    `open` wraps it in a BufferedReader, so that small reads and seeks within
    the last chunk read cost no request.
    """

    def __init__(self, client, bucket: str, key: str, response: Mapping):
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        self._body = response["Body"]
        self._size = int(response["ContentLength"])
        self._position = 0

    @property
    def size(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        start = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}.get(whence)
        if start is None:
            raise ValueError(f"invalid whence ({whence})")
        if start + offset < 0:
            raise ValueError("negative seek position")
        if start + offset != self._position:
            self._drop_body()
            self._position = start + offset
        return self._position

    def readinto(self, buffer) -> int:
        if self._position >= self._size or not len(buffer):
            return 0
        with _translated("read", self._key):
            if self._body is None:
                self._body = self._client.get_object(Bucket=self._bucket, Key=self._key,
                                                     Range=f"bytes={self._position}-")["Body"]
            data = self._body.read(len(buffer))
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        self._drop_body()
        super().close()

    def _drop_body(self) -> None:
        if self._body is not None:
            body, self._body = self._body, None
            body.close()


class S3Storage:
    """Files in one bucket, under `prefix` when the bucket is shared; names as LocalStorage gives them."""

    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_config(cls, config: Mapping) -> "S3Storage":
        """The bucket the app's S3_* settings name, through this process's client."""
        bucket = config.get("S3_BUCKET")
        if not bucket:
            logger.error("STORAGE_BACKEND is s3 but S3_BUCKET is not set")
            raise StorageUnavailable(reason="S3_BUCKET is not set")
        client = _client(os.getpid(), config.get("S3_ENDPOINT_URL"), config.get("S3_REGION"),
                         config.get("S3_ACCESS_KEY_ID"), config.get("S3_SECRET_ACCESS_KEY"),
                         float(config.get("S3_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)),
                         float(config.get("S3_READ_TIMEOUT", DEFAULT_READ_TIMEOUT)),
                         int(config.get("S3_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))
        return cls(client, bucket, config.get("S3_PREFIX") or "")

    def _key(self, stored_name: str) -> str:
        return self.prefix + check_name(stored_name)

    def put(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile:
        stored_name = new_stored_name()
        key = self._key(stored_name)
        digest, size = hashlib.sha256(), 0
        part = bytearray()
        upload_id, parts = None, []
        try:
            with _translated("upload", key):
                while chunk := stream.read(CHUNK_BYTES):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise OverflowError(size)
                    digest.update(chunk)
                    part += chunk
                    if len(part) >= PART_BYTES:
                        if upload_id is None:
                            upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
                        parts.append(self._upload_part(key, upload_id, len(parts) + 1, part))
                        part = bytearray()
                if upload_id is None:
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=part)
                else:
                    if part:
                        parts.append(self._upload_part(key, upload_id, len(parts) + 1, part))
                    self.client.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                                          MultipartUpload={"Parts": parts})
        except BaseException:
            if upload_id is not None:
                self._abort(key, upload_id)
            raise
        return StoredFile(stored_name, size, digest.hexdigest())

    def _upload_part(self, key: str, upload_id: str, number: int, data: bytearray) -> dict:
        answer = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                         Body=data)
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def _abort(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except (BotoCoreError, ClientError) as exc:
            # The store is down: the parts stay invisible (no object has this key) until the bucket's
            # lifecycle rule for incomplete multipart uploads removes them.
            logger.warning("S3 abort of the upload of %r failed: %s", key, exc)

    def open(self, stored_name: str) -> BinaryIO:
        key = self._key(stored_name)
        with _translated("read", key):
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        return io.BufferedReader(S3Reader(self.client, self.bucket, key, response), buffer_size=CHUNK_BYTES)

    def delete(self, stored_name: str) -> None:
        key = self._key(stored_name)
        try:
            with _translated("delete", key):
                self.client.delete_object(Bucket=self.bucket, Key=key)  # S3 answers 204 for a key already gone
        except FileNotFoundError:
            pass  # a store that says so for a key already gone

    def exists(self, stored_name: str) -> bool:
        try:
            self.size(stored_name)
        except FileNotFoundError:
            return False
        return True

    def size(self, stored_name: str) -> int:
        key = self._key(stored_name)
        with _translated("look-up", key):
            return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])

    def ping(self) -> None:
        with _translated("ping"):
            self.client.head_bucket(Bucket=self.bucket)

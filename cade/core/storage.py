"""One storage interface for uploaded and generated files: `Storage`, and the local folder behind it.

Every caller asks `get_storage()` and speaks only the verbs of `Storage`
(put, open, delete, exists, size, and ping for /readyz); STORAGE_BACKEND
chooses a folder (`LocalStorage`, here) or an S3-compatible bucket
(`cade.core.storage_s3.S3Storage`) without the callers knowing. Files are
stored under random names outside static files; the original name lives only
in the database and is never used as a path.

A storage that is full, refuses writes or cannot be reached raises
`StorageUnavailable` (a DomainError, 503), never a bare OSError or a
botocore error: pages keep what the person typed and ask them to try again,
and report runs fail with that message. A file that is not there is still
FileNotFoundError (a 404, not an outage).
"""

import hashlib
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol, runtime_checkable

from flask import current_app

from cade.core.errors import StorageUnavailable

CHUNK_BYTES = 64 * 1024

logger = logging.getLogger(__name__)


class StoredFile(NamedTuple):
    """What `put` wrote: the name to keep in the database, its size in bytes and its sha256."""

    name: str
    size: int
    sha256: str


@runtime_checkable
class Storage(Protocol):
    """Where files live. Names are the ones `put` gave; any other name is refused (ValueError).

    Every verb raises StorageUnavailable when the storage is full, refuses
    access or cannot be reached.
    """

    def put(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile:
        """Store the stream under a new random name. Raises OverflowError, keeping nothing, past `max_bytes`."""

    def open(self, stored_name: str) -> BinaryIO:
        """The file's bytes as a binary stream (the caller closes it). Raises FileNotFoundError."""

    def delete(self, stored_name: str) -> None:
        """Remove the file; a file already gone is not an error."""

    def exists(self, stored_name: str) -> bool: ...

    def size(self, stored_name: str) -> int:
        """The file's size in bytes. Raises FileNotFoundError."""

    def ping(self) -> None:
        """Raise StorageUnavailable if the storage cannot be written to now (for /readyz); None if it can."""


def new_stored_name() -> str:
    return secrets.token_hex(16)


def check_name(stored_name: str) -> str:
    """`stored_name` if it could be one `put` gave; ValueError for a name that could reach another file."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("invalid stored name")
    return stored_name


@contextmanager
def unavailable_on_os_error(action: str) -> Iterator[None]:
    """Turn the file system's refusals (ENOSPC, EIO, EACCES, EROFS…) into StorageUnavailable, logged with the
    cause; a missing file stays FileNotFoundError."""
    try:
        yield
    except FileNotFoundError:
        raise
    except OSError as exc:
        logger.warning("storage %s failed: %s", action, exc)
        raise StorageUnavailable(reason=f"{action}: {exc}") from exc


class LocalStorage:
    """Files in a folder of this machine (or a volume shared by every machine), fanned out by name prefix."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, stored_name: str) -> Path:
        return self.root / stored_name[:2] / check_name(stored_name)

    def _create(self, path: Path) -> BinaryIO:
        """A new file open for writing (its own method, so that a test can put it on a full device)."""
        return path.open("xb")

    def put(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile:
        stored_name = new_stored_name()
        path = self._path(stored_name)
        digest = hashlib.sha256()
        size = 0
        try:
            with unavailable_on_os_error("write"):
                path.parent.mkdir(parents=True, exist_ok=True)
                with self._create(path) as out:
                    while chunk := stream.read(CHUNK_BYTES):
                        size += len(chunk)
                        if max_bytes is not None and size > max_bytes:
                            raise OverflowError(size)
                        digest.update(chunk)
                        out.write(chunk)
        except BaseException:
            with suppress(OSError):  # a disk that failed the write may fail this too: the first error matters
                path.unlink(missing_ok=True)
            raise
        return StoredFile(stored_name, size, digest.hexdigest())

    def open(self, stored_name: str) -> BinaryIO:
        path = self._path(stored_name)
        with unavailable_on_os_error("read"):
            return path.open("rb")

    def delete(self, stored_name: str) -> None:
        path = self._path(stored_name)
        with unavailable_on_os_error("delete"):
            path.unlink(missing_ok=True)

    def exists(self, stored_name: str) -> bool:
        path = self._path(stored_name)
        with unavailable_on_os_error("look-up"):
            return path.exists()

    def size(self, stored_name: str) -> int:
        path = self._path(stored_name)
        with unavailable_on_os_error("look-up"):
            return path.stat().st_size

    def ping(self) -> None:
        with unavailable_on_os_error("ping"):
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK | os.X_OK):
                raise PermissionError(f"storage folder {self.root} is not writable")


def get_storage() -> Storage:
    """The app's storage: the folder STORAGE_PATH, or the bucket S3_BUCKET when STORAGE_BACKEND is "s3"."""
    config = current_app.config
    backend = config.get("STORAGE_BACKEND") or "local"
    if backend == "s3":
        from cade.core.storage_s3 import S3Storage  # boto3 is imported only by the deployments that use it

        return S3Storage.from_config(config)
    if backend != "local":
        raise RuntimeError(f"STORAGE_BACKEND must be local or s3, not {backend!r}")
    return LocalStorage(config["STORAGE_PATH"])

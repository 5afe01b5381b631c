"""One storage interface for uploaded and generated files: `Storage`, and the local folder behind it.

Every caller asks `get_storage()` and speaks only the five verbs of `Storage`
(put, open, delete, exists, size), so S3-compatible storage can come later
without touching them. Files are stored under random names outside static
files; the original name lives only in the database and is never used as a
path.
"""

import hashlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol, runtime_checkable

from flask import current_app

CHUNK_BYTES = 64 * 1024


class StoredFile(NamedTuple):
    """What `put` wrote: the name to keep in the database, its size in bytes and its sha256."""

    name: str
    size: int
    sha256: str


@runtime_checkable
class Storage(Protocol):
    """Where files live. Names are the ones `put` gave; any other name is refused (ValueError)."""

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
        """Raise if the storage cannot be written to now (for /readyz); return None if it can."""


class LocalStorage:
    """Files in a folder of this machine (or a volume shared by every machine), fanned out by name prefix."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, stored_name: str) -> Path:
        if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
            raise ValueError("invalid stored name")
        return self.root / stored_name[:2] / stored_name

    def put(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredFile:
        stored_name = secrets.token_hex(16)
        path = self._path(stored_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("xb") as out:
                while chunk := stream.read(CHUNK_BYTES):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise OverflowError(size)
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return StoredFile(stored_name, size, digest.hexdigest())

    def open(self, stored_name: str) -> BinaryIO:
        return self._path(stored_name).open("rb")

    def delete(self, stored_name: str) -> None:
        self._path(stored_name).unlink(missing_ok=True)

    def exists(self, stored_name: str) -> bool:
        return self._path(stored_name).exists()

    def size(self, stored_name: str) -> int:
        return self._path(stored_name).stat().st_size

    def ping(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(f"storage folder {self.root} is not writable")


def get_storage() -> Storage:
    """The app's storage (STORAGE_PATH)."""
    return LocalStorage(current_app.config["STORAGE_PATH"])

"""One storage interface for uploaded and generated files.

Files are stored under random names outside static files; the original name
lives only in the database and is never used as a path.
"""

import hashlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO

from flask import current_app


class LocalStorage:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, stored_name: str) -> Path:
        if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
            raise ValueError("invalid stored name")
        return self.root / stored_name[:2] / stored_name

    def save(self, stream: BinaryIO, max_bytes: int) -> tuple[str, int, str]:
        """Write the stream under a new random name; return (name, size, sha256).

        Raises OverflowError, leaving nothing behind, when the stream is larger
        than `max_bytes`.
        """
        stored_name = secrets.token_hex(16)
        path = self._path(stored_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("xb") as out:
                while chunk := stream.read(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise OverflowError(size)
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return stored_name, size, digest.hexdigest()

    def open(self, stored_name: str) -> BinaryIO:
        return self._path(stored_name).open("rb")

    def delete(self, stored_name: str) -> None:
        self._path(stored_name).unlink(missing_ok=True)

    def exists(self, stored_name: str) -> bool:
        return self._path(stored_name).exists()


def get_storage() -> LocalStorage:
    return LocalStorage(current_app.config["STORAGE_PATH"])

"""A storage that is full, gone or silent: StorageUnavailable within seconds, nothing half-kept, and back after.

What each test makes happen is real where the machine allows it: an S3
server process stopped (connection refused), a socket that accepts and never
answers (a store that hangs), a bucket that does not exist, writes that the
kernel refuses with ENOSPC (/dev/full). Only where the file lands is chosen
by the test, as its comment says.
"""

import errno
import io
import socket
import time

import pytest

from cade.core.errors import StorageUnavailable
from cade.core.storage import LocalStorage
from cade.core.storage_s3 import S3Storage
from tests.s3server import s3_config, start_s3_server
from tests.storage.conftest import left_behind

FAIL_FAST_SECONDS = 3.0


@pytest.fixture()
def own_server():
    """An S3 server of this test's own, to stop and start again (the folder's shared one stays up)."""
    endpoint_url, stop = start_s3_server()
    yield endpoint_url, stop
    stop()


def test_a_stopped_s3_server_is_storage_unavailable_at_once_and_serves_again_when_back(own_server):
    endpoint_url, stop = own_server
    storage = S3Storage.from_config(s3_config(endpoint_url))
    kept = storage.put(io.BytesIO(b"before the outage")).name
    stop()

    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as refused:
        storage.put(io.BytesIO(b"during the outage"))
    elapsed = time.monotonic() - started
    print(f"\nS3 server stopped: put refused in {elapsed:.2f} s")
    assert elapsed < FAIL_FAST_SECONDS and "upload failed" in refused.value.reason
    assert refused.value.status == 503 and "try again" in str(refused.value)
    for verb in (storage.open, storage.size, storage.exists, storage.delete):
        with pytest.raises(StorageUnavailable):
            verb(kept)
    with pytest.raises(StorageUnavailable):
        storage.ping()

    # Back on the same address (moto forgets its files, so the bucket is made again): the same client serves.
    _endpoint, stop_again = start_s3_server(port=int(endpoint_url.rsplit(":", 1)[1]))
    try:
        storage.ping()
        again = storage.put(io.BytesIO(b"after the outage"))
        with storage.open(again.name) as stream:
            assert stream.read() == b"after the outage"
    finally:
        stop_again()


def test_a_store_that_accepts_and_never_answers_fails_within_its_timeouts():
    # A listening socket nobody serves: the kernel completes the connection, no byte ever comes back.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        settings = {**s3_config(f"http://127.0.0.1:{silent.getsockname()[1]}"),
                    "S3_CONNECT_TIMEOUT": 0.5, "S3_READ_TIMEOUT": 0.5, "S3_MAX_ATTEMPTS": 1}
        storage = S3Storage.from_config(settings)
        started = time.monotonic()
        with pytest.raises(StorageUnavailable) as refused:
            storage.put(io.BytesIO(b"x" * 1000))
        elapsed = time.monotonic() - started
    print(f"\nS3 store silent: put refused in {elapsed:.2f} s (read timeout 0.5 s, 1 attempt)")
    assert "timeout" in refused.value.reason.lower()
    # An attempt waits up to 1 s for "100 Continue" (botocore, before sending a PUT's body), then the 0.5 s
    # read timeout. (With the defaults, 5 s and 2 attempts: at most 2 × 6 s and a backoff under 1 s.)
    assert 0.4 < elapsed < 1 + 0.5 + 0.5


def test_a_bucket_that_does_not_exist_fails_the_ping_and_the_upload(s3_server):
    storage = S3Storage.from_config(s3_config(s3_server, bucket="no-such-bucket"))
    with pytest.raises(StorageUnavailable):
        storage.ping()
    with pytest.raises(StorageUnavailable) as refused:
        storage.put(io.BytesIO(b"x"))
    assert "NoSuchBucket" in refused.value.reason


def test_s3_without_a_bucket_is_unavailable_and_says_which_setting(s3_server):
    with pytest.raises(StorageUnavailable) as refused:
        S3Storage.from_config({**s3_config(s3_server), "S3_BUCKET": None})
    assert "S3_BUCKET" in refused.value.reason


def on_a_full_disk(storage: LocalStorage) -> LocalStorage:
    """Simulated: where the bytes go. The file is created in the storage folder as usual, but written to
    /dev/full, so the ENOSPC comes from the kernel's write, as on a full disk."""

    def create(path):
        path.open("xb").close()
        return open("/dev/full", "wb")

    storage._create = create
    return storage


@pytest.mark.parametrize("size", [10, 1_000_000], ids=["small (fails on close)", "large (fails on write)"])
def test_a_full_disk_is_storage_unavailable_and_leaves_no_file(local_storage, size):
    storage = on_a_full_disk(local_storage)
    with pytest.raises(StorageUnavailable) as refused:
        storage.put(io.BytesIO(b"x" * size))
    assert isinstance(refused.value.__cause__, OSError) and refused.value.__cause__.errno == errno.ENOSPC
    assert left_behind(storage) == []


def test_a_folder_that_cannot_be_made_fails_the_ping_upload_and_read(tmp_path):
    # A regular file where the folder should be: the kernel refuses every path under it (ENOTDIR/EEXIST).
    (tmp_path / "files").write_bytes(b"not a folder")
    storage = LocalStorage(tmp_path / "files")
    for attempt in (storage.ping, lambda: storage.put(io.BytesIO(b"x")), lambda: storage.open("ab" * 16)):
        with pytest.raises(StorageUnavailable):
            attempt()

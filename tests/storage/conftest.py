"""Fixtures for the storage tests: one S3 protocol server for the whole folder, and each storage to test.

The server is moto in server mode (tests/s3server.py), started once for the
session; every test gets a prefix of its own inside the bucket, so what one
test stored is never what another counts.
"""

import secrets
from pathlib import Path

import pytest

from cade.core.storage import LocalStorage
from cade.core.storage_s3 import S3Storage
from tests.s3server import client_for, s3_config, start_s3_server


@pytest.fixture(scope="session")
def s3_server():
    """The endpoint URL of a running S3 protocol server with the test bucket."""
    endpoint_url, stop = start_s3_server()
    yield endpoint_url
    stop()


@pytest.fixture()
def s3_settings(s3_server) -> dict:
    """The app settings of the S3 storage, with a prefix of this test's own."""
    return s3_config(s3_server, prefix=f"test-{secrets.token_hex(4)}")


@pytest.fixture()
def s3_storage(s3_settings) -> S3Storage:
    return S3Storage.from_config(s3_settings)


@pytest.fixture()
def local_storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


@pytest.fixture(params=["local", "s3"])
def storage(request):
    """Each implementation of the protocol in turn: the contract holds for both."""
    return request.getfixturevalue(f"{request.param}_storage")


def left_behind(storage) -> list[str]:
    """What the storage holds: files in the folder, or objects and unfinished multipart uploads under the prefix."""
    if isinstance(storage, LocalStorage):
        return sorted(str(path) for path in Path(storage.root).rglob("*") if path.is_file())
    client = client_for(storage.client.meta.endpoint_url)
    objects = client.list_objects_v2(Bucket=storage.bucket, Prefix=storage.prefix).get("Contents", [])
    uploads = client.list_multipart_uploads(Bucket=storage.bucket, Prefix=storage.prefix).get("Uploads", [])
    return sorted([item["Key"] for item in objects] + [f"unfinished upload of {item['Key']}" for item in uploads])


@pytest.fixture()
def s3_app(app, s3_settings, monkeypatch):
    """The app with STORAGE_BACKEND=s3 on the test server, for this test only."""
    for key, value in s3_settings.items():
        monkeypatch.setitem(app.config, key, value)
    return app

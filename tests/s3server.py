"""A real S3 protocol server for tests: moto in server mode, in a process of its own, with one bucket.

The storage code speaks HTTP to it exactly as it would to AWS or MinIO
(signatures, multipart uploads, ranged GETs), so the tests show what a
deployment would see; stopping the process is a store that has gone away.
A plain module, so that any test (the production-shaped one too) can start
one: `endpoint_url, stop = start_s3_server()`.
"""

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable

from tests.processes import ManagedProcess, free_port, temporary_log

BUCKET = "cade-test"
REGION = "us-east-1"
# moto accepts any credentials; these keep boto3 from looking for real ones on the machine.
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"
START_TIMEOUT = 15.0  # seconds: moto imports a lot on its first start


def s3_config(endpoint_url: str, bucket: str = BUCKET, prefix: str = "") -> dict:
    """The app settings that point the storage at this server."""
    return {"STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": endpoint_url, "S3_REGION": REGION,
            "S3_PREFIX": prefix, "S3_ACCESS_KEY_ID": ACCESS_KEY_ID, "S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY}


def client_for(endpoint_url: str):
    """A plain boto3 client of the server, for tests that look into the bucket themselves."""
    import boto3

    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=REGION,
                                          aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)


def start_s3_server(bucket: str | None = BUCKET, port: int | None = None) -> tuple[str, Callable[[], None]]:
    """Run `python -m moto.server` on a free port (or `port`), wait until it answers, create `bucket`.

    Returns (endpoint URL, stop); stop ends the process and may be called
    twice. The server's own log goes to a temporary file (a pipe nobody
    reads would fill and stall it), shown if it does not start.
    """
    port = port or free_port()
    endpoint_url = f"http://127.0.0.1:{port}"
    server = ManagedProcess(f"the moto server on port {port}",
                            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env=dict(os.environ), log_path=temporary_log("cade-s3server-"))

    def answers() -> bool:
        try:
            with urllib.request.urlopen(endpoint_url + "/", timeout=1):
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    server.start()
    try:
        server.wait_ready(answers, f"the moto server to answer on port {port}", timeout=START_TIMEOUT, interval=0.05)
        if bucket:
            client_for(endpoint_url).create_bucket(Bucket=bucket)
    except BaseException:
        server.close()
        raise
    return endpoint_url, lambda: server.close(timeout=5)

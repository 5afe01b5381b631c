"""A real S3 protocol server for tests: moto in server mode, in a process of its own, with one bucket.

The storage code speaks HTTP to it exactly as it would to AWS or MinIO
(signatures, multipart uploads, ranged GETs), so the tests show what a
deployment would see; stopping the process is a store that has gone away.
A plain module, so that any test (the production-shaped one too) can start
one: `endpoint_url, stop = start_s3_server()`.
"""

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable

BUCKET = "cade-test"
REGION = "us-east-1"
# moto accepts any credentials; these keep boto3 from looking for real ones on the machine.
ACCESS_KEY_ID = "testing"
SECRET_ACCESS_KEY = "testing"
START_TIMEOUT = 15.0  # seconds: moto imports a lot on its first start


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=log, stderr=subprocess.STDOUT)
    endpoint_url = f"http://127.0.0.1:{port}"

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(endpoint_url + "/", timeout=1):
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                output = log.read().decode(errors="replace")
                stop()
                raise RuntimeError(f"moto server did not start on port {port}:\n{output}") from None
            time.sleep(0.05)
    if bucket:
        client_for(endpoint_url).create_bucket(Bucket=bucket)
    return endpoint_url, stop

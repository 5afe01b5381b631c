"""Fewer bytes on the wire: responses go out in Brotli or gzip, whether or not a proxy sits in front.

Pages, JSON, CSV, XML, SVG and text are compressed as they leave the app
(`init_app`), with Brotli when the request's Accept-Encoding allows it, else
gzip, else as they are. Static files are compressed once per process and per
version of the file, at the highest levels, and served from memory
(`send_static`, called by the static view in cade/core/caching.py).

Why our own hook and not Flask-Compress (we tried 1.25 and left it out): its choice of
coding answers `Accept-Encoding: gzip;q=0` ("never gzip") with gzip and reads
`gzip; q=0.5` (a space, as RFC 9110 allows) as if gzip were not offered; it
compresses attachments built in memory (the CSV and calendar downloads) and
static files on every request at the levels meant for pages. Werkzeug already
parses Accept-Encoding by the RFC (q-values, `*`) and `brotli` is pinned; what
is left is this file.

Rules, each with its reason:

- **What**: text types only (`COMPRESSIBLE`). PDFs, spreadsheets and images are
  compressed already. A body under `MIN_SIZE` bytes is left alone: the
  encoding's own header and framing eat most of the gain.
- **Never** a response that already has a Content-Encoding, a streamed or
  passed-through body (send_file: a download read from storage must stream
  and keep its Range support), an attachment (a file the person saves keeps
  its bytes), a 206, or a body-less status.
- **Levels** for pages: Brotli quality 5 and gzip 6, under a millisecond
  for our largest pages. Measured on the 29.5 KB registration page: Brotli 4
  gives 5.69 KB in 0.21 ms, 5 gives 5.45 KB in 0.46 ms, 6 no smaller; on the
  23 KB application form Brotli 11 takes 29 ms. The 4 % that 5 saves over 4
  is worth more on a slow link than a quarter of a millisecond here
  (tests/quality/test_transfer_sizes.py prints the cost on each run). Static
  files, compressed once, get Brotli 11 and gzip 9.
- **Vary: Accept-Encoding** on every response that could have been
  compressed, including the identity one a client without Brotli or gzip
  gets, so that no cache hands one client's coding to another.
- **ETags**: a compressed page's ETag becomes weak (`W/"…"`), as nginx does.
  Both codings are the same page, which is what a weak validator says; a
  strong one would promise byte-identical bodies (which Range relies on). An
  If-None-Match compares weakly, so the public pages' 304s keep working
  whichever coding the client kept (cade/core/caching.py computes the ETag
  over the page as rendered and answers 304 before any compression happens,
  when this hook runs after it; see `init_app`).
"""

import gzip
import hashlib
import io
import mimetypes
import os
import stat
from functools import lru_cache
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request, send_file, send_from_directory
from werkzeug.http import parse_accept_header
from werkzeug.security import safe_join

CODINGS = ("br", "gzip")  # in our order of preference when the client likes both equally
MIN_SIZE = 500
PAGE_LEVELS = {"br": 5, "gzip": 6}
STATIC_LEVELS = {"br": 11, "gzip": 9}
COMPRESSIBLE = frozenset({
    "application/json", "application/problem+json", "application/ld+json", "application/geo+json",
    "application/javascript", "application/xml", "application/xhtml+xml", "application/rss+xml",
    "application/atom+xml", "application/manifest+json", "image/svg+xml", "image/x-icon",
    "image/vnd.microsoft.icon",
})


def is_compressible(mimetype: str | None) -> bool:
    """Whether a body of this type gets smaller when compressed (text, not PDFs or images)."""
    return bool(mimetype) and (mimetype.startswith("text/") or mimetype in COMPRESSIBLE)


@lru_cache(maxsize=512)
def choose_coding(accept_encoding: str) -> str | None:
    """The content coding to send for this Accept-Encoding header: "br", "gzip", or None for the body as it is.

    The coding with the highest q-value wins (Brotli on a tie); q=0 refuses a
    coding, and `*` stands for those not named. Identity needs no mention to be
    acceptable (RFC 9110, 12.5.3), so it wins only when named with a higher q.
    """
    accepted = parse_accept_header(accept_encoding)
    coding = max(CODINGS, key=lambda name: accepted[name])  # the first of the best: Brotli on a tie
    quality = accepted[coding]
    if quality <= 0:
        return None
    named = {value.lower(): q for value, q in accepted}
    if named.get("identity", 0) > quality:
        return None
    return coding


def encode(data: bytes, coding: str, level: int) -> bytes:
    if coding == "br":
        return brotli.compress(data, quality=level)
    return gzip.compress(data, compresslevel=level, mtime=0)  # mtime=0: the same page gives the same bytes


def _is_candidate(response: Response) -> bool:
    """Whether this response is one that is compressed for a client that accepts it (see the rules above)."""
    status = response.status_code
    if not (200 <= status < 300 or status >= 400) or status in (204, 206):
        return False
    if "Content-Encoding" in response.headers or response.direct_passthrough or response.is_streamed:
        return False
    if response.headers.get("Content-Disposition", "").lower().startswith("attachment"):
        return False
    if not is_compressible(response.mimetype):
        return False
    return (response.content_length or 0) >= MIN_SIZE


def compress_response(response: Response) -> Response:
    """Encode a page, JSON or text response for this request's client, or leave it as it is."""
    if request.endpoint == "static":  # served precompressed (send_static)
        return response
    coding = choose_coding(request.headers.get("Accept-Encoding", ""))
    if response.status_code == 304:
        # The 304 stands for the representation this client would get, coding included.
        if is_compressible(response.mimetype):
            response.vary.add("Accept-Encoding")
            if coding:
                _weaken_etag(response)
        return response
    if not _is_candidate(response):
        return response
    response.vary.add("Accept-Encoding")
    if coding is None:
        return response
    response.set_data(encode(response.get_data(), coding, PAGE_LEVELS[coding]))
    response.headers["Content-Encoding"] = coding
    _weaken_etag(response)
    return response


def _weaken_etag(response: Response) -> None:
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)


# ---------------------------------------------------------------- static files


@lru_cache(maxsize=256)
def _precompressed(path: str, mtime_ns: int, size: int) -> tuple[str, dict[str, bytes]]:
    # Once per process and per state of the file (an edited file has a new mtime or size): the
    # digest that names the bytes in ETags, and each coding that is smaller than the file.
    data = Path(path).read_bytes()
    codings = {coding: encode(data, coding, STATIC_LEVELS[coding]) for coding in CODINGS}
    return hashlib.sha256(data).hexdigest()[:16], {c: body for c, body in codings.items() if len(body) < len(data)}


def static_codings(path: str) -> tuple[str, dict[str, bytes]] | None:
    """The digest and precompressed bodies of a static file, or None when it is not worth compressing."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size < MIN_SIZE:
        return None
    if not is_compressible(mimetypes.guess_type(path)[0]):
        return None
    return _precompressed(path, info.st_mtime_ns, info.st_size)


def send_static(folder: str, filename: str) -> Response:
    """A file of the static folder in the coding this client accepts, from memory; else the file as it is.

    Range and conditional requests are answered on the bytes sent, as HTTP
    wants: the ETag names the coding, since each coding is a different body.
    """
    path = safe_join(folder, filename)
    precompressed = static_codings(path) if path else None
    if precompressed is None:
        return send_from_directory(folder, filename)  # 404s and everything else, as Flask serves them
    digest, bodies = precompressed
    coding = choose_coding(request.headers.get("Accept-Encoding", ""))
    if coding not in bodies:
        response = send_from_directory(folder, filename)
    else:
        response = send_file(io.BytesIO(bodies[coding]), mimetype=mimetypes.guess_type(filename)[0],
                             etag=f"{digest}-{coding}", last_modified=os.stat(path).st_mtime,
                             max_age=current_app.get_send_file_max_age(filename), conditional=True)
        response.headers["Content-Encoding"] = coding
    if bodies:
        response.vary.add("Accept-Encoding")
    return response


def init_app(app: Flask) -> None:
    """Compress the app's responses as they leave.

    Call it before cade.core.caching.init_app: Flask runs after-request hooks
    in reverse order of registration, so compression then runs last, on the
    final body, after caching has set the ETag and answered 304s without
    compressing anything. The other order is correct too (the ETag is then
    computed over the compressed bytes, one per coding), only slower on a 304.
    """
    if app.extensions.get("cade.compression"):
        return
    app.extensions["cade.compression"] = True
    app.after_request(compress_response)

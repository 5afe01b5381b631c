"""What a browser or a proxy may keep of each response, decided in one place for the whole site.

Three answers, and the first that fits wins:

- **A person's response is never stored** (`Cache-Control: no-store`): after
  signing out on a shared computer, the back button must not bring their
  pages back, and no proxy may hand them to someone else. A response is a
  person's when the request carries a credential (an Authorization header, or
  a session that names someone or holds their messages or CSRF token: every
  page that renders a token keeps it there) or when the response writes the
  session cookie. Pages, JSON and file downloads alike.
- **A public page** (`PUBLIC_ENDPOINTS`: the open calls, a call's page, the training catalogue and a course)
  read by a visitor with no such session gets an ETag and `public, no-cache`:
  caches may keep it but ask each time, and a matching If-None-Match is
  answered 304 without the body. The page differs with the reader's language
  (Accept-Language, or the session cookie), hence `Vary: Accept-Language,
  Cookie`. The language menu carries no CSRF token for a visitor
  (templates/base.html), or no page would qualify. A visitor who picked a
  language in the menu does get `no-store`: Flask-Login's "strong" session
  protection rewrites a session that holds no identifier on every request,
  so each of their pages sets the cookie.
- **Static files** are linked under a versioned name, `/static/site.<first
  12 hex digits of the file's SHA-256>.css` (`url_for('static', ...)` makes
  it; templates make static URLs no other way), so a changed file has a new
  URL and the old one can be kept for a year (`immutable`). The version sits
  in the name, not in a query string: some proxies and CDNs do not cache a
  URL with a query, and one that ignores the query would keep last year's
  file under this year's link. A name whose version is not the file's
  current one (a page cached before a release) and the plain name still get
  the file, with Flask's validators (no-cache, ETag, Last-Modified) instead;
  so do the `?v=<version>` links of earlier releases, kept for a year if
  their version matches. The bytes go out precompressed (cade/core/compression.py).

Everything else (forms, redirects, error pages, the health check) is
`no-store`: a page becomes cacheable by being listed here, never by default.
A view that sets its own Cache-Control keeps it, unless the response is a
person's and the view's header lacks no-store.

Sessions are not permanent (nothing sets `session.permanent`), so
SESSION_REFRESH_EACH_REQUEST never writes a cookie for a visitor who only
reads; the tests check that the open calls list sets none.
"""

import hashlib
import os
import re
import stat
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, g, request, session
from werkzeug.security import safe_join

from cade.core import compression

PUBLIC_ENDPOINTS = frozenset({"programmes.index", "programmes.closed", "programmes.call", "training.catalogue",
                              "training.course"})
STATIC_MAX_AGE = 365 * 24 * 3600
PRIVATE = "no-store"
PUBLIC = "public, no-cache"
# The only thing a visitor's session may hold and still read public pages: the language they chose.
IMPERSONAL_SESSION_KEYS = frozenset({"locale"})
# `site.3fa2b1c9d0e1.css`: the name, the version, and the suffix (if the file has one).
VERSIONED_NAME = re.compile(r"(?P<stem>.+)\.(?P<version>[0-9a-f]{12})(?P<suffix>\.[^.]*)?")


def file_version(path: str | os.PathLike) -> str:
    """The version of a file as its URL carries it: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


@lru_cache(maxsize=1024)
def _version_of(path: str, mtime_ns: int, size: int) -> str:
    # Hashed once per process and per state of the file; a file edited in place (in development)
    # has a new mtime or size, so its URL follows without a restart.
    return file_version(path)


def static_version(static_folder: str | None, filename: str) -> str | None:
    """The version of a file under the static folder, or None when there is no such file."""
    path = safe_join(static_folder, filename) if static_folder else None
    if path is None:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return _version_of(path, info.st_mtime_ns, info.st_size)


def versioned_name(filename: str, version: str) -> str:
    """The name a static file is linked under: `css/site.css` becomes `css/site.<version>.css`."""
    folder, slash, name = filename.rpartition("/")
    stem, _, suffix = name.rpartition(".")
    if not stem:  # no suffix (`LICENSE`) or a dot file (`.nojekyll`): the version goes last
        return f"{filename}.{version}"
    return f"{folder}{slash}{stem}.{version}.{suffix}"


def requested_static(static_folder: str | None, filename: str) -> tuple[str, str | None]:
    """The file a static URL names, and the version it asks for (None for a plain name).

    A name that is a file is that file (with the version of an old `?v=` link,
    if any); otherwise a versioned name is the file without its version.
    """
    path = safe_join(static_folder, filename) if static_folder else None
    if path is None or not os.path.isfile(path):
        folder, slash, name = filename.rpartition("/")
        match = VERSIONED_NAME.fullmatch(name)
        if match:
            return f"{folder}{slash}{match['stem']}{match['suffix'] or ''}", match["version"]
    return filename, request.args.get("v")


def is_personal() -> bool:
    """Whether the response to this request belongs to one person (see the module docstring)."""
    if "Authorization" in request.headers:
        return True
    if session.modified or set(session) - IMPERSONAL_SESSION_KEYS:
        return True
    user = g.get("_login_user")  # only if already loaded: loading it here could query a database that is down
    return bool(user is not None and user.is_authenticated)


def serve_static(filename: str) -> Response:
    """The static view: the file a (versioned) name stands for, in the coding the client accepts."""
    folder = current_app.static_folder
    return compression.send_static(folder, requested_static(folder, filename)[0])


def _cache_static(response: Response) -> Response:
    folder = current_app.static_folder
    filename, version = requested_static(folder, (request.view_args or {}).get("filename", ""))
    if (version and response.status_code in (200, 206, 304)
            and version == static_version(folder, filename)):
        response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"
        response.headers.pop("Expires", None)
    return response


def _cache_page(response: Response) -> Response:
    if is_personal():
        if "no-store" not in response.headers.get("Cache-Control", ""):  # a view's "private, no-store" stays
            response.headers["Cache-Control"] = PRIVATE
        response.headers.pop("ETag", None)
        response.vary.add("Cookie")
        if "Authorization" in request.headers:
            response.vary.add("Authorization")
        return response
    if "Cache-Control" in response.headers:
        return response
    if (request.endpoint in PUBLIC_ENDPOINTS and request.method in ("GET", "HEAD")
            and response.status_code == 200 and not response.is_streamed):
        response.headers["Cache-Control"] = PUBLIC
        response.vary.update(("Accept-Language", "Cookie"))
        response.add_etag()
        return response.make_conditional(request)
    response.headers["Cache-Control"] = PRIVATE
    return response


def init_app(app: Flask) -> None:
    if "static" in app.view_functions:
        app.view_functions["static"] = serve_static

    @app.url_defaults
    def version_static_urls(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = static_version(app.static_folder, values["filename"])
            if version:
                values["filename"] = versioned_name(values["filename"], version)

    @app.after_request
    def set_cache_headers(response: Response) -> Response:
        if request.endpoint == "static":
            return _cache_static(response)
        return _cache_page(response)

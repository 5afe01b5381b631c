"""URL helpers: safe redirects and absolute links for e-mails."""

from urllib.parse import quote, urlsplit

from flask import Flask, current_app, url_for
from werkzeug.routing import MapAdapter


# Longer than any page of ours, with its query; a longer `next` is dropped, not cut.
MAX_NEXT_LENGTH = 500


def safe_relative_path(target: str | None) -> str | None:
    """`target` if it is a path on this site ("/organisations/invitations/x"), else None (no open redirects)."""
    if not target or not isinstance(target, str) or len(target) > MAX_NEXT_LENGTH:
        return None
    # Browsers read "/\\evil.example" like "//evil.example"; control characters hide tricks.
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def safe_next_url(target: str | None, fallback: str = "programmes.index") -> str:
    """`target` if it stays on this site, else the fallback page (no open redirects)."""
    return safe_relative_path(target) or url_for(fallback)


def external_url(endpoint: str, **values) -> str:
    """An absolute link built on BASE_URL, usable inside Celery tasks (no request needed).

    Built by a URL adapter bound to BASE_URL and kept on the app, with the
    app's URL defaults applied as url_for would: e-mails build a few links
    each, and a request context pushed per link cost more than the rest of
    the e-mail's rendering (bench/delivery.py).
    """
    anchor = values.pop("_anchor", None)
    current_app.inject_url_defaults(endpoint, values)
    url = _base_adapter(current_app).build(endpoint, values, force_external=True)
    return f"{url}#{quote(anchor)}" if anchor else url


def _base_adapter(app: Flask) -> MapAdapter:
    """The app's URL map bound to BASE_URL (its scheme, host and path), made once per BASE_URL."""
    base_url = app.config["BASE_URL"]
    cached = app.extensions.get("cade.base_adapter")
    if cached is None or cached[0] != base_url:
        parts = urlsplit(base_url)
        adapter = app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/",
                                   url_scheme=parts.scheme or "https")
        cached = app.extensions["cade.base_adapter"] = (base_url, adapter)
    return cached[1]

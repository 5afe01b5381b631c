"""URL helpers: safe redirects and absolute links for e-mails."""

from urllib.parse import urljoin, urlsplit

from flask import current_app, url_for


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
    """An absolute link built on BASE_URL, usable inside Celery tasks."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        path = url_for(endpoint, **values)
    return urljoin(current_app.config["BASE_URL"].rstrip("/") + "/", path.lstrip("/"))

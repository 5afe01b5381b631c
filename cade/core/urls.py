"""URL helpers: safe redirects and absolute links for e-mails."""

from urllib.parse import urljoin, urlsplit

from flask import current_app, url_for


def safe_next_url(target: str | None, fallback: str = "programmes.index") -> str:
    """`target` if it stays on this site, else the fallback page (no open redirects)."""
    if target:
        # Browsers read "/\\evil.example" like "//evil.example"; control characters hide tricks.
        if "\\" in target or any(ord(c) < 32 for c in target):
            return url_for(fallback)
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for(fallback)


def external_url(endpoint: str, **values) -> str:
    """An absolute link built on BASE_URL, usable inside Celery tasks."""
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        path = url_for(endpoint, **values)
    return urljoin(current_app.config["BASE_URL"].rstrip("/") + "/", path.lstrip("/"))

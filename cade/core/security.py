"""Strict security headers on every response, and the site's security.txt (RFC 9116)."""

import time
from contextlib import contextmanager
from datetime import timedelta
from email.utils import parseaddr

from flask import Flask, Response, current_app

from cade.core.db import utcnow

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    @app.after_request
    def set_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    app.add_url_rule("/.well-known/security.txt", "security_txt", security_txt)


# A security.txt is stale after its Expires; the file is made on each request, so it always looks a year ahead.
# That is honest only while SECURITY_CONTACT is read by someone: the operator who sets it answers for it.
SECURITY_TXT_LIFETIME = timedelta(days=365)


def security_contact(config) -> str:
    """Where to report a vulnerability: SECURITY_CONTACT, else security@ the domain the site's e-mail comes from."""
    if config.get("SECURITY_CONTACT"):
        return config["SECURITY_CONTACT"]
    domain = parseaddr(config.get("MAIL_DEFAULT_SENDER") or "")[1].rpartition("@")[2] or "localhost"
    return f"mailto:security@{domain}"


def security_txt() -> Response:
    """RFC 9116: whom to tell about a vulnerability, in which languages, until when; public and cacheable."""
    config = current_app.config
    expires = (utcnow() + SECURITY_TXT_LIFETIME).replace(microsecond=0)
    lines = [
        f"Contact: {security_contact(config)}",
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"Preferred-Languages: {', '.join(config['LANGUAGES'])}",
        f"Canonical: {config['BASE_URL'].rstrip('/')}/.well-known/security.txt",
    ]
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@contextmanager
def answer_no_sooner_than(config_key: str = "ACCOUNT_ANSWER_FLOOR_SECONDS"):
    """Make a request take at least the configured time, whichever path it took.

    Pages that must not reveal whether an address has an account (reset,
    resend verification, sign-up) do more work for a known address; waiting
    up to a fixed floor hides the difference from someone timing answers.
    """
    floor = current_app.config.get(config_key, 0)
    started = time.monotonic()
    try:
        yield
    finally:
        remaining = floor - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)

"""Strict security headers on every response."""

import time
from contextlib import contextmanager

from flask import Flask, current_app

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

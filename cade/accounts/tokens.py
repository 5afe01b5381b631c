"""Signed, expiring, single-use tokens for e-mail links (verification, password reset).

A token carries the user's id and a fingerprint of the state it is meant to
change (for verification: the address and "not verified yet"; for a reset: the
password hash). Once the change is made the fingerprint no longer matches, so
the link works once without storing anything.
"""

import hashlib
import hmac

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cade.core.errors import DomainError

VERIFY_EMAIL = "accounts.verify-email"
RESET_PASSWORD = "accounts.reset-password"

_MAX_AGE_SETTING = {VERIFY_EMAIL: "EMAIL_TOKEN_MAX_AGE", RESET_PASSWORD: "RESET_TOKEN_MAX_AGE"}


class InvalidToken(DomainError):
    default_message = _l("This link is not valid or has already been used.")


class TokenExpired(InvalidToken):
    default_message = _l("This link has expired. Please ask for a new one.")


def fingerprint(user, purpose: str) -> str:
    if purpose == VERIFY_EMAIL:
        parts = [user.email, user.verified_at.isoformat() if user.verified_at else ""]
    elif purpose == RESET_PASSWORD:
        parts = [user.email, user.password_hash, str(user.session_version)]
    else:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(user, purpose: str) -> str:
    return _serializer(purpose).dumps({"u": user.id, "f": fingerprint(user, purpose)})


def read_token(token: str, purpose: str) -> tuple[int, str]:
    """(user id, fingerprint) from a token; raises TokenExpired or InvalidToken."""
    max_age = current_app.config[_MAX_AGE_SETTING[purpose]]
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired() from exc
    except BadSignature as exc:
        raise InvalidToken() from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), str):
        raise InvalidToken()
    return data["u"], data["f"]


def matches(user, purpose: str, token_fingerprint: str) -> bool:
    return user is not None and hmac.compare_digest(fingerprint(user, purpose), token_fingerprint)

"""Signed, expiring, single-use tokens for e-mail links (verification, password reset, a new address).

A token carries the user's id and a fingerprint of the state it is meant to
change (for verification: the address and "not verified yet"; for a reset and
a change of address: the address, the password hash and the session version).
Once the change is made the fingerprint no longer matches, so the link works
once without storing anything. A verification token may also carry the page
to return to afterwards (`next`, a path on this site): signed with the rest,
so it works on whichever device the mail is opened. A change-of-address token
carries the new address (`email`), signed with the rest, so it cannot be
pointed at another.
"""

import hashlib
import hmac
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer

from cade.core.errors import DomainError
from cade.core.urls import safe_relative_path

VERIFY_EMAIL = "accounts.verify-email"
RESET_PASSWORD = "accounts.reset-password"
CHANGE_EMAIL = "accounts.change-email"

_MAX_AGE_SETTING = {VERIFY_EMAIL: "EMAIL_TOKEN_MAX_AGE", RESET_PASSWORD: "RESET_TOKEN_MAX_AGE",
                    CHANGE_EMAIL: "EMAIL_TOKEN_MAX_AGE"}


class InvalidToken(DomainError):
    default_message = _l("This link is not valid or has already been used.")


class TokenExpired(InvalidToken):
    """`params` hold the token's `user_id` and `next`: the signature was good, only the time ran out."""

    default_message = _l("This link has expired. Please ask for a new one.")


class TokenData(NamedTuple):
    user_id: int
    fingerprint: str
    next: str | None = None
    email: str | None = None


def fingerprint(user, purpose: str) -> str:
    if purpose == VERIFY_EMAIL:
        parts = [user.email, user.verified_at.isoformat() if user.verified_at else ""]
    elif purpose in (RESET_PASSWORD, CHANGE_EMAIL):
        # The session version too: signing out everywhere, or the change itself (which ends every other
        # session), retires the link, so changing the address back cannot bring an old link back to life.
        parts = [user.email, user.password_hash, str(user.session_version)]
    else:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(user, purpose: str, next_url: str | None = None, email: str | None = None) -> str:
    data = {"u": user.id, "f": fingerprint(user, purpose)}
    next_url = safe_relative_path(next_url)
    if next_url:
        data["n"] = next_url
    if email:
        data["e"] = email
    return _serializer(purpose).dumps(data)


def _token_data(data) -> TokenData:
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), str):
        raise InvalidToken()
    # Checked again on the way out: a token signed before a rule tightened is read by today's rule.
    email = data.get("e") if isinstance(data.get("e"), str) else None
    return TokenData(data["u"], data["f"], safe_relative_path(data.get("n")), email)


def read_token(token: str, purpose: str) -> TokenData:
    """(user id, fingerprint, next, email) from a token; raises TokenExpired or InvalidToken."""
    serializer = _serializer(purpose)
    max_age = current_app.config[_MAX_AGE_SETTING[purpose]]
    try:
        return _token_data(serializer.loads(token, max_age=max_age))
    except SignatureExpired as exc:
        # The signature checked out; only the age did not. Who it was for still helps the page say what next.
        try:
            expired = _token_data(serializer.load_payload(exc.payload))
        except (BadData, InvalidToken):
            raise TokenExpired() from exc
        raise TokenExpired(user_id=expired.user_id, next=expired.next) from exc
    except BadSignature as exc:
        raise InvalidToken() from exc


def matches(user, purpose: str, token_fingerprint: str) -> bool:
    return user is not None and hmac.compare_digest(fingerprint(user, purpose), token_fingerprint)

"""Signing in and out, and passwords: reset links and changes."""

import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from cade.accounts import passwords, tokens
from cade.accounts.models import User
from cade.accounts.tokens import InvalidToken
from cade.core.audit import record_event
from cade.core.commands import Command, field
from cade.core.db import utcnow
from cade.core.errors import ValidationFailed
from cade.extensions import db
from cade.notifications.services import notify
from cade.accounts.services._common import (
    AuthenticationFailed,
    get_user_by_email,
    _record_sign_in,
    _valid_hours,
    _set_password,
    _end_sessions,
)


def authenticate(email: str, password: str) -> User:
    """The active user with this e-mail and password; records the sign-in time.

    Raises AuthenticationFailed with one message whether the address is
    unknown, the password wrong or the account disabled; an unknown address
    still runs a password check so the answer takes as long.
    """
    user = get_user_by_email(email)
    password_ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active:
        raise AuthenticationFailed()
    _record_sign_in(user)
    db.session.flush()
    return user

def request_password_reset(email: str) -> bool:
    """Send a reset link if the address belongs to an active account.

    The caller shows the same answer either way and nothing is written for an
    unknown address; returns True when a message was queued.
    """
    user = get_user_by_email(email)
    if user is None or not user.active:
        return False
    token = tokens.make_token(user, tokens.RESET_PASSWORD)
    context = {"token": token, "email": user.email, "valid_hours": _valid_hours("RESET_TOKEN_MAX_AGE")}
    notify("accounts.reset_password", recipient=user, context=context,
           key=f"reset:{user.id}:{secrets.token_hex(8)}", in_app=False)
    return True

def check_reset_token(token: str) -> User:
    """The user a reset link is for, changing nothing; raises TokenExpired or InvalidToken."""
    data = tokens.read_token(token, tokens.RESET_PASSWORD)
    user = db.session.get(User, data.user_id)
    if user is None or not user.active or not tokens.matches(user, tokens.RESET_PASSWORD, data.fingerprint):
        raise InvalidToken()
    return user

@dataclass(frozen=True)
class PasswordResetInput(Command):
    """The new password chosen on a reset link's page."""

    password: str | None = field(passwords.NewPassword())


def reset_password(token: str, command: PasswordResetInput) -> User:
    """Set a new password from a reset link and sign out every session.

    The link works once (the password hash is part of its fingerprint). A
    reset proves the address, so an unverified account becomes verified.
    Raises TokenExpired or InvalidToken.
    """
    user = check_reset_token(token)
    _set_password(user, command.password)
    if user.verified_at is None:
        user.verified_at = utcnow()
    record_event(user, "user.password_reset", user)
    db.session.flush()
    return user

@dataclass(frozen=True)
class PasswordChangeInput(Command):
    """The current password, to prove who is typing, and the new one."""

    current_password: str | None = field(passwords.Password())
    new_password: str | None = field(passwords.NewPassword())


def change_password(user: User, command: PasswordChangeInput) -> User:
    """Change the user's own password after checking the current one; signs out other sessions.

    Raises ValidationFailed on `current_password`.
    """
    if not passwords.verify_password(user.password_hash, command.current_password):
        raise ValidationFailed({"current_password": [_l("Your current password is not correct.")]})
    _set_password(user, command.new_password)
    record_event(user, "user.password_changed", user)
    db.session.flush()
    return user

def sign_out(user: User) -> User:
    """End every session of `user`, on every device, including copies of their cookies.

    A session is a signed cookie kept by the browser: deleting it from one
    browser would leave a copied or stolen cookie valid. Signing out therefore
    retires the session version, which signs out the user's other devices too.
    """
    _end_sessions(user)
    record_event(user, "user.signed_out", user)
    db.session.flush()
    return user

"""Signing in and out, the soft lock on repeated failures, and passwords: reset links and changes.

The soft lock: after SIGN_IN_LOCK_AFTER wrong passwords (or second-factor
codes) in a row, an account refuses every sign-in for a minute, even with
the right password, and with the very message a wrong password gets, so the
lock tells nobody that the address has an account. Each further failure
once the lock has run out locks it again for twice as long, up to
SIGN_IN_LOCK_MAX seconds: a guesser gets a handful of tries an hour, while
the person who forgot their password waits at most that long, or resets it
(the link proves the address and lifts the lock). Failures during a lock are
not counted: the answer does not depend on the password, so they teach the
guesser nothing. The rate limits of the sign-in and reset pages (per
visitor and per address) stay in front of all this: the lock holds one
account against a slow guesser, the limits hold the site against a fast one.

A failure is written in the caller's transaction and the sign-in is then
refused: the caller must commit on AuthenticationFailed, not roll back, or
the failure is forgotten.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, update
from sqlalchemy.orm import joinedload

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


# The first lock's length; each one after it is twice as long, up to SIGN_IN_LOCK_MAX.
FIRST_LOCK = timedelta(minutes=1)


def authenticate(email: str, password: str) -> User:
    """The active, unlocked user with this e-mail and password; records the sign-in time.

    Raises AuthenticationFailed with one message whether the address is
    unknown, the password wrong, the account disabled or locked; an unknown
    address and a locked account still run a password check so the answer
    takes as long. A wrong password counts towards the lock (written, then
    raised: commit it). The count starts again here for an account without
    a second factor; one with a second factor keeps it until its code is
    accepted (note_successful_sign_in).
    """
    user = get_user_by_email(email)
    password_ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or is_locked(user):
        raise AuthenticationFailed()
    if not password_ok:
        note_failed_sign_in(user)
        raise AuthenticationFailed()
    if not user.active:
        raise AuthenticationFailed()
    if not user.has_two_factor:
        note_successful_sign_in(user)
    _record_sign_in(user)
    db.session.flush()
    return user


def is_locked(user: User) -> bool:
    """True while `user`'s sign-in is refused after too many failures."""
    return user.locked_until is not None and user.locked_until > utcnow()


def note_failed_sign_in(user: User) -> bool:
    """Count a wrong password or code for `user`; locks the account at the limit. True when a lock started.

    The count is raised in SQL (failed_sign_ins + 1), so two wrong attempts at
    the same moment both count. From the SIGN_IN_LOCK_AFTER-th failure on,
    each failure locks the account, for a minute and then twice as long each
    time, at most SIGN_IN_LOCK_MAX seconds; a lock that starts is audited
    `user.sign_in_locked` (no actor). A failure during a lock is not counted.
    Flushes; the caller commits even though it then refuses the sign-in.
    """
    if is_locked(user):
        return False
    failures = db.session.execute(
        update(User).where(User.id == user.id).values(failed_sign_ins=User.failed_sign_ins + 1)
        .returning(User.failed_sign_ins).execution_options(synchronize_session=False)).scalar_one()
    db.session.expire(user, ["failed_sign_ins", "locked_until"])
    beyond = failures - current_app.config.get("SIGN_IN_LOCK_AFTER", 5)
    if beyond < 0:
        return False
    longest = timedelta(seconds=current_app.config.get("SIGN_IN_LOCK_MAX", 15 * 60))
    # The doubling stops at 2**20 minutes, far past any cap, before timedelta could overflow.
    until = utcnow() + min(FIRST_LOCK * 2 ** min(beyond, 20), longest)
    # Never shortens a lock another attempt set a moment ago.
    db.session.execute(
        update(User).where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until < until))
        .values(locked_until=until).execution_options(synchronize_session=False))
    db.session.expire(user, ["locked_until"])
    record_event(None, "user.sign_in_locked", user, after={"failed_sign_ins": failures,
                                                           "locked_until": until.isoformat()})
    return True


def _lock_state(user: User) -> dict:
    return {"failed_sign_ins": user.failed_sign_ins,
            "locked_until": user.locked_until.isoformat() if user.locked_until else None}


def note_successful_sign_in(user: User) -> None:
    """Forget `user`'s failures and any lock: they have proved who they are (password, and code if they use one)."""
    if user.failed_sign_ins or user.locked_until is not None:
        user.failed_sign_ins = 0
        user.locked_until = None
        db.session.flush()

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
    reset proves the address, so an unverified account becomes verified and
    a soft lock is lifted. Raises TokenExpired or InvalidToken.
    """
    user = check_reset_token(token)
    _set_password(user, command.password)
    if user.verified_at is None:
        user.verified_at = utcnow()
    before = _lock_state(user)
    note_successful_sign_in(user)
    after = _lock_state(user)
    # The event shows the failures and the lock the reset lifted, when there were any.
    record_event(user, "user.password_reset", user, *((before, after) if before != after else ()))
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


def load_signed_in_user(user_id: str) -> User | None:
    """The user a session cookie names (Flask-Login's user loader), or None to sign the session out.

    The cookie holds "<id>:<session version>" (User.get_id): a disabled account,
    or a version retired by signing out or changing the password, signs the
    session out at its next request, wherever it was signed in. The roles come
    in the same statement, as every signed-in page asks them (the menu does).
    """
    try:
        raw_id, version = user_id.split(":")
        user = db.session.get(User, int(raw_id), options=[joinedload(User.roles)])
    except (ValueError, TypeError):
        return None
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user

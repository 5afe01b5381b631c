"""Signing up, confirming the address, and the profile."""

import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from cade.accounts import passwords, tokens
from cade.accounts.models import User
from cade.accounts.tokens import InvalidToken
from cade.core.audit import record_event
from cade.core.db import utcnow
from cade.core.commands import Command, FieldErrors, Text, field
from cade.core.errors import PermissionDenied
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.notifications.services import notify
from cade.accounts.services._common import (
    ACCOUNT_ADDRESS,
    Language,
    TimeZone,
    get_user_by_email,
    get_user,
    _valid_hours,
)


@dataclass(frozen=True)
class ProfileInput(Command):
    """A person's name, language and time zone."""

    name: str | None = field(Text(max_len=200))
    locale: str | None = field(Language())
    timezone: str | None = field(TimeZone())

    def check(self, errors: FieldErrors) -> None:
        if self.name is None and "name" not in errors:
            errors.add("name", _l("Please give your name."))


@dataclass(frozen=True)
class RegistrationInput(ProfileInput):
    """A sign-up: the profile, the address (in its one spelling) and a password that keeps the rules."""

    email: str | None = field(ACCOUNT_ADDRESS)
    password: str | None = field(passwords.NewPassword())


def register_user(command: RegistrationInput) -> User | None:
    """Create an unverified account and send it a verification link.

    When the address already has an account nothing is created and that
    address is told someone tried to register with it; the caller shows the
    same page either way, so sign-up cannot be used to find out who has an
    account. Returns the new user, or None when the address was taken.
    """
    # Hash before looking the address up, so both outcomes take the same time.
    password_hash = passwords.hash_password(command.password)
    address, locale, timezone = command.email, command.locale, command.timezone
    existing = get_user_by_email(address)
    if existing is None:
        user = User(email=address, password_hash=password_hash, name=command.name,
                    locale=locale, timezone=timezone)
        # A registration racing this one for the same address fails here on the
        # unique index (IntegrityError); the view shows the same page for it.
        db.session.add(user)
        db.session.flush()
        record_event(user, "user.registered", user,
                     after={"email": address, "locale": locale, "timezone": timezone})
        _send_verification(user)
        return user

    # One warning a day at most, however often someone tries.
    notify("accounts.already_registered", recipient=existing, context={"email": existing.email},
           key=f"already-registered:{existing.id}:{utcnow().date().isoformat()}")
    return None

def _send_verification(user: User) -> None:
    token = tokens.make_token(user, tokens.VERIFY_EMAIL)
    context = {"token": token, "email": user.email, "valid_hours": _valid_hours("EMAIL_TOKEN_MAX_AGE")}
    notify("accounts.verify_email", recipient=user, context=context,
           key=f"verify:{user.id}:{secrets.token_hex(8)}", in_app=False)

def verify_email(token: str) -> User:
    """Mark the token's user verified; the link then stops working.

    Raises TokenExpired, or InvalidToken for a forged, used or foreign token.
    """
    user_id, token_fingerprint = tokens.read_token(token, tokens.VERIFY_EMAIL)
    user = db.session.get(User, user_id)
    if (user is None or not user.active or user.is_verified
            or not tokens.matches(user, tokens.VERIFY_EMAIL, token_fingerprint)):
        raise InvalidToken()
    user.verified_at = utcnow()
    record_event(user, "user.verified", user, after={"email": user.email})
    db.session.flush()
    return user

def resend_verification(email: str) -> bool:
    """Send a new verification link if `email` belongs to an unverified active account.

    Says nothing about whether it did (the caller shows one answer); returns
    True when a message was queued, for tests and logs.
    """
    user = get_user_by_email(email)
    if user is None or not user.active or user.is_verified:
        return False
    _send_verification(user)
    return True

def update_profile(actor: User, user_id: int, command: ProfileInput) -> User:
    """Change a user's name, language and time zone (the user themself or an admin).

    Raises PermissionDenied, or NotFound for an unknown user.
    """
    if actor is None or (actor.id != user_id and not is_admin(actor)):
        raise PermissionDenied()
    user = get_user(user_id)
    before = {"name": user.name, "locale": user.locale, "timezone": user.timezone}
    user.name, user.locale, user.timezone = command.name, command.locale, command.timezone
    after = {"name": user.name, "locale": user.locale, "timezone": user.timezone}
    if before != after:
        record_event(actor, "user.profile_updated", user, before=before, after=after)
    db.session.flush()
    return user

"""Signing up, confirming the address, and the profile."""

import secrets


from cade.accounts import passwords, tokens
from cade.accounts.models import User
from cade.accounts.tokens import InvalidToken
from cade.core.audit import record_event
from cade.core.db import utcnow
from cade.core.errors import PermissionDenied, ValidationFailed
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.notifications.services import notify
from cade.accounts.services._common import (
    normalise_email,
    get_user_by_email,
    _check_profile_values,
    email_problems,
    _valid_hours,
)


def register_user(*, email: str, password: str, name: str, locale: str = "en",
                  timezone: str = "UTC") -> User | None:
    """Create an unverified account and send it a verification link.

    When the address already has an account nothing is created and that
    address is told someone tried to register with it; the caller shows the
    same page either way, so sign-up cannot be used to find out who has an
    account. Returns the new user, or None when the address was taken.
    Raises ValidationFailed with field errors (email, password, name, locale, timezone).
    """
    address = normalise_email(email)
    errors = _check_profile_values(name, locale, timezone)
    if email_errors := email_problems(address):
        errors["email"] = email_errors
    if password_errors := passwords.password_problems(password):
        errors["password"] = password_errors
    if errors:
        raise ValidationFailed(errors)

    # Hash before looking the address up, so both outcomes take the same time.
    password_hash = passwords.hash_password(password)
    existing = get_user_by_email(address)
    if existing is None:
        user = User(email=address, password_hash=password_hash, name=name.strip(),
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

def update_profile(actor: User, user: User, *, name: str, locale: str, timezone: str) -> User:
    """Change a user's name, language and time zone (the user themself or an admin).

    Raises PermissionDenied, or ValidationFailed on name, locale or timezone.
    """
    if actor is None or (actor.id != user.id and not is_admin(actor)):
        raise PermissionDenied()
    errors = _check_profile_values(name, locale, timezone)
    if errors:
        raise ValidationFailed(errors)
    before = {"name": user.name, "locale": user.locale, "timezone": user.timezone}
    user.name, user.locale, user.timezone = name.strip(), locale, timezone
    after = {"name": user.name, "locale": user.locale, "timezone": user.timezone}
    if before != after:
        record_event(actor, "user.profile_updated", user, before=before, after=after)
    db.session.flush()
    return user

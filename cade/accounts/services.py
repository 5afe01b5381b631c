"""Account services: sign-up, verification, sign-in, password reset, profile and roles.

Every function takes plain values and the acting user where there is one,
flushes and never commits; the caller (view, CLI, task) owns the transaction.
"""

import secrets
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.accounts import passwords, tokens
from cade.accounts.models import User, UserRole
from cade.accounts.tokens import InvalidToken
from cade.core.audit import record_event
from cade.core.db import utcnow
from cade.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.permissions import ROLES, is_admin
from cade.core.timeutil import is_timezone
from cade.extensions import db
from cade.notifications.services import notify


class AuthenticationFailed(DomainError):
    # One message for an unknown address and a wrong password: it must not tell them apart.
    default_message = _l("The e-mail address or password is not correct.")


def _validated(email: str | None):
    address = unicodedata.normalize("NFC", (email or "").strip())
    try:
        return address, validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return address, None


def normalise_email(email: str | None) -> str:
    """The one spelling of an address that accounts and invitations store and compare.

    Surrounding spaces go, letters are lower-cased, Unicode is composed (NFC:
    "é" typed as e + accent is the same "é"), and an internationalised domain
    is kept in Unicode whether it was typed so or in its xn-- (punycode) form.
    An address that is not valid is only trimmed, composed and lower-cased;
    the shape checks refuse it.
    """
    address, valid = _validated(email)
    return (valid.normalized if valid else address).lower()


def _stored_spellings(email: str | None) -> set[str]:
    # Accounts stored before normalise_email composed Unicode and decoded xn-- domains
    # kept the address as typed (trimmed, lower-cased), possibly with its xn-- domain.
    _address, valid = _validated(email)
    spellings = {normalise_email(email), (email or "").strip().lower()}
    if valid is not None and valid.ascii_email:
        spellings.add(valid.ascii_email.lower())
    return spellings


def get_user_by_email(email: str | None) -> User | None:
    if not normalise_email(email):
        return None
    query = select(User).where(func.lower(User.email).in_(_stored_spellings(email)))
    return db.session.scalar(query.order_by(User.id).limit(1))


def _check_profile_values(name: str | None, locale: str | None, timezone: str | None) -> dict:
    errors: dict[str, list] = {}
    if not (name or "").strip():
        errors["name"] = [_l("Please give your name.")]
    elif len(name.strip()) > 200:
        errors["name"] = [_l("Use at most %(n)d characters.", n=200)]
    if locale not in current_app.config["LANGUAGES"]:
        errors["locale"] = [_l("Please choose one of the offered languages.")]
    if not is_timezone(timezone):
        errors["timezone"] = [_l("Please choose a time zone from the list.")]
    return errors


def _check_email_shape(email: str) -> list:
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        return [_l("Please enter a valid e-mail address.")]
    return []


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
    if email_errors := _check_email_shape(address):
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


def _valid_hours(setting: str) -> int:
    return max(1, current_app.config[setting] // 3600)


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
    user.last_login_at = utcnow()
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
    user_id, token_fingerprint = tokens.read_token(token, tokens.RESET_PASSWORD)
    user = db.session.get(User, user_id)
    if user is None or not user.active or not tokens.matches(user, tokens.RESET_PASSWORD, token_fingerprint):
        raise InvalidToken()
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link and sign out every session.

    The link works once (the password hash is part of its fingerprint). A
    reset proves the address, so an unverified account becomes verified.
    Raises TokenExpired, InvalidToken, or ValidationFailed on `password`.
    """
    user = check_reset_token(token)
    passwords.check_password_rules(new_password, field="password")
    _set_password(user, new_password)
    if user.verified_at is None:
        user.verified_at = utcnow()
    record_event(user, "user.password_reset", user)
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str) -> User:
    """Change the user's own password after checking the current one; signs out other sessions.

    Raises ValidationFailed on `current_password` or `new_password`.
    """
    if not passwords.verify_password(user.password_hash, current_password):
        raise ValidationFailed({"current_password": [_l("Your current password is not correct.")]})
    passwords.check_password_rules(new_password, field="new_password")
    _set_password(user, new_password)
    record_event(user, "user.password_changed", user)
    db.session.flush()
    return user


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = passwords.hash_password(new_password)
    _end_sessions(user)


def _end_sessions(user: User) -> None:
    # Sessions live in signed cookies the server cannot delete; each carries the
    # version in its user id, so bumping the version makes every copy worthless.
    user.session_version = (user.session_version or 1) + 1


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


def set_user_active(actor: User, user: User, active: bool) -> User:
    """Enable or disable an account (admin only); disabling ends its sessions at once.

    A disabled account cannot sign in, reset its password or confirm its
    address. Raises PermissionDenied, or InvalidTransition when an admin
    would disable their own account.
    """
    if not is_admin(actor):
        raise PermissionDenied()
    active = bool(active)
    if not active and actor.id == user.id:
        raise InvalidTransition(_l("You cannot disable your own account."))
    if user.active != active:
        before = {"active": user.active}
        user.active = active
        if not active:
            _end_sessions(user)
        record_event(actor, "user.enabled" if active else "user.disabled", user,
                     before=before, after={"active": active})
        db.session.flush()
    return user


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


def _check_role_change(actor: User, role: str) -> None:
    if not is_admin(actor):
        raise PermissionDenied()
    if role not in ROLES:
        raise ValidationFailed({"role": [_l("Unknown role.")]})


def grant_role(actor: User, user: User, role: str) -> User:
    """Give `user` a role (admin only); granting a role they have changes nothing.

    Raises PermissionDenied, or ValidationFailed for an unknown role.
    """
    _check_role_change(actor, role)
    if not user.has_role(role):
        before = user.role_names
        user.roles.append(UserRole(role=role))
        db.session.flush()
        record_event(actor, "user.role_granted", user, before={"roles": before}, after={"roles": user.role_names})
    return user


def revoke_role(actor: User, user: User, role: str) -> User:
    """Take a role from `user` (admin only). An admin cannot drop their own admin role,
    so the site is never left without one by accident.

    Raises PermissionDenied, ValidationFailed for an unknown role, InvalidTransition for self-demotion.
    """
    _check_role_change(actor, role)
    if role == "admin" and actor.id == user.id:
        raise InvalidTransition(_l("You cannot remove your own administrator role."))
    granted = [r for r in user.roles if r.role == role]
    if granted:
        before = user.role_names
        for row in granted:
            user.roles.remove(row)
        db.session.flush()
        record_event(actor, "user.role_revoked", user, before={"roles": before}, after={"roles": user.role_names})
    return user


def create_admin(email: str, password: str | None = None, name: str | None = None) -> tuple[User, list[str]]:
    """Create a verified administrator, or promote and verify an existing account (for the CLI).

    A password is required to create an account and, when given for an
    existing one, replaces its password. Returns the user and a list of what
    was done ("created", "promoted", "verified", "password_set").
    Raises ValidationFailed on email or password.
    """
    address = normalise_email(email)
    if email_errors := _check_email_shape(address):
        raise ValidationFailed({"email": email_errors})
    if password is not None:
        passwords.check_password_rules(password)
    done: list[str] = []
    user = get_user_by_email(address)
    if user is not None and not user.active:
        # Someone disabled it for a reason: an administrator role must not bring it back unnoticed.
        raise ValidationFailed({"email": [_l("This account is disabled. Enable it again before "
                                             "making it an administrator.")]})
    if user is None:
        if password is None:
            raise ValidationFailed({"password": [_l("A password is needed to create an account.")]})
        user = User(email=address, password_hash=passwords.hash_password(password),
                    name=(name or address.split("@")[0]).strip(), verified_at=utcnow())
        db.session.add(user)
        db.session.flush()
        record_event(None, "user.registered", user, after={"email": address, "via": "create-admin"})
        done.append("created")
    else:
        if password is not None:
            _set_password(user, password)
            record_event(None, "user.password_reset", user, after={"via": "create-admin"})
            done.append("password_set")
        if user.verified_at is None:
            user.verified_at = utcnow()
            record_event(None, "user.verified", user, after={"email": address, "via": "create-admin"})
            done.append("verified")
    if not user.has_role("admin"):
        before = user.role_names
        user.roles.append(UserRole(role="admin"))
        db.session.flush()
        record_event(None, "user.role_granted", user, before={"roles": before}, after={"roles": user.role_names})
        if "created" not in done:
            done.append("promoted")
    db.session.flush()
    return user, done


def get_user(user_id: int) -> User:
    """The user with this id; raises NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user

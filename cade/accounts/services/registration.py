"""Signing up, confirming the address (which signs the person in), and the profile."""

import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from cade.accounts import passwords, tokens
from cade.accounts.models import User
from cade.accounts.timezones import DEFAULT_ZONE, country_zone
from cade.accounts.tokens import InvalidToken, TokenExpired
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
    ReturnPath,
    TimeZone,
    get_user_by_email,
    get_user,
    _record_sign_in,
    _valid_hours,
)


class LinkAlreadyUsed(InvalidToken):
    """The address was confirmed already; `params` hold the `email` and the `next` page, to offer sign-in."""

    default_message = _l("This link has already been used: your address is confirmed. Please sign in.")


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
    """A sign-up: the profile, the address (in its one spelling), a password that keeps the rules, and
    the page of this site to return to once the address is confirmed (an invitation), if any."""

    email: str | None = field(ACCOUNT_ADDRESS)
    password: str | None = field(passwords.NewPassword())
    next_url: str | None = field(ReturnPath(), source="next")


def register_user(command: RegistrationInput) -> User | None:
    """Create an unverified account and send it a verification link (carrying `next_url`).

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
        _send_verification(user, command.next_url)
        return user

    # One warning a day at most, however often someone tries.
    notify("accounts.already_registered", recipient=existing, context={"email": existing.email},
           key=f"already-registered:{existing.id}:{utcnow().date().isoformat()}")
    return None

def _send_verification(user: User, next_url: str | None = None) -> None:
    # `next` travels inside the signed link, so it works on whichever device the mail is opened.
    token = tokens.make_token(user, tokens.VERIFY_EMAIL, next_url=next_url)
    context = {"token": token, "email": user.email, "valid_hours": _valid_hours("EMAIL_TOKEN_MAX_AGE")}
    notify("accounts.verify_email", recipient=user, context=context,
           key=f"verify:{user.id}:{secrets.token_hex(8)}", in_app=False)


@dataclass(frozen=True)
class Verification:
    """A confirmed address: its user, whom the caller now signs in, and the page they were heading for."""

    user: User
    next_url: str | None


def verify_email(token: str) -> Verification:
    """Confirm the token's address and record a sign-in: the link proves the address.

    The link works once. Its fingerprint stops matching once the address is
    confirmed, and the confirmation itself is a compare-and-set on
    `verified_at`, so of two uses at the same moment only one gets through.
    Raises TokenExpired or LinkAlreadyUsed (both with the account's `email`
    and the `next` page in `params`, to offer sign-in), or InvalidToken for
    a forged or foreign link, a disabled account or a changed address.
    """
    try:
        data = tokens.read_token(token, tokens.VERIFY_EMAIL)
    except TokenExpired as exc:
        user = db.session.get(User, exc.params["user_id"]) if "user_id" in exc.params else None
        if user is None or not user.active:
            raise InvalidToken() from exc
        raise TokenExpired(email=user.email, next=exc.params.get("next")) from exc
    user = db.session.get(User, data.user_id)
    if user is None or not user.active:
        raise InvalidToken()
    if not tokens.matches(user, tokens.VERIFY_EMAIL, data.fingerprint):
        if user.is_verified:
            raise LinkAlreadyUsed(email=user.email, next=data.next)
        raise InvalidToken()
    claimed = db.session.execute(
        update(User).where(User.id == user.id, User.verified_at.is_(None)).values(verified_at=utcnow())
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise LinkAlreadyUsed(email=user.email, next=data.next)
    db.session.refresh(user, ["verified_at"])
    _record_sign_in(user)
    record_event(user, "user.verified", user, after={"email": user.email})
    db.session.flush()
    return Verification(user, data.next)

def resend_verification(email: str, next_url: str | None = None) -> bool:
    """Send a new verification link (carrying `next_url`) if `email` belongs to an unverified active account.

    Says nothing about whether it did (the caller shows one answer); returns
    True when a message was queued, for tests and logs.
    """
    user = get_user_by_email(email)
    if user is None or not user.active or user.is_verified:
        return False
    _send_verification(user, next_url)
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

def default_timezone_from_country(user: User, country: str | None) -> bool:
    """Give `user` the time zone of `country` when they never chose one (still the sign-up default, UTC).

    Only a country that keeps one clock gives a zone (`country_zone`); a
    chosen zone is never changed. Returns whether it changed; audited.
    """
    if user is None or user.timezone != DEFAULT_ZONE:
        return False
    zone = country_zone(country)
    if zone is None or zone == user.timezone:
        return False
    record_event(user, "user.timezone_from_country", user, before={"timezone": user.timezone},
                 after={"timezone": zone, "country": country})
    user.timezone = zone
    db.session.flush()
    return True

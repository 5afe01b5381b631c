"""What the accounts services share: the one spelling of an address, look-ups, the profile's cleaners."""

import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from cade.accounts import passwords
from cade.accounts.models import RememberedDevice, User
from cade.core.commands import Choice, Cleaner, Cleaning, Email, FieldErrors
from cade.core.db import utcnow
from cade.core.errors import DomainError, NotFound
from cade.core.timeutil import is_timezone
from cade.core.urls import safe_relative_path
from cade.extensions import db

# Every address an account or an invitation is given: core's Email cleaner (its spelling), accounts' wording.
ACCOUNT_ADDRESS = Email(message=_l("Enter an e-mail address such as name@example.org."))


class AuthenticationFailed(DomainError):
    # One message for an unknown address and a wrong password: it must not tell them apart.
    default_message = _l("The e-mail address or password is not correct.")


class Language(Cleaner):
    """One of the languages the site is translated into (the app's LANGUAGES, read when cleaning)."""

    def clean(self, raw, cleaning):
        return Choice(current_app.config["LANGUAGES"], required=True,
                      message=_l("Please choose one of the offered languages.")).clean(raw, cleaning)


class TimeZone(Cleaner):
    """An IANA time zone name (Africa/Dakar)."""

    def clean(self, raw, cleaning):
        if not isinstance(raw, str) or not is_timezone(raw):
            cleaning.refuse(_l("Please choose a time zone from the list."))
            return None
        return raw


class ReturnPath(Cleaner):
    """A page of this site to come back to afterwards ("/organisations/invitations/…").

    Anything else (another site, "//host", a backslash trick) is dropped
    without a word: it was never typed by the person, so there is nothing to
    tell them.
    """

    def clean(self, raw, cleaning):
        return safe_relative_path(raw if isinstance(raw, str) else None)


def normalise_email(email: str | None) -> str:
    """The one spelling of an address that accounts and invitations store and compare.

    The spelling of core's Email cleaner: surrounding spaces go, letters are
    lower-cased, Unicode is composed (NFC: "é" typed as e + accent is the
    same "é"), and an internationalised domain is kept in Unicode whether it
    was typed so or in its xn-- (punycode) form. An address that is not
    valid is only trimmed, composed and lower-cased; the cleaner refuses it.
    """
    address = ACCOUNT_ADDRESS.clean(email, Cleaning("email", FieldErrors(), {}, {}))
    return address or unicodedata.normalize("NFC", email.strip() if isinstance(email, str) else "").lower()


def _stored_spellings(email: str | None) -> set[str]:
    # Accounts stored before normalise_email composed Unicode and decoded xn-- domains
    # kept the address as typed (trimmed, lower-cased), possibly with its xn-- domain.
    address = normalise_email(email)
    spellings = {address, (email or "").strip().lower()}
    try:
        ascii_email = validate_email(address, check_deliverability=False).ascii_email
    except EmailNotValidError:
        ascii_email = None
    if ascii_email:  # None when the local part itself is not ASCII
        spellings.add(ascii_email.lower())
    return spellings


def get_user_by_email(email: str | None) -> User | None:
    if not normalise_email(email):
        return None
    query = select(User).where(func.lower(User.email).in_(_stored_spellings(email)))
    return db.session.scalar(query.order_by(User.id).limit(1))


def _valid_hours(setting: str) -> int:
    return max(1, current_app.config[setting] // 3600)

def _record_sign_in(user: User) -> None:
    # Every way in (password, verification link) leaves the same trace.
    user.last_login_at = utcnow()

def _set_password(user: User, new_password: str) -> None:
    user.password_hash = passwords.hash_password(new_password)
    _end_sessions(user)
    # A browser remembered for the second factor was trusted under the old password: a new password (often
    # chosen because the old one leaked) makes every browser prove the second factor again.
    db.session.execute(delete(RememberedDevice).where(RememberedDevice.user_id == user.id)
                       .execution_options(synchronize_session=False))

def _end_sessions(user: User) -> None:
    # Sessions live in signed cookies the server cannot delete; each carries the
    # version in its user id, so bumping the version makes every copy worthless.
    user.session_version = (user.session_version or 1) + 1

def get_user(user_id: int) -> User:
    """The user with this id; raises NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user

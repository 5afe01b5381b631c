"""What the accounts services share: address normalisation, look-ups, checks."""

import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.accounts import passwords
from cade.accounts.models import User
from cade.core.errors import DomainError, NotFound
from cade.core.timeutil import is_timezone
from cade.extensions import db


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

def email_problems(email: str | None) -> list:
    """Why `email` cannot be used as an address (empty when it can), checked as accounts check it.

    The address's shape only (email_validator's rules: one @, no empty or
    doubled dots, a real domain name); the domain is not looked up.
    """
    if _validated(email)[1] is None:
        return [_l("Enter an e-mail address such as name@example.org.")]
    return []



def _valid_hours(setting: str) -> int:
    return max(1, current_app.config[setting] // 3600)

def _set_password(user: User, new_password: str) -> None:
    user.password_hash = passwords.hash_password(new_password)
    _end_sessions(user)

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

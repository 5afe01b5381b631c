"""Changing one's e-mail address: a link to the new address, and a notice to the old one once it is used.

The request proves the person (their password); the link, sent to the new
address, proves the mailbox. The address changes only when both meet: the
link is confirmed by the account it was made for, signed in. A link that
reached a stranger (a typing mistake in the new address) therefore cannot
take the account over.

Whether the new address already has an account is never told: the person
sees the same answer, and the owner of that address gets a note instead of a
link, as at sign-up.
"""

import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from cade.accounts import passwords, tokens
from cade.accounts.models import User
from cade.accounts.tokens import InvalidToken
from cade.core.audit import record_event
from cade.core.commands import Command, FieldErrors, field
from cade.core.db import utcnow
from cade.core.errors import DomainError, PermissionDenied, ValidationFailed
from cade.core.security import security_contact
from cade.core.timeutil import moment_json
from cade.extensions import db
from cade.notifications.services import notify
from cade.accounts.services._common import ACCOUNT_ADDRESS, get_user_by_email, _valid_hours


class AddressTaken(DomainError, status=409, slug="address-taken"):
    # Told only to the account that holds a link to the address: having the link proves the mailbox is theirs.
    default_message = _l("This address now belongs to another account, so your address was not changed.")


class EmailChangeUsed(InvalidToken):
    """The link was used already: the account's address is the one it carried."""

    default_message = _l("This link has already been used: your address is changed.")


class WrongAccount(PermissionDenied):
    """The link is for another account than the one signed in."""

    default_message = _l("This link is for another account. Sign out, open the link again and sign in "
                         "with the account whose address is being changed.")


@dataclass(frozen=True)
class EmailChangeInput(Command):
    """The new address (in its one spelling) and the current password, to prove who is typing."""

    new_email: str | None = field(ACCOUNT_ADDRESS)
    password: str | None = field(passwords.Password())

    def check(self, errors: FieldErrors) -> None:
        if not self.password:
            errors.add("password", _l("Please give your current password."))


@dataclass(frozen=True)
class EmailChange:
    """A link that may be confirmed: whose account, from which address, to which."""

    user: User
    old_email: str
    new_email: str


def mask_address(address: str) -> str:
    """The address with its local part hidden but for the first letter ("n…@example.org").

    Enough for the owner to recognise it, not enough for whoever reads the old mailbox to write to it.
    """
    local, _at, domain = address.rpartition("@")
    return f"{local[:1]}…@{domain}" if local else "…"


def request_email_change(user: User, command: EmailChangeInput) -> bool:
    """Send a confirmation link to the new address, or, when it has an account, a note to that account.

    Nothing changes yet. The caller shows the same answer either way; returns
    True when a link was sent (for tests and logs). Raises ValidationFailed on
    `password` (not the current one) or `new_email` (the address is already
    the account's).
    """
    if not passwords.verify_password(user.password_hash, command.password):
        raise ValidationFailed({"password": [_l("Your current password is not correct.")]})
    holder = get_user_by_email(command.new_email)
    if command.new_email == user.email or (holder is not None and holder.id == user.id):
        raise ValidationFailed({"new_email": [_l("This is already your address. Enter the new one.")]})
    record_event(user, "user.email_change_requested", user, before={"email": user.email},
                 after={"email": command.new_email, "taken": holder is not None})
    if holder is not None:
        # One note a day at most, however often someone tries.
        notify("accounts.email_change_taken", recipient=holder, context={"email": holder.email},
               key=f"email-change-taken:{holder.id}:{utcnow().date().isoformat()}")
        return False
    token = tokens.make_token(user, tokens.CHANGE_EMAIL, email=command.new_email)
    # Written to the new address, in the language of the person who asked for it. Not the present address:
    # a new address typed wrong would hand it to a stranger.
    context = {"token": token, "email": command.new_email, "valid_hours": _valid_hours("EMAIL_TOKEN_MAX_AGE")}
    notify("accounts.email_change_confirm", recipient=user, email=command.new_email, context=context,
           key=f"email-change:{user.id}:{secrets.token_hex(8)}", in_app=False)
    return True


def check_email_change(token: str) -> EmailChange:
    """The change a link asks for, changing nothing.

    Raises TokenExpired, EmailChangeUsed (the account already has the link's
    address), or InvalidToken for a forged link, a disabled account, or one
    whose address, password or sessions changed since the link was sent.
    """
    data = tokens.read_token(token, tokens.CHANGE_EMAIL)
    user = db.session.get(User, data.user_id)
    if user is None or not user.active or not data.email:
        raise InvalidToken()
    if not tokens.matches(user, tokens.CHANGE_EMAIL, data.fingerprint):
        if user.email == data.email:
            raise EmailChangeUsed()
        raise InvalidToken()
    return EmailChange(user, user.email, data.email)


def confirm_email_change(actor: User, token: str) -> User:
    """Give the account the link's address, end every session, tell the old address; audited.

    Only the account the link was made for may confirm it (`actor`, signed
    in). The link works once: the change is a compare-and-set on the address
    and the session version, so of two uses at the same moment only one gets
    through, and the new session version retires the link. The link proves
    the new address, so an unconfirmed account becomes confirmed. The caller
    signs the confirming browser in again (the version changed).

    Raises what check_email_change raises, WrongAccount, and AddressTaken when
    another account took the address since the link was sent; a sign-up
    racing this change for the address fails instead on the unique index
    (IntegrityError), which the caller answers as AddressTaken.
    """
    change = check_email_change(token)
    user = change.user
    if actor is None or actor.id != user.id:
        raise WrongAccount()
    holder = get_user_by_email(change.new_email)
    if holder is not None and holder.id != user.id:
        raise AddressTaken()
    version = user.session_version or 1
    claimed = db.session.execute(
        update(User).where(User.id == user.id, User.email == change.old_email, User.session_version == version)
        .values(email=change.new_email, session_version=version + 1)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise EmailChangeUsed()
    db.session.refresh(user, ["email", "session_version"])
    if user.verified_at is None:
        user.verified_at = utcnow()
    record_event(user, "user.email_changed", user, before={"email": change.old_email},
                 after={"email": change.new_email})
    _notify_old_address(user, change)
    db.session.flush()
    return user


def _notify_old_address(user: User, change: EmailChange) -> None:
    # The old mailbox is the one place a person whose account was taken over will still read;
    # it is told where to turn, since it can no longer reset the password itself.
    context = {"old_email": change.old_email, "new_email_masked": mask_address(change.new_email),
               "at": moment_json(utcnow(), user.timezone or "UTC"),
               "contact": security_contact(current_app.config)}
    notify("accounts.email_changed", recipient=user, email=change.old_email, context=context,
           key=f"email-changed:{user.id}:{user.session_version}")

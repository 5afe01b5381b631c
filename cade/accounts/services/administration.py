"""What administrators do to accounts: roles, disabling, create-admin."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.accounts import passwords
from cade.accounts.models import User, UserRole
from cade.core.audit import AuditEvent, record_event
from cade.core.commands import Command, Text, field
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from cade.core.permissions import ADMIN, ROLES, is_admin
from cade.extensions import db
from cade.accounts.services._common import (
    ACCOUNT_ADDRESS,
    get_user_by_email,
    _set_password,
    _end_sessions,
)


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
    add_role(actor, user, role)
    return user

def add_role(actor: User | None, user: User, role: str) -> AuditEvent | None:
    """Give `user` the role unless they hold it, with its audit event (returned); None when they held it.

    The one place a role is added: the checks around it are the callers' (grant_role here, the roles page's
    cade/accounts/roles.py, the create-admin command).
    """
    if user.has_role(role):
        return None
    before = user.role_names
    user.roles.append(UserRole(role=role))
    db.session.flush()
    return record_event(actor, "user.role_granted", user, before={"roles": before},
                        after={"roles": user.role_names})

def remove_role(actor: User, user: User, role: str) -> AuditEvent | None:
    """Take the role from `user` if they hold it, with its audit event (returned); None when they did not."""
    granted = [r for r in user.roles if r.role == role]
    if not granted:
        return None
    before = user.role_names
    for row in granted:
        user.roles.remove(row)
    db.session.flush()
    return record_event(actor, "user.role_revoked", user, before={"roles": before},
                        after={"roles": user.role_names})

def revoke_role(actor: User, user: User, role: str) -> User:
    """Take a role from `user` (admin only). An admin cannot drop their own admin role,
    so the site is never left without one by accident.

    Raises PermissionDenied, ValidationFailed for an unknown role, InvalidTransition for self-demotion.
    """
    _check_role_change(actor, role)
    if role == ADMIN and actor.id == user.id:
        raise InvalidTransition(_l("You cannot remove your own administrator role."))
    remove_role(actor, user, role)
    return user

@dataclass(frozen=True)
class AdminInput(Command):
    """An administrator as the CLI is told of one: the address, and a password and name to create an account."""

    email: str | None = field(ACCOUNT_ADDRESS)
    password: str | None = field(passwords.NewPassword(required=False))
    name: str | None = field(Text(max_len=200))


def create_admin(command: AdminInput) -> tuple[User, list[str]]:
    """Create a verified administrator, or promote and verify an existing account (for the CLI).

    A password is required to create an account and, when given for an
    existing one, replaces its password. Returns the user and a list of what
    was done ("created", "promoted", "verified", "password_set").
    Raises ValidationFailed on email (a disabled account) or password (none to create one).
    """
    address, password, name = command.email, command.password, command.name
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
                    name=name or address.split("@")[0], verified_at=utcnow())
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
    if add_role(None, user, ADMIN) is not None and "created" not in done:
        done.append("promoted")
    db.session.flush()
    return user, done


def active_admins() -> list[User]:
    """Every active administrator, oldest account first: who is told what concerns all of them."""
    return list(db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                                   .where(UserRole.role == ADMIN, User.active.is_(True)).order_by(User.id)))

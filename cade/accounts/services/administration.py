"""What administrators do to accounts: staff roles, disabling, create-admin, and the roles page's list.

Roles have one policy, whoever asks (the roles page, the reviewer pool):
grant_role and revoke_role. Only an active administrator changes a role;
an administrator may step down, but the last active administrator stays.

A change locks the person's account row, so two changes to one person run one
after the other (a double click grants once), and, to know who the
administrators are, locks their role rows (SELECT … FOR UPDATE on
PostgreSQL). Two administrators removing each other, or themselves, at the
same moment therefore count the administrators one after the other: the
second sees what the first did and is refused, so the last administrator
stays. (On SQLite the first lock already takes the database's write lock,
which serialises every change.) Each change is audited with the roles before
and after, and the person is told in the inbox and by e-mail, in their
language. Only create-admin, run by the operator at the server's shell,
adds the administrator role outside this policy (and erasing a person, in
cade/privacy/erasure.py, removes their roles with everything else of theirs).
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from cade.accounts import passwords
from cade.accounts.models import User, UserRole
from cade.core.audit import AuditEvent, record_event
from cade.core.commands import Command, Text, field
from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.permissions import ADMIN, ROLES, is_admin, require_admin
from cade.extensions import db
from cade.notifications.services import notify
from cade.accounts.services._common import (
    ACCOUNT_ADDRESS,
    get_user_by_email,
    _set_password,
    _end_sessions,
)

STAFF_PAGE_SIZE = 25
STAFF_SEARCH_MAX = 100


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

def grant_role(actor: User, user_id: int, role: str) -> bool:
    """Give the person `user_id` a staff role; True when it changed, False when they held it already.

    Audited `user.role_granted`; the person is told (`accounts.role_granted`).
    Raises PermissionDenied for anyone but an active administrator,
    ValidationFailed on `role` for a role that is not a staff role, NotFound
    for an unknown person and InvalidTransition for a disabled account
    (enable it first).
    """
    user = _prepare(actor, user_id, role)
    if user.has_role(role):
        return False
    if not user.active:
        raise InvalidTransition(_l("This account is disabled. Enable it again before giving it a role."))
    _tell(actor, user, "granted", role, _add_role(actor, user, role))
    return True


def revoke_role(actor: User, user_id: int, role: str) -> bool:
    """Take a staff role from the person `user_id`; True when it changed, False when they did not hold it.

    An administrator may step down, but the last active administrator's role
    is never taken: InvalidTransition says to make someone else an
    administrator first. Audited `user.role_revoked`; the person is told
    (`accounts.role_revoked`). Raises PermissionDenied, ValidationFailed on
    `role` and NotFound as grant_role does.
    """
    user = _prepare(actor, user_id, role)
    if not user.has_role(role):
        return False
    if role == ADMIN and not (set(_locked_active_admins()) - {user.id}):
        if user.id == actor.id:
            message = _l("You are the last administrator. Make someone else an administrator before you step down.")
        else:
            message = _l("%(name)s is the last administrator. Make someone else an administrator first.",
                         name=user.name)
        raise InvalidTransition(message)
    _tell(actor, user, "revoked", role, _remove_role(actor, user, role))
    return True


def _prepare(actor: User, user_id: int, role: str) -> User:
    """Check the actor and the role, lock the person's row and the administrators', and return the person."""
    require_admin(actor)
    if role not in ROLES:
        raise ValidationFailed({"role": [_l("Choose one of the roles offered.")]})
    if db.session.get(User, user_id) is None:
        raise NotFound()
    _lock_person(user_id)
    # Read again after the lock: another change may have committed while this one waited.
    user = db.session.get(User, user_id)
    db.session.refresh(user)
    # The actor's role is read under the lock too: an administrator removed a moment ago changes nothing.
    if actor.id not in _locked_active_admins():
        raise PermissionDenied()
    return user


def _lock_person(user_id: int) -> None:
    """Hold the person's row until the transaction ends; two changes to one person run one after the other."""
    if db.session.get_bind().dialect.name == "sqlite":
        lock_row(User, user_id)  # the database's write lock
    else:
        # NO KEY UPDATE, not UPDATE: the audit and outbox rows written meanwhile check their foreign keys
        # to users with KEY SHARE, which FOR UPDATE would block (two administrators removing each other
        # would each wait for the other's account row).
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def _locked_active_admins() -> list[int]:
    """Ids of the active administrators, their role rows locked until the transaction ends."""
    return list(db.session.scalars(
        select(UserRole.user_id).join(User, User.id == UserRole.user_id)
        .where(UserRole.role == ADMIN, User.active.is_(True))
        .order_by(UserRole.id).with_for_update(of=UserRole)))


def _add_role(actor: User | None, user: User, role: str) -> AuditEvent | None:
    """Give `user` the role unless they hold it, with its audit event (returned); None when they held it."""
    if user.has_role(role):
        return None
    before = user.role_names
    user.roles.append(UserRole(role=role))
    db.session.flush()
    return record_event(actor, "user.role_granted", user, before={"roles": before},
                        after={"roles": user.role_names})


def _remove_role(actor: User, user: User, role: str) -> AuditEvent | None:
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


def _tell(actor: User, user: User, change: str, role: str, event: AuditEvent) -> None:
    # The audit row's id keys the notice: granting, taking and granting again each tell the person once.
    notify(f"accounts.role_{change}", recipient=user, key=f"role-{change}:{event.id}",
           context={"role": role, "by": actor.name})


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
    # The operator at the server's shell is the authority here, with no administrator acting (there may be
    # none yet): the role is added without the page's policy, audited with no actor.
    if _add_role(None, user, ADMIN) is not None and "created" not in done:
        done.append("promoted")
    db.session.flush()
    return user, done


def active_admins() -> list[User]:
    """Every active administrator, oldest account first: who is told what concerns all of them."""
    return list(db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                                   .where(UserRole.role == ADMIN, User.active.is_(True)).order_by(User.id)))


def staff_page(query: str = "", page: int = 1, per_page: int = STAFF_PAGE_SIZE):
    """One page of people, by name: those holding a staff role, or, with `query`, anyone whose e-mail or name
    holds it (any case). Their roles come in one more query, whatever the page holds."""
    words = (query or "").strip()[:STAFF_SEARCH_MAX].lower()
    statement = select(User).order_by(func.lower(User.name), User.id)
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(func.lower(User.email).like(pattern, escape="\\"),
                                         func.lower(User.name).like(pattern, escape="\\")))
    else:
        statement = statement.where(User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(ROLES))))
    return db.paginate(statement, page=max(page, 1), per_page=per_page, error_out=False)

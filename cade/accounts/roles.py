"""Staff roles given and taken on the roles page: who holds them, and the one rule that the site keeps an administrator.

A change locks the person's account row, so two changes to one person run one
after the other (a double click grants once), and, to know who the
administrators are, locks their role rows (SELECT … FOR UPDATE on
PostgreSQL). Two administrators removing each other, or themselves, at the
same moment therefore count the administrators one after the other: the
second sees what the first did and is refused, so the last administrator
stays. (On SQLite the first lock already takes the database's write lock,
which serialises every change.) Each change is audited with the roles before
and after, and the person is told in the inbox and by e-mail, in their
language.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from cade.accounts.models import User, UserRole
from cade.accounts.services.administration import add_role, remove_role
from cade.core.audit import AuditEvent
from cade.core.db import lock_row
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.permissions import ADMIN, ROLES, require_admin
from cade.extensions import db
from cade.notifications.services import notify

PAGE_SIZE = 25
SEARCH_MAX = 100


def grant_role(actor: User, user_id: int, role: str) -> bool:
    """Give the person `user_id` a staff role; True when it changed, False when they held it already.

    Audited `user.role_granted`; the person is told (`accounts.role_granted`).
    Raises PermissionDenied for anyone but an administrator, ValidationFailed
    on `role` for a role that is not a staff role, NotFound for an unknown
    person and InvalidTransition for a disabled account (enable it first).
    """
    user = _prepare(actor, user_id, role)
    if user.has_role(role):
        return False
    if not user.active:
        raise InvalidTransition(_l("This account is disabled. Enable it again before giving it a role."))
    _tell(actor, user, "granted", role, add_role(actor, user, role))
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
    _tell(actor, user, "revoked", role, remove_role(actor, user, role))
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


def _tell(actor: User, user: User, change: str, role: str, event: AuditEvent) -> None:
    # The audit row's id keys the notice: granting, taking and granting again each tell the person once.
    notify(f"accounts.role_{change}", recipient=user, key=f"role-{change}:{event.id}",
           context={"role": role, "by": actor.name})


def staff_page(query: str = "", page: int = 1, per_page: int = PAGE_SIZE):
    """One page of people, by name: those holding a staff role, or, with `query`, anyone whose e-mail or name
    holds it (any case). Their roles come in one more query, whatever the page holds."""
    words = (query or "").strip()[:SEARCH_MAX].lower()
    statement = select(User).order_by(func.lower(User.name), User.id)
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(func.lower(User.email).like(pattern, escape="\\"),
                                         func.lower(User.name).like(pattern, escape="\\")))
    else:
        statement = statement.where(User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(ROLES))))
    return db.paginate(statement, page=max(page, 1), per_page=per_page, error_out=False)

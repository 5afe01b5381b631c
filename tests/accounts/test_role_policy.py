"""One role policy for every caller: the reviewer pool gives and takes the reviewer role as the roles page does.

The policy's own rules (only an active administrator, never the last one, locks, audit, the person told) are
tested in tests/accounts/test_roles.py; here, that the pool and the create-admin command go through it, and that
nothing else in the code adds or takes a role.
"""

import re
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from cade.accounts.models import User, UserRole
from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, PermissionDenied
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.reviews.services import pool
from tests.factories import ReviewerProfileFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def request_ctx(app, db):
    """The pool's services translate their messages inside a request, as the views call them."""
    with app.test_request_context():
        yield


def _roles(user_id: int) -> list[str]:
    _db.session.expire_all()
    return _db.session.get(User, user_id).role_names


def _role_events(user_id: int) -> list[tuple[str, int | None]]:
    return [(e.verb, e.actor_id) for e in _db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "User", AuditEvent.object_id == user_id,
                                 AuditEvent.verb.like("user.role_%")).order_by(AuditEvent.id))]


def _notices(user_id: int) -> list[str]:
    return list(_db.session.scalars(select(Notification.kind).where(Notification.recipient_id == user_id)
                                    .order_by(Notification.id)))


def _invite(admin, email="new.reviewer@example.net") -> str:
    pool.add_reviewer(admin, pool.ReviewerInput.from_input({"email": email}))
    _db.session.commit()
    return _db.session.scalars(select(Notification).where(Notification.kind == "reviews.invitation")
                               .order_by(Notification.id.desc())).first().context["token"]


def test_adding_a_reviewer_from_the_pool_audits_it_and_tells_the_person(db, admin):
    person = UserFactory(email="rui@example.org")
    pool.add_reviewer(admin, pool.ReviewerInput.from_input({"email": person.email}))
    db.session.commit()
    assert _roles(person.id) == ["reviewer"]
    assert _role_events(person.id) == [("user.role_granted", admin.id)]
    assert _notices(person.id) == ["accounts.role_granted"]


def test_removing_a_reviewer_from_the_pool_audits_it_and_tells_the_person(db, admin):
    person = ReviewerProfileFactory(user=UserFactory(roles=["reviewer"])).user
    pool.remove_reviewer(admin, person.id)
    pool.remove_reviewer(admin, person.id)  # again: nothing more to do, nobody told twice
    db.session.commit()
    assert _roles(person.id) == []
    assert _role_events(person.id) == [("user.role_revoked", admin.id)]
    assert _notices(person.id) == ["accounts.role_revoked"]


def test_accepting_an_invitation_grants_in_the_inviters_name_and_tells_the_person(db, admin):
    token = _invite(admin)
    person = UserFactory()
    pool.accept_reviewer_invitation(person, token)
    db.session.commit()
    assert _roles(person.id) == ["reviewer"]
    assert _role_events(person.id) == [("user.role_granted", admin.id)]
    assert _notices(person.id) == ["accounts.role_granted"]


def test_an_invitation_from_a_disabled_administrator_gives_no_role(db, admin):
    token = _invite(admin)
    UserFactory(roles=["admin"])  # the site still has an administrator
    admin.active = False
    db.session.commit()
    person = UserFactory()
    for step in (pool.find_reviewer_invitation, pool.accept_reviewer_invitation):
        with pytest.raises(InvalidTransition, match="no longer valid"):
            step(person, token)
    assert _roles(person.id) == []


def test_an_inviter_who_stops_being_an_administrator_while_the_link_is_accepted_gives_no_role(db, admin):
    token = _invite(admin)
    person = UserFactory()
    assert admin.role_names == ["admin"]  # what the accepting request has read already
    # Meanwhile, on another connection, the inviter's administrator role is taken.
    with db.engine.begin() as other:
        other.execute(delete(UserRole).where(UserRole.user_id == admin.id))
    # The policy reads the administrators under its lock, not what this session saw.
    with pytest.raises(InvalidTransition, match="no longer valid"):
        pool.accept_reviewer_invitation(person, token)
    db.session.rollback()
    assert _roles(person.id) == []


def test_the_pool_follows_the_policy_for_the_actor_too(db, admin):
    """An administrator whose role was taken a moment ago, in another request, changes no role."""
    other = UserFactory(roles=["admin"])
    person = ReviewerProfileFactory(user=UserFactory(roles=["reviewer"])).user
    assert other.role_names == ["admin"]
    with db.engine.begin() as elsewhere:
        elsewhere.execute(delete(UserRole).where(UserRole.user_id == other.id))
    with pytest.raises(PermissionDenied):
        pool.remove_reviewer(other, person.id)
    db.session.rollback()
    assert _roles(person.id) == ["reviewer"]


def test_create_admin_adds_the_first_administrator_with_no_one_acting(db):
    from cade.accounts import services

    person = UserFactory()
    services.create_admin(services.AdminInput.from_input({"email": person.email}))
    db.session.commit()
    assert _roles(person.id) == ["admin"]
    assert _role_events(person.id) == [("user.role_granted", None)]


# Nothing else adds or takes a role

ROLE_WRITES = re.compile(r"UserRole\(|\.roles\.(append|remove|extend|clear)\(|(insert|update|delete)\(UserRole\b")
# Where a role row may be written besides the policy, and why.
ALLOWED = {
    "cade/accounts/services/administration.py",  # the policy itself, and create-admin
    "cade/demo/seed.py", "cade/demo/payees.py",  # demonstration data, made before anyone acts
    "cade/privacy/erasure.py",  # an erased person's rows go with everything else of theirs
    "cade/accounts/models.py",  # the model
}


def test_roles_are_written_only_by_the_policy():
    writers = {str(path.relative_to(ROOT)) for folder in ("cade", "tasks") for path in (ROOT / folder).rglob("*.py")
               if ROLE_WRITES.search(path.read_text(encoding="utf-8"))}
    assert writers - ALLOWED == set()
    assert "cade/accounts/services/administration.py" in writers  # the pattern still finds what it looks for
    assert not (ROOT / "cade/accounts/roles.py").exists()  # the second policy is gone

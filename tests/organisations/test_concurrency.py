"""Two owners acting at the same moment, on separate connections, as two web workers would."""

import threading

from sqlalchemy import event, select

from cade.core.errors import DomainError
from cade.extensions import db as _db
from cade.organisations import services
from cade.organisations.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory


def _run_side_by_side(app, actions, pause_after):
    """Run each action in its own thread, app context and connection, committing what succeeds.

    Each thread waits (briefly) for the other right after running a statement
    containing `pause_after`: without a lock both read the same state before
    either writes; with one, the second waits for the lock and the pause
    simply times out.
    """
    barrier = threading.Barrier(len(actions))
    workers = set()
    outcomes = [None] * len(actions)

    def pause(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() in workers and pause_after in statement.lower():
            try:
                barrier.wait(timeout=1.5)
            except threading.BrokenBarrierError:
                pass

    def run(index, action):
        workers.add(threading.get_ident())
        with app.app_context():
            try:
                action()
                _db.session.commit()
                outcomes[index] = "done"
            except DomainError as exc:
                _db.session.rollback()
                outcomes[index] = exc
            finally:
                _db.session.remove()

    engine = _db.engine
    event.listen(engine, "after_cursor_execute", pause)
    try:
        threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(engine, "after_cursor_execute", pause)
    return outcomes


def _membership(membership_id):
    return _db.session.get(Membership, membership_id)


def test_two_owners_demoting_each_other_at_once_leave_one_owner(app, db):
    org = OrganisationFactory()
    first = MembershipFactory(organisation=org, role="owner")
    second = MembershipFactory(organisation=org, role="owner")
    db.session.commit()
    ids = (first.id, second.id)

    def demote(actor_membership_id, target_membership_id):
        def action():
            actor = _membership(actor_membership_id).user
            services.change_member_role(actor, _membership(target_membership_id), "member")
        return action

    outcomes = _run_side_by_side(app, [demote(ids[0], ids[1]), demote(ids[1], ids[0])], pause_after="count(")

    db.session.expire_all()
    owners = db.session.scalars(select(Membership).where(
        Membership.organisation_id == org.id, Membership.role == "owner")).all()
    assert len(owners) == 1
    assert outcomes.count("done") == 1  # the other is refused: its actor is no longer an owner


def test_two_owners_leaving_at_once_leave_one_owner(app, db):
    org = OrganisationFactory()
    first = MembershipFactory(organisation=org, role="owner")
    second = MembershipFactory(organisation=org, role="owner")
    db.session.commit()

    def leave(membership_id):
        def action():
            membership = _membership(membership_id)
            services.leave_organisation(membership.user, membership.organisation)
        return action

    outcomes = _run_side_by_side(app, [leave(first.id), leave(second.id)], pause_after="count(")

    db.session.expire_all()
    remaining = db.session.scalars(select(Membership).where(Membership.organisation_id == org.id)).all()
    assert [m.role for m in remaining] == ["owner"]
    assert outcomes.count("done") == 1

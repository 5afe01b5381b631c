"""Two owners acting at the same moment, on separate connections, as two web workers would."""


from sqlalchemy import select

from cade.extensions import db as _db
from cade.organisations import services
from cade.organisations.models import Membership
from tests.concurrency import run_side_by_side
from tests.factories import MembershipFactory, OrganisationFactory


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
            services.change_member_role(actor, target_membership_id,
                                        services.MemberRoleInput.from_input({"role": "member"}))
        return action

    outcomes = run_side_by_side(app, [demote(ids[0], ids[1]), demote(ids[1], ids[0])], pause_after="count(")

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

    outcomes = run_side_by_side(app, [leave(first.id), leave(second.id)], pause_after="count(")

    db.session.expire_all()
    remaining = db.session.scalars(select(Membership).where(Membership.organisation_id == org.id)).all()
    assert [m.role for m in remaining] == ["owner"]
    assert outcomes.count("done") == 1

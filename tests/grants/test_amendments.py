"""Amendments: reallocations on notice or waiting for an admin, extensions, new signatories; approving and refusing."""

from datetime import timedelta

import pytest

from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db as _db
from cade.grants.amendments import (ExtensionInput, ReallocationInput, SignatoryInput, approve_amendment,
                                    refuse_amendment, request_amendment)
from cade.grants.constants import AmendmentStatus, ReportStatus, TrancheStatus
from cade.grants.models import GrantAmendment, GrantReport
from cade.grants.reports import reports_of
from cade.grants.tranches import tranches_of
from cade.notifications.rendering import render_notification
from tests.concurrency import run_side_by_side
from tests.factories import MembershipFactory, UserFactory
from tests.grants.amendment_helpers import (amounts, count, extension, lines, opened_grant, reallocation, signatory,
                                            versions)
from tests.grants.lifecycle_helpers import mark_paid


def grant_count() -> int:
    return _db.session.query(GrantAmendment).count()


# ---------------------------------------------------------------- reallocations


def test_a_reallocation_within_the_notice_share_is_in_force_at_once(db, admin, outbox):
    opened = opened_grant()
    equipment, training = lines(opened.grant)

    amendment = request_amendment(opened.owner, opened.grant.id, reallocation((equipment, training, "800.00")))
    db.session.commit()

    assert amendment.status == AmendmentStatus.NOTED and amendment.decided_at is not None
    assert amounts(opened.grant) == [7_200_00, 5_145_00]  # the total unchanged
    # The reports not yet submitted are written against the new budget.
    assert [[line.budget_minor for line in report.spend_lines] for report in reports_of(opened.grant)] \
        == [[7_200_00, 5_145_00], [7_200_00, 5_145_00]]
    assert versions(opened.grant) == [1]  # no new agreement for a notice
    assert count("amendment.requested") == 1 and count("amendment.noted") == 1
    told = outbox("grants.amendment_noted")
    assert {row.recipient_email for row in told} == {admin.email, opened.owner.email}
    subject, text, _html = render_notification(told[0])
    assert "$800.00" in text and "Routers and solar panels" in text and "Training of local operators" in text


def test_a_reallocation_above_the_notice_share_waits_for_an_admin(db, admin, outbox):
    opened = opened_grant()
    equipment, training = lines(opened.grant)

    amendment = request_amendment(opened.owner, opened.grant.id, reallocation((equipment, training, "800.01")))
    db.session.commit()

    assert amendment.status == AmendmentStatus.REQUESTED
    assert amounts(opened.grant) == [8_000_00, 4_345_00]
    assert [row.recipient_email for row in outbox("grants.amendment_requested")] == [admin.email]
    assert outbox("grants.amendment_noted") == []


def test_small_moves_out_of_one_line_count_together(db, admin):
    # 2 × 500.00 out of 8,000.00 is 12.5 %: above the 10 % a notice allows, however it is split.
    opened = opened_grant()
    equipment, training = lines(opened.grant)

    amendment = request_amendment(opened.owner, opened.grant.id,
                                  reallocation((equipment, training, "500.00"), (equipment, training, "500.00")))

    assert amendment.status == AmendmentStatus.REQUESTED


def test_the_programme_sets_the_notice_share(db, admin):
    opened = opened_grant()
    opened.grant.call.programme.reallocation_notice_percent = 0
    db.session.commit()
    equipment, training = lines(opened.grant)

    amendment = request_amendment(opened.owner, opened.grant.id, reallocation((training, equipment, "1.00")))

    assert amendment.status == AmendmentStatus.REQUESTED


def test_moving_more_than_a_line_holds_is_refused_and_nothing_is_asked(db, admin, outbox):
    opened = opened_grant()
    equipment, training = lines(opened.grant)

    with pytest.raises(ValidationFailed) as refused:
        request_amendment(opened.owner, opened.grant.id, reallocation((training, equipment, "4345.01")))

    assert list(refused.value.errors) == ["amount-0"]
    assert "holds only $4,345.00" in str(refused.value.errors["amount-0"][0])
    db.session.rollback()
    assert grant_count() == 0 and amounts(opened.grant) == [8_000_00, 4_345_00] and outbox() == []


def test_moves_are_applied_in_order_so_a_line_cannot_give_twice_what_it_holds(db, admin):
    opened = opened_grant()
    equipment, training = lines(opened.grant)

    with pytest.raises(ValidationFailed) as refused:
        request_amendment(opened.owner, opened.grant.id,
                          reallocation((training, equipment, "4000.00"), (training, equipment, "400.00")))

    assert list(refused.value.errors) == ["amount-1"]


def test_a_line_of_another_grant_or_the_same_line_twice_is_refused(db, admin):
    opened = opened_grant()
    other = opened_grant(organisation=None)
    equipment, training = lines(opened.grant)
    foreign = lines(other.grant)[0]

    with pytest.raises(ValidationFailed) as refused:
        request_amendment(opened.owner, opened.grant.id,
                          reallocation((foreign, training, "1.00"), (equipment, equipment, "1.00")))

    assert set(refused.value.errors) == {"from-0", "to-1"}


def test_a_line_keeps_what_an_approved_report_says_was_spent_on_it(db, admin):
    opened = opened_grant()
    equipment, training = lines(opened.grant)
    report = opened.interim
    report.status = ReportStatus.APPROVED
    report.spend_lines[0].actual_minor = 7_500_00
    db.session.commit()

    with pytest.raises(ValidationFailed) as refused:
        request_amendment(opened.owner, opened.grant.id, reallocation((equipment, training, "500.01")))
    assert "approved report" in str(refused.value.errors["amount-0"][0])
    db.session.rollback()

    amendment = request_amendment(opened.owner, opened.grant.id, reallocation((equipment, training, "500.00")))
    assert amendment.status == AmendmentStatus.NOTED
    # The approved report keeps the budget it was written against; the final report takes the new one.
    db.session.commit()
    _db.session.expire_all()
    assert [line.budget_minor for line in db.session.get(GrantReport, report.id).spend_lines] == [8_000_00, 4_345_00]
    assert [line.budget_minor for line in opened.final.spend_lines] == [7_500_00, 4_845_00]


def test_an_approved_reallocation_changes_the_budget_and_makes_version_two(db, admin, outbox):
    opened = opened_grant()
    equipment, training = lines(opened.grant)
    amendment = request_amendment(opened.owner, opened.grant.id, reallocation((equipment, training, "2000.00")))
    db.session.commit()

    approve_amendment(admin, amendment.id, "Agreed at the site visit.")
    db.session.commit()

    assert amendment.status == AmendmentStatus.APPROVED and amendment.decided_by_id == admin.id
    assert amendment.decision_reason == "Agreed at the site visit."
    assert amounts(opened.grant) == [6_000_00, 6_345_00]
    assert versions(opened.grant) == [1, 2]
    assert [row.recipient_email for row in outbox("grants.amendment_approved")] == [opened.owner.email]


def test_an_approval_the_budget_no_longer_allows_is_refused(db, admin):
    opened = opened_grant()
    equipment, training = lines(opened.grant)
    waiting = request_amendment(opened.owner, opened.grant.id, reallocation((training, equipment, "4000.00")))
    first = request_amendment(opened.owner, opened.grant.id, reallocation((training, equipment, "2000.00")))
    approve_amendment(admin, first.id)
    db.session.commit()

    with pytest.raises(InvalidTransition) as refused:
        approve_amendment(admin, waiting.id)

    assert "no longer possible" in str(refused.value)
    db.session.rollback()
    assert amounts(opened.grant) == [10_000_00, 2_345_00]


def test_a_reallocation_needs_a_move_and_a_reason():
    with pytest.raises(ValidationFailed) as refused:
        ReallocationInput.from_input({"moves": [{"from": "", "to": "", "amount": ""}], "reason": " "},
                                     currency="USD")
    assert set(refused.value.errors) == {"moves", "reason"}
    with pytest.raises(ValidationFailed) as refused:
        ReallocationInput.from_input({"moves": [{"from": "x", "to": "2", "amount": "-5"}], "reason": "Why"},
                                     currency="USD")
    assert set(refused.value.errors) == {"from-0", "amount-0"}


def test_an_amount_is_read_in_the_language_it_was_typed_in():
    command = ReallocationInput.from_input({"moves": [{"from": "1", "to": "2", "amount": "1 500,50"}], "reason": "Why"},
                                           currency="EUR", locale="fr")
    assert [move.amount_minor for _index, move in command.moves] == [1_500_50]


# ---------------------------------------------------------------- extensions


def test_an_extension_waits_and_its_approval_moves_the_dates_not_yet_reached(db, admin, outbox):
    opened = opened_grant()
    first, second, third = tranches_of(opened.grant)
    mark_paid(first)
    interim, final = opened.interim, opened.final
    interim.status = ReportStatus.APPROVED
    db.session.commit()
    before = {"second": second.due_on, "third": third.due_on, "interim": interim.due_on, "final": final.due_on,
              "first": first.due_on}

    amendment = request_amendment(opened.owner, opened.grant.id, extension(90))
    db.session.commit()
    assert amendment.status == AmendmentStatus.REQUESTED
    assert [row.recipient_email for row in outbox("grants.amendment_requested")] == [admin.email]

    approve_amendment(admin, amendment.id)
    db.session.commit()
    _db.session.expire_all()

    moved = timedelta(days=90)
    assert second.due_on == before["second"] + moved and third.due_on == before["third"] + moved
    assert final.due_on == before["final"] + moved
    assert first.due_on == before["first"] and first.status == TrancheStatus.PAID  # paid: stays as it was
    assert interim.due_on == before["interim"]  # approved: stays as it was
    assert versions(opened.grant) == [1, 2]
    assert count("amendment.approved") == 1 and count("grant.agreement_amended") == 1


@pytest.mark.parametrize("days", ["0", "731", "ten", ""])
def test_an_extension_is_one_to_730_days(days):
    with pytest.raises(ValidationFailed) as refused:
        ExtensionInput.from_input({"days": days, "reason": "Late"})
    assert list(refused.value.errors) == ["days"]


def test_a_signatory_needs_a_name_a_position_and_a_reason():
    with pytest.raises(ValidationFailed) as refused:
        SignatoryInput.from_input({"name": "", "position": "", "reason": ""})
    assert set(refused.value.errors) == {"name", "position", "reason"}


# ---------------------------------------------------------------- refusing, and who may


def test_a_refusal_needs_a_reason_and_tells_the_owners(db, admin, outbox):
    opened = opened_grant()
    amendment = request_amendment(opened.owner, opened.grant.id, extension(30))
    db.session.commit()

    with pytest.raises(ValidationFailed) as refused:
        refuse_amendment(admin, amendment.id, "   ")
    assert list(refused.value.errors) == ["reason"]
    db.session.rollback()

    refuse_amendment(admin, amendment.id, "The programme ends in March; no extension is possible.")
    db.session.commit()
    assert amendment.status == AmendmentStatus.REFUSED
    assert versions(opened.grant) == [1]
    told = outbox("grants.amendment_refused")
    assert [row.recipient_email for row in told] == [opened.owner.email]
    assert "no extension is possible" in render_notification(told[0])[1]
    with pytest.raises(InvalidTransition) as again:
        approve_amendment(admin, amendment.id)
    assert "already refused" in str(again.value)


def test_a_notice_has_nothing_to_decide(db, admin):
    opened = opened_grant()
    equipment, training = lines(opened.grant)
    amendment = request_amendment(opened.owner, opened.grant.id, reallocation((equipment, training, "1.00")))
    db.session.commit()

    with pytest.raises(InvalidTransition) as refused:
        refuse_amendment(admin, amendment.id, "No")
    assert "on notice" in str(refused.value)


def test_only_owners_ask_and_only_admins_decide(db, admin):
    opened = opened_grant()
    member = UserFactory()
    MembershipFactory(user=member, organisation=opened.grant.organisation, role="member")
    stranger = UserFactory()
    db.session.commit()

    with pytest.raises(PermissionDenied):
        request_amendment(member, opened.grant.id, extension())
    with pytest.raises(NotFound):
        request_amendment(stranger, opened.grant.id, extension())
    with pytest.raises(NotFound):
        request_amendment(admin, opened.grant.id, extension())  # an admin is no owner of the grantee
    amendment = request_amendment(opened.owner, opened.grant.id, extension())
    db.session.commit()
    with pytest.raises(PermissionDenied):
        approve_amendment(opened.owner, amendment.id)
    with pytest.raises(PermissionDenied):
        refuse_amendment(member, amendment.id, "No")
    with pytest.raises(NotFound):
        approve_amendment(admin, amendment.id + 1000)


def test_a_closed_grant_is_not_amended(db, admin):
    opened = opened_grant()
    opened.grant.status = "closed"
    db.session.commit()

    with pytest.raises(InvalidTransition):
        request_amendment(opened.owner, opened.grant.id, signatory())


# ---------------------------------------------------------------- two admins at once


def test_two_admins_approving_at_once_approve_once(app, db, admin):
    opened = opened_grant()
    amendment = request_amendment(opened.owner, opened.grant.id, extension(60))
    second = UserFactory(roles=["admin"], name="Bea Admin")
    db.session.commit()
    final_due = opened.final.due_on

    def as_admin(user_id):
        def run():
            from cade.accounts.models import User

            approve_amendment(_db.session.get(User, user_id), amendment.id, f"OK from {user_id}")
        return run

    outcomes = run_side_by_side(app, [as_admin(admin.id), as_admin(second.id)], pause_after="from grant_amendments")

    assert sorted(o == "done" for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if o != "done")
    assert isinstance(loser, InvalidTransition) and "already approved" in str(loser)
    _db.session.expire_all()
    assert count("amendment.approved") == 1
    assert versions(opened.grant) == [1, 2]
    assert opened.final.due_on == final_due + timedelta(days=60)  # moved once, not twice


def test_a_signatory_change_is_approved_into_version_two(db, admin, outbox):
    opened = opened_grant()
    amendment = request_amendment(opened.owner, opened.grant.id, signatory())
    db.session.commit()
    assert amendment.details == {"name": "Fatou Ndiaye", "position": "Présidente"}

    approve_amendment(admin, amendment.id)
    db.session.commit()

    assert versions(opened.grant) == [1, 2]
    assert [row.recipient_email for row in outbox("grants.amendment_approved")] == [opened.owner.email]


def test_every_message_renders_what_changes_and_where_to_go(db, admin, outbox):
    opened = opened_grant()
    waiting = request_amendment(opened.owner, opened.grant.id, signatory())
    refused = request_amendment(opened.owner, opened.grant.id, extension(20))
    db.session.commit()
    approve_amendment(admin, waiting.id, "Welcome aboard.")
    refuse_amendment(admin, refused.id, "Not this year.")
    db.session.commit()

    requested = render_notification(outbox("grants.amendment_requested")[0])
    assert requested[0] == "Amendment requested: Solar-powered mesh network for three villages"
    assert "Fatou Ndiaye, Présidente" in requested[1]
    assert f"/admin/grants/{opened.grant.id}/amendments/{waiting.id}" in requested[1]
    subject, text, html = render_notification(outbox("grants.amendment_approved")[0])
    assert subject.startswith("Amendment approved") and "Version 2 of the agreement" in text
    assert "Welcome aboard." in text and f"/grants/{opened.grant.id}/amendments" in html
    subject, text, _html = render_notification(outbox("grants.amendment_refused")[0])
    assert subject.startswith("Amendment refused") and "20 days" in text and "Not this year." in text


def test_two_reallocations_approved_at_once_cannot_overdraw_a_line_or_share_a_version(app, db, admin):
    # Each alone fits in the 4,345.00 of training; both together do not. The grant's lock makes them take turns.
    opened = opened_grant()
    equipment, training = lines(opened.grant)
    first = request_amendment(opened.owner, opened.grant.id, reallocation((training, equipment, "3000.00")))
    second = request_amendment(opened.owner, opened.grant.id, reallocation((training, equipment, "3000.00")))
    other_admin = UserFactory(roles=["admin"], name="Bea Admin")
    db.session.commit()

    def approving(user_id, amendment_id):
        def run():
            from cade.accounts.models import User

            approve_amendment(_db.session.get(User, user_id), amendment_id)
        return run

    outcomes = run_side_by_side(app, [approving(admin.id, first.id), approving(other_admin.id, second.id)],
                                pause_after="from grant_amendments")

    assert sorted(o == "done" for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if o != "done")
    assert isinstance(loser, InvalidTransition) and "no longer possible" in str(loser)
    assert amounts(opened.grant) == [11_000_00, 1_345_00]
    assert versions(opened.grant) == [1, 2]

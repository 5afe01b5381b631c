"""Manual assignment: one reviewer, many applications at once, and taking an assignment back."""

from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cade.applications.constants import ApplicationStatus
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import AlreadyExists, ConflictOfInterest, DomainError, InvalidTransition, NotFound, PermissionDenied
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.notifications.rendering import render_notification
from cade.reviews.models import Assignment, ConflictDeclaration, Review
from cade.reviews.services import assignment as service
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    CallReviewSettingsFactory,
    MembershipFactory,
    ReviewerProfileFactory,
    ReviewFactory,
    UserFactory,
)
from tests.querycount import count_statements


@pytest.fixture()
def call(db):
    return CallFactory(closed=True, title="Community networks 2026", timezone="Africa/Nairobi")


@pytest.fixture()
def application(call):
    organisation = MembershipFactory(organisation__name="Secret Mesh Collective").organisation
    return ApplicationFactory(call=call, organisation=organisation, submitted=True, title="Mesh for three villages")


@pytest.fixture()
def reviewer(db):
    return ReviewerProfileFactory(user__name="Rita Reviewer", user__timezone="America/Lima", max_load=3).user


def count(model, *where) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def verbs() -> list[str]:
    return list(_db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)))


def refuse(error, *args, **kwargs) -> str:
    with pytest.raises(error) as refused:
        service.assign_reviewer(*args, **kwargs)
    _db.session.rollback()
    return str(refused.value)


# --- assigning one reviewer ---------------------------------------------------------------------------------


def test_assigning_starts_the_review_and_is_audited(admin, application, reviewer):
    assignment = service.assign_reviewer(admin, application.id, reviewer.id)
    _db.session.commit()

    assert (assignment.application_id, assignment.reviewer_id, assignment.method) == (application.id, reviewer.id,
                                                                                        "manual")
    assert assignment.assigned_by_id == admin.id and assignment.call_id == application.call_id
    assert _db.session.get(type(application), application.id).status == ApplicationStatus.UNDER_REVIEW
    assert verbs() == ["application.under_review", "assignment.created"]
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "assignment.created"))
    assert (event.actor_id, event.object_id) == (admin.id, assignment.id)
    assert event.after["reviewer_id"] == reviewer.id


def test_a_second_reviewer_leaves_the_application_under_review(admin, application, reviewer):
    service.assign_reviewer(admin, application.id, reviewer.id)
    other = ReviewerProfileFactory().user
    service.assign_reviewer(admin, application.id, other.id)
    _db.session.commit()

    assert count(Assignment, Assignment.application_id == application.id) == 2
    assert verbs() == ["application.under_review", "assignment.created", "assignment.created"]


def test_the_due_date_follows_the_calls_review_deadline_unless_given(admin, call, application, reviewer):
    deadline = CallReviewSettingsFactory(call=call).review_deadline_at
    assert service.assign_reviewer(admin, application.id, reviewer.id).due_at == deadline

    other_application = ApplicationFactory(call=call, submitted=True)
    own_date = utcnow().replace(microsecond=0) + timedelta(days=3)
    assert service.assign_reviewer(admin, other_application.id, reviewer.id, due_at=own_date).due_at == own_date


def test_without_a_deadline_the_assignment_has_no_due_date(admin, application, reviewer):
    assert service.assign_reviewer(admin, application.id, reviewer.id).due_at is None


def test_the_reviewer_is_told_once_without_the_organisations_name(admin, call, application, reviewer):
    deadline = CallReviewSettingsFactory(call=call,
                                         review_deadline_at=utcnow().replace(microsecond=0) + timedelta(days=10))
    assignment = service.assign_reviewer(admin, application.id, reviewer.id)
    _db.session.commit()

    row = _db.session.scalar(select(Notification))
    assert (row.kind, row.recipient_id, row.idempotency_key) == ("reviews.assigned", reviewer.id,
                                                                  f"assigned:{assignment.id}")
    assert row.context["reference"] == application.reference and row.context["title"] == "Mesh for three villages"
    assert row.context["call_title"] == "Community networks 2026" and row.context["assignment_id"] == assignment.id
    assert row.context["due"] == {"at": deadline.review_deadline_at.isoformat(), "zone": "America/Lima"}
    assert row.context["due_at"] == deadline.review_deadline_at.isoformat()
    assert "Secret Mesh" not in repr(row.context)
    subject, text, html = render_notification(row)
    assert application.reference in subject
    assert f"/review/assignments/{assignment.id}" in text and "Secret Mesh" not in text + html


def test_only_admins_assign(application, reviewer):
    applicant = MembershipFactory(organisation=application.organisation).user
    for actor in (None, applicant, reviewer):
        refuse(PermissionDenied, actor, application.id, reviewer.id)
    assert count(Assignment) == 0


def test_unknown_application_or_reviewer(admin, application, reviewer):
    refuse(NotFound, admin, application.id + 1000, reviewer.id)
    refuse(NotFound, admin, application.id, reviewer.id + 1000)


@pytest.mark.parametrize("state", [{"status": ApplicationStatus.DRAFT}, {"withdrawn": True},
                                   {"submitted": True, "status": ApplicationStatus.AWARDED},
                                   {"submitted": True, "status": ApplicationStatus.REJECTED}])
def test_only_submitted_applications_can_be_assigned(admin, call, reviewer, state):
    application = ApplicationFactory(call=call, **state)
    message = refuse(InvalidTransition, admin, application.id, reviewer.id)
    assert "Only submitted applications can be assigned" in message
    assert count(Assignment) == 0 and count(Notification) == 0


def test_the_user_must_be_in_the_reviewer_pool(admin, application):
    without_role = UserFactory(name="Nora Noreview")
    assert "Nora Noreview is not in the reviewer pool" in refuse(DomainError, admin, application.id, without_role.id)
    without_profile = UserFactory(roles=["reviewer"])
    assert "not in the reviewer pool" in refuse(DomainError, admin, application.id, without_profile.id)
    deactivated = ReviewerProfileFactory(user__active=False, user__name="Dee Active").user
    assert "deactivated" in refuse(DomainError, admin, application.id, deactivated.id)
    assert count(Assignment) == 0


def test_a_member_of_the_organisation_is_refused_with_the_reason(admin, application, reviewer):
    MembershipFactory(organisation=application.organisation, user=reviewer, role="member")
    message = refuse(ConflictOfInterest, admin, application.id, reviewer.id)
    assert message == "Rita Reviewer is a member of the applicant organisation."


def test_a_shared_email_domain_is_refused_with_the_reason(admin, application):
    MembershipFactory(organisation=application.organisation, user__email="lead@mesh.example.net.ke")
    reviewer = ReviewerProfileFactory(user__email="rita@mesh.example.net.ke", user__name="Rita").user
    message = refuse(ConflictOfInterest, admin, application.id, reviewer.id)
    assert message == "Rita shares an e-mail domain with a member of the applicant organisation."


def test_a_declared_conflict_is_refused_with_the_reason(admin, application, reviewer):
    _db.session.add(ConflictDeclaration(application_id=application.id, reviewer_id=reviewer.id, has_conflict=True,
                                        reason="I advised them last year."))
    _db.session.commit()
    message = refuse(ConflictOfInterest, admin, application.id, reviewer.id)
    assert message == "Rita Reviewer has declared a conflict of interest with this application."


def test_a_declared_no_conflict_does_not_stand_in_the_way(admin, application, reviewer):
    _db.session.add(ConflictDeclaration(application_id=application.id, reviewer_id=reviewer.id, has_conflict=False))
    _db.session.commit()
    assert service.assign_reviewer(admin, application.id, reviewer.id).id


def test_a_reviewer_at_their_maximum_for_the_call_is_refused(admin, call, application, reviewer):
    for _ in range(3):
        AssignmentFactory(application=ApplicationFactory(call=call, submitted=True,
                                                         status=ApplicationStatus.UNDER_REVIEW),
                          reviewer=reviewer)
    message = refuse(service.ReviewerAtCapacity, admin, application.id, reviewer.id)
    assert message == "Rita Reviewer already has 3 applications in this call, their maximum."
    assert count(Assignment) == 3


def test_assignments_in_other_calls_do_not_count_towards_the_maximum(admin, application, reviewer):
    for _ in range(3):
        AssignmentFactory(reviewer=reviewer)  # each in a call of its own
    assert service.assign_reviewer(admin, application.id, reviewer.id).id


def test_the_same_pair_twice_is_refused(admin, application, reviewer):
    service.assign_reviewer(admin, application.id, reviewer.id)
    _db.session.commit()
    message = refuse(AlreadyExists, admin, application.id, reviewer.id)
    assert message == "Rita Reviewer is already assigned to this application."
    assert count(Assignment) == 1 and count(Notification) == 1


def test_when_two_admins_race_the_unique_pair_decides_and_the_transaction_goes_on(admin, application, reviewer,
                                                                                monkeypatch):
    service.assign_reviewer(admin, application.id, reviewer.id)
    _db.session.commit()
    # As if the other admin's row had been committed between our check and our insert.
    monkeypatch.setattr(service, "lock_holdings", lambda profiles, call_ids: defaultdict(set))
    with pytest.raises(AlreadyExists):
        service.assign_reviewer(admin, application.id, reviewer.id)
    other = ReviewerProfileFactory().user  # the session is still usable after the refused insert
    service.assign_reviewer(admin, application.id, other.id)
    _db.session.commit()
    assert count(Assignment) == 2 and count(Notification) == 2


# --- bulk ---------------------------------------------------------------------------------------------------


def test_bulk_assigns_what_it_can_and_says_why_not_for_the_rest(admin, call, reviewer):
    fine = ApplicationFactory(call=call, submitted=True)
    also_fine = ApplicationFactory(call=call, submitted=True, status=ApplicationStatus.UNDER_REVIEW)
    draft = ApplicationFactory(call=call)
    own = ApplicationFactory(call=call, submitted=True)
    MembershipFactory(organisation=own.organisation, user=reviewer)
    taken = AssignmentFactory(application=ApplicationFactory(call=call, submitted=True,
                                                             status=ApplicationStatus.UNDER_REVIEW),
                              reviewer=reviewer).application

    results = service.assign_in_bulk(admin, [fine.id, draft.id, own.id, taken.id, also_fine.id, 999_999, fine.id],
                                     reviewer.id)
    _db.session.commit()

    outcome = {application_id: result for application_id, result in results}
    assert [application_id for application_id, _ in results] == [fine.id, draft.id, own.id, taken.id, also_fine.id,
                                                                 999_999]
    assert isinstance(outcome[fine.id], Assignment) and isinstance(outcome[also_fine.id], Assignment)
    assert "Only submitted applications" in outcome[draft.id]
    assert outcome[own.id] == "Rita Reviewer is a member of the applicant organisation."
    assert outcome[taken.id] == "Rita Reviewer is already assigned to this application."
    assert outcome[999_999] == "Not found."
    assert count(Assignment, Assignment.reviewer_id == reviewer.id) == 3
    assert count(Notification) == 2
    assert _db.session.get(type(fine), fine.id).status == ApplicationStatus.UNDER_REVIEW


def test_bulk_stops_at_the_reviewers_maximum(admin, call):
    reviewer = ReviewerProfileFactory(max_load=2, user__name="Max Two").user
    applications = [ApplicationFactory(call=call, submitted=True) for _ in range(3)]
    results = service.assign_in_bulk(admin, [a.id for a in applications], reviewer.id)
    assert [isinstance(result, Assignment) for _, result in results] == [True, True, False]
    assert results[2][1] == "Max Two already has 2 applications in this call, their maximum."


# At most what each new assignment costs, whichever way it is made: the INSERT of the assignment; moving the
# application under review (APPLICATION_MACHINE.move: the status UPDATE, the application read back
# unless the UPDATE returns it, an audit event); the assignment's audit event; the notification's key check and
# INSERT. Everything else is read once for the whole list.
STATEMENTS_PER_ASSIGNMENT = 7
STATEMENTS_TO_START_REVIEW = 3  # of those, what only the application's first assignment costs


def test_bulk_reads_once_whatever_the_number_of_applications(admin, call):
    CallReviewSettingsFactory(call=call)
    reviewer = ReviewerProfileFactory(max_load=20).user

    def statements(n: int) -> int:
        ids = [ApplicationFactory(call=call, submitted=True).id for _ in range(n)]
        _db.session.commit()
        results, statements = count_statements(lambda: service.assign_in_bulk(admin, ids, reviewer.id))
        _db.session.commit()
        assert [isinstance(result, Assignment) for _, result in results] == [True] * n
        return statements

    two, eight = statements(2), statements(8)
    assert eight - two <= 6 * STATEMENTS_PER_ASSIGNMENT
    assert count(Assignment) == 10 and count(Notification) == 10


def test_bulk_is_for_admins_and_known_reviewers(admin, application, reviewer):
    with pytest.raises(PermissionDenied):
        service.assign_in_bulk(reviewer, [application.id], reviewer.id)
    with pytest.raises(NotFound):
        service.assign_in_bulk(admin, [application.id], reviewer.id + 1000)


# --- removing -----------------------------------------------------------------------------------------------


def test_removing_takes_the_draft_review_with_it_and_is_audited(admin):
    review = ReviewFactory()
    assignment_id = review.assignment_id

    service.remove_assignment(admin, assignment_id)
    _db.session.commit()

    assert count(Assignment) == 0 and count(Review) == 0
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "assignment.removed"))
    assert (event.actor_id, event.object_id) == (admin.id, assignment_id)
    assert event.before["review_status"] == "draft"


def test_an_assignment_without_a_review_can_be_removed(admin):
    assignment = AssignmentFactory()
    service.remove_assignment(admin, assignment.id)
    _db.session.commit()
    assert count(Assignment) == 0


def test_a_submitted_review_keeps_its_assignment(admin):
    review = ReviewFactory(submitted=True, assignment__reviewer=ReviewerProfileFactory(user__name="Sam").user)
    with pytest.raises(InvalidTransition) as refused:
        service.remove_assignment(admin, review.assignment_id)
    _db.session.rollback()
    assert str(refused.value) == "Sam has submitted their review, so the assignment can no longer be removed."
    assert count(Assignment) == 1 and count(Review) == 1


def test_only_admins_remove_and_only_what_exists(admin):
    assignment = AssignmentFactory()
    with pytest.raises(PermissionDenied):
        service.remove_assignment(assignment.reviewer, assignment.id)
    with pytest.raises(NotFound):
        service.remove_assignment(admin, assignment.id + 1000)
    assert count(Assignment) == 1

"""Conflicts of interest: found from memberships and e-mail domains, and declared by the reviewer."""

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.core.audit import AuditEvent
from cade.core.errors import NotFound, PermissionDenied, ValidationFailed
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.notifications.rendering import render_notification
from cade.reviews.constants import CONFLICT_REASON_MAX_CHARS
from cade.reviews.models import Assignment, ConflictDeclaration, Review
from cade.reviews.services import conflicts, reading, scoring
from tests.concurrency import run_side_by_side
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    ConflictDeclarationFactory,
    MembershipFactory,
    ReviewerProfileFactory,
    ReviewFactory,
    RubricCriterionFactory,
    UserFactory,
)


@pytest.fixture()
def assignment(db):
    return AssignmentFactory()


@pytest.fixture()
def admins(db):
    """Two active administrators; a disabled one is not told."""
    UserFactory(roles=["admin"], active=False)
    return [UserFactory(roles=["admin"]), UserFactory(roles=["admin"])]


def count(model, *where) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def verbs() -> list[str]:
    return list(_db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)))


# --- declaring -------------------------------------------------------------------

def test_no_conflict_opens_the_application(assignment, admins):
    declaration = conflicts.declare_conflict(assignment.reviewer, assignment.id, False, "  ")
    _db.session.commit()
    assert declaration.has_conflict is False and declaration.reason is None
    assert conflicts.declaration_for(assignment.reviewer_id, assignment.application_id).id == declaration.id
    assert count(Assignment) == 1 and count(Notification) == 0
    assert verbs() == ["conflict.declared"]


def test_a_conflict_needs_a_reason(assignment, admins):
    for reason in (None, "", "   "):
        with pytest.raises(ValidationFailed) as refused:
            conflicts.declare_conflict(assignment.reviewer, assignment.id, True, reason)
        assert set(refused.value.errors) == {"reason"}
        _db.session.rollback()
    with pytest.raises(ValidationFailed):
        conflicts.declare_conflict(assignment.reviewer, assignment.id, True, "x" * (CONFLICT_REASON_MAX_CHARS + 1))
    _db.session.rollback()
    assert count(ConflictDeclaration) == 0 and count(Assignment) == 1 and count(Notification) == 0


def test_a_conflict_removes_the_assignment_and_tells_each_admin_once(assignment, admins):
    application_id = assignment.application_id
    conflicts.declare_conflict(assignment.reviewer, assignment.id, True, "I advise this network.")
    _db.session.commit()
    assert count(Assignment) == 0
    rows = _db.session.scalars(select(Notification).order_by(Notification.recipient_id)).all()
    assert [(n.kind, n.recipient_id) for n in rows] == [("reviews.conflict_declared", a.id) for a in admins]
    assert rows[0].context["reason"] == "I advise this network."
    assert verbs() == ["conflict.declared", "assignment.removed"]
    assert conflicts.declared_conflicts([application_id]) == {(application_id, assignment.reviewer_id)}
    assert conflicts.conflict_reason(assignment.reviewer_id, application_id) == "declared"


def test_a_conflict_after_no_conflict_removes_the_review_written_so_far(admins):
    declaration = ConflictDeclarationFactory()
    assignment = _db.session.scalar(select(Assignment))
    ReviewFactory(assignment=assignment)
    conflicts.declare_conflict(assignment.reviewer, assignment.id, True, "I recognised the team.")
    _db.session.commit()
    assert count(Assignment) == 0 and count(Review) == 0
    _db.session.refresh(declaration)
    assert declaration.has_conflict and declaration.reason == "I recognised the team."
    removed = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "assignment.removed"))
    assert removed.before["review_status"] == "draft"
    declared = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "conflict.declared"))
    assert declared.before == {"has_conflict": False, "reason": None}
    assert count(Notification) == len(admins)


def test_a_conflict_after_submitting_keeps_the_review_on_record_and_tells_the_admins(app, admins):
    ConflictDeclarationFactory()
    assignment = _db.session.scalar(select(Assignment))
    reviewer, application_id = assignment.reviewer, assignment.application_id
    review = ReviewFactory(assignment=assignment, submitted=True)
    conflicts.declare_conflict(reviewer, assignment.id, True, "I recognised the team.")
    _db.session.commit()

    # Nothing submitted is destroyed: the assignment and the review stay, the review is marked as no longer counted.
    assert count(Assignment) == 1 and count(Review, Review.status == "submitted") == 1
    assert verbs() == ["conflict.declared", "review.excluded"]
    excluded = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "review.excluded"))
    assert (excluded.object_id, excluded.after) == (review.id, {"counted": False, "reason": "conflict_declared"})
    assert conflicts.conflict_reason(reviewer.id, application_id) == "declared"
    # The admins are told, and the notice says the review no longer counts rather than that it was removed.
    rows = _db.session.scalars(select(Notification).order_by(Notification.recipient_id)).all()
    assert [(n.kind, n.recipient_id) for n in rows] == [("reviews.conflict_declared", a.id) for a in admins]
    assert rows[0].context["review_kept"] is True
    with app.test_request_context():
        _subject, text, html = render_notification(rows[0])
    assert "after submitting their review" in text and "no longer counts" in html
    assert "has been removed" not in text
    # The reviewer can no longer open, change or take back the review.
    with pytest.raises(NotFound):
        reading.application_for_review(reviewer, assignment.id)
    with pytest.raises(PermissionDenied):
        conflicts.declare_conflict(reviewer, assignment.id, False)


def test_a_review_submitted_while_a_conflict_is_declared_is_never_deleted(app, admins):
    declaration = ConflictDeclarationFactory()
    assignment = _db.session.scalar(select(Assignment))
    criterion = RubricCriterionFactory(call=assignment.call, max_score=5)
    ReviewFactory(assignment=assignment, scores={criterion: 3})  # a draft, complete but for its submission
    reviewer_id, assignment_id, criterion_id = assignment.reviewer_id, assignment.id, criterion.id
    assert declaration.has_conflict is False

    command = scoring.ReviewInput.from_input({"scores": {criterion_id: "3"}, "recommendation": "fund", "submit": True},
                                             scales={criterion_id: criterion.max_score})

    def submit():
        scoring.save_review(_db.session.get(User, reviewer_id), assignment_id, command)

    def declare():
        conflicts.declare_conflict(_db.session.get(User, reviewer_id), assignment_id, True, "Found out just now.")

    outcomes = run_side_by_side(app, [submit, declare], pause_after="from reviews")

    assert outcomes[1] == "done"
    if outcomes[0] == "done":  # submitted first: the declaration found it submitted and kept it
        assert count(Assignment) == 1 and count(Review, Review.status == "submitted") == 1
    else:  # the declaration came first and took the draft away; submitting then found no assignment
        assert isinstance(outcomes[0], NotFound) and count(Assignment) == 0 and count(Review) == 0


def test_a_removed_assignments_notice_says_so(app, assignment, admins):
    conflicts.declare_conflict(assignment.reviewer, assignment.id, True, "I advise this network.")
    _db.session.commit()
    row = _db.session.scalar(select(Notification).limit(1))
    assert row.context["review_kept"] is False
    with app.test_request_context():
        _subject, text, _html = render_notification(row)
    assert "has been removed from it" in text and "no longer counts" not in text


def test_only_the_assigned_reviewer_may_declare(assignment):
    for someone in (ReviewerProfileFactory().user, UserFactory(roles=["admin"]), None):
        with pytest.raises(NotFound):
            conflicts.declare_conflict(someone, assignment.id, False)
    with pytest.raises(NotFound):
        conflicts.declare_conflict(assignment.reviewer, 999_999, False)
    assert count(ConflictDeclaration) == 0


# --- found without asking --------------------------------------------------------

@pytest.mark.usefixtures("db")
def test_members_and_shared_e_mail_domains_are_conflicts():
    application = ApplicationFactory(submitted=True)
    MembershipFactory(organisation=application.organisation, user__email="lead@kijiji.example")
    MembershipFactory(organisation=application.organisation, user__email="treasurer@gmail.com")
    member = MembershipFactory(organisation=application.organisation).user
    colleague = UserFactory(email="Someone@KIJIJI.example")
    gmail_user = UserFactory(email="other@gmail.com")
    stranger = UserFactory(email="a@elsewhere.example")
    found = conflicts.automatic_conflicts([application.id], [member.id, colleague.id, gmail_user.id, stranger.id])
    assert found == {(application.id, member.id): "member", (application.id, colleague.id): "email_domain"}
    assert conflicts.all_conflicts([application.id], [stranger.id]) == {}
    assert conflicts.conflict_reason(member.id, application.id) == "member"
    assert conflicts.automatic_conflicts([], [member.id]) == {} == conflicts.automatic_conflicts([application.id], [])

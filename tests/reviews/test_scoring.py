"""The scoring service: what a reviewer may save, submit and read, and when."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications.models import Attachment
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import DeadlinePassed, NotFound, ValidationFailed
from cade.core.storage import get_storage
from cade.extensions import db as _db
from cade.reviews.constants import COMMENT_MAX_CHARS, ReviewStatus
from cade.reviews.models import Review, ReviewScore
from cade.reviews.services import conflicts, reading, scoring
from tests.applications.files import make_pdf
from tests.concurrency import run_side_by_side
from tests.factories import (
    AssignmentFactory,
    CallReviewSettingsFactory,
    ConflictDeclarationFactory,
    MembershipFactory,
    ReviewerProfileFactory,
    RubricCriterionFactory,
)
from tests.querycount import count_statements


@pytest.fixture()
def assignment(db):
    """An assignment whose reviewer has declared no conflict, in a call with two criteria (max 5 and 10)."""
    assignment = AssignmentFactory(application__organisation__name="Kijiji Mesh Collective",
                                   application__organisation__website="https://kijiji.example")
    RubricCriterionFactory(call=assignment.call, label="Relevance", max_score=5, weight=1, position=1)
    RubricCriterionFactory(call=assignment.call, label="Feasibility", max_score=10, weight=2, position=2)
    ConflictDeclarationFactory(assignment=assignment)
    return assignment


@pytest.fixture()
def criteria(assignment):
    return list(assignment.call.criteria)


@pytest.fixture()
def reviewer(assignment):
    return assignment.reviewer


def review_input(criteria, scores, *, submit=False, recommendation=None, applicant="", panel=""):
    """The review as the review page hands it over: typed values cleaned on the call's rubric."""
    return scoring.ReviewInput.from_input(
        {"scores": scores, "recommendation": recommendation, "comment_to_applicant": applicant,
         "confidential_comment": panel, "submit": submit},
        scales={criterion.id: criterion.max_score for criterion in criteria})


def save(reviewer, assignment, scores, *, submit=False, recommendation=None, applicant="", panel=""):
    return scoring.save_review(reviewer, assignment.id, review_input(
        assignment.call.criteria, scores, submit=submit, recommendation=recommendation, applicant=applicant,
        panel=panel))


def stored_scores(assignment) -> dict[int, int]:
    _db.session.expire_all()
    review = _db.session.scalar(select(Review).where(Review.assignment_id == assignment.id))
    return {score.criterion_id: score.score for score in review.scores} if review else {}


def review_count() -> int:
    return _db.session.scalar(select(func.count()).select_from(Review))


def add_pdf(application, name="Kijiji budget quotes.pdf") -> Attachment:
    stored_name, size, sha256 = get_storage().put(io.BytesIO(make_pdf()), 10_000_000)
    attachment = Attachment(application_id=application.id, stored_name=stored_name, original_name=name,
                            content_type="application/pdf", size=size, sha256=sha256, uploaded_at=utcnow(),
                            uploaded_by_id=None)
    _db.session.add(attachment)
    _db.session.commit()
    return attachment


# --- drafts and bad values ---------------------------------------------------------

def test_a_draft_keeps_a_partial_review(reviewer, assignment, criteria):
    relevance, feasibility = criteria
    review = save(reviewer, assignment, {relevance.id: "4", feasibility.id: ""}, applicant="Good plan.",
                  panel="Strong team.")
    _db.session.commit()
    assert review.status == ReviewStatus.DRAFT and review.submitted_at is None
    assert stored_scores(assignment) == {relevance.id: 4}
    assert (review.comment_to_applicant, review.confidential_comment) == ("Good plan.", "Strong team.")
    assert review.call_id == assignment.call_id and review.application_id == assignment.application_id


@pytest.mark.parametrize("typed", ["-1", "6", "abc", "2.5", "+3", "٣", "1e1"])
def test_a_score_that_is_not_a_whole_number_in_range_is_refused_on_its_field(reviewer, assignment, criteria, typed):
    relevance, feasibility = criteria
    with pytest.raises(ValidationFailed) as refused:
        save(reviewer, assignment, {relevance.id: typed, feasibility.id: "7"})
    assert set(refused.value.errors) == {f"score_{relevance.id}"}
    assert "from 0 to 5" in str(refused.value.errors[f"score_{relevance.id}"][0])
    _db.session.rollback()
    assert review_count() == 0


def test_the_top_and_bottom_of_the_range_are_accepted(reviewer, assignment, criteria):
    relevance, feasibility = criteria
    save(reviewer, assignment, {relevance.id: 0, feasibility.id: " 10 "})
    _db.session.commit()
    assert stored_scores(assignment) == {relevance.id: 0, feasibility.id: 10}


def test_unknown_criteria_are_ignored(reviewer, assignment, criteria):
    other = RubricCriterionFactory()  # another call's criterion
    save(reviewer, assignment, {criteria[0].id: "3", other.id: "4", 999_999: "1"})
    _db.session.commit()
    assert stored_scores(assignment) == {criteria[0].id: 3}


def test_a_cleared_score_is_removed_and_an_absent_one_kept(reviewer, assignment, criteria):
    relevance, feasibility = criteria
    save(reviewer, assignment, {relevance.id: "3", feasibility.id: "8"})
    _db.session.commit()
    save(reviewer, assignment, {relevance.id: ""})
    _db.session.commit()
    assert stored_scores(assignment) == {feasibility.id: 8}
    assert _db.session.scalar(select(func.count()).select_from(ReviewScore)) == 1


def test_bad_recommendation_and_long_comments_are_refused_on_their_fields(reviewer, assignment, criteria):
    too_long = "x" * (COMMENT_MAX_CHARS + 1)
    with pytest.raises(ValidationFailed) as refused:
        save(reviewer, assignment, {criteria[0].id: "3"}, recommendation="maybe", applicant=too_long, panel=too_long)
    assert set(refused.value.errors) == {"recommendation", "comment_to_applicant", "confidential_comment"}


# --- submitting ------------------------------------------------------------------

def test_submitting_needs_every_criterion_and_a_recommendation(reviewer, assignment, criteria):
    relevance, feasibility = criteria
    with pytest.raises(ValidationFailed) as refused:
        save(reviewer, assignment, {relevance.id: "4", feasibility.id: ""}, submit=True)
    assert set(refused.value.errors) == {f"score_{feasibility.id}", "recommendation"}
    assert "before submitting" in str(refused.value.errors[f"score_{feasibility.id}"][0])
    _db.session.rollback()
    assert review_count() == 0


def test_a_complete_review_is_submitted_and_audited(reviewer, assignment, criteria):
    relevance, feasibility = criteria
    save(reviewer, assignment, {relevance.id: "2"})
    _db.session.commit()
    review = save(reviewer, assignment, {relevance.id: "4", feasibility.id: "9"}, submit=True, recommendation="fund",
                  applicant="Clear plan.")
    _db.session.commit()
    assert review.status == ReviewStatus.SUBMITTED and review.submitted_at is not None
    assert review.recommendation == "fund"
    event_row = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "review.submitted"))
    assert event_row.actor_id == reviewer.id and event_row.object_id == review.id
    assert event_row.before == {"status": "draft", "recommendation": None, "scores": {str(relevance.id): 2}}
    assert event_row.after == {"status": "submitted", "recommendation": "fund",
                               "scores": {str(relevance.id): 4, str(feasibility.id): 9}}


def test_a_submitted_review_may_change_but_stays_submitted_and_complete(reviewer, assignment, criteria):
    relevance, feasibility = criteria
    save(reviewer, assignment, {relevance.id: "4", feasibility.id: "9"}, submit=True, recommendation="fund")
    _db.session.commit()
    # "Save" after submitting re-submits: still submitted, and still complete.
    review = save(reviewer, assignment, {relevance.id: "5", feasibility.id: "6"}, recommendation="fund_with_changes")
    _db.session.commit()
    assert review.status == ReviewStatus.SUBMITTED and review.recommendation == "fund_with_changes"
    assert stored_scores(assignment) == {relevance.id: 5, feasibility.id: 6}
    with pytest.raises(ValidationFailed) as refused:
        save(reviewer, assignment, {relevance.id: "", feasibility.id: "6"}, recommendation="fund")
    assert set(refused.value.errors) == {f"score_{relevance.id}"}
    _db.session.rollback()
    assert stored_scores(assignment) == {relevance.id: 5, feasibility.id: 6}


def test_submitting_twice_makes_one_review(reviewer, assignment, criteria):
    scores = {criteria[0].id: "3", criteria[1].id: "7"}
    save(reviewer, assignment, scores, submit=True, recommendation="fund")
    save(reviewer, assignment, scores, submit=True, recommendation="fund")
    _db.session.commit()
    assert review_count() == 1
    assert _db.session.scalar(select(func.count()).select_from(ReviewScore)) == 2


def test_two_submits_at_the_same_moment_make_one_review(app, reviewer, assignment, criteria):
    reviewer_id, assignment_id = reviewer.id, assignment.id
    scores = {criteria[0].id: "3", criteria[1].id: "7"}

    command = review_input(criteria, scores, submit=True, recommendation="fund")

    def submit():
        scoring.save_review(_db.session.get(User, reviewer_id), assignment_id, command)

    outcomes = run_side_by_side(app, [submit, submit], pause_after="from reviews")
    assert outcomes == ["done", "done"]
    assert review_count() == 1
    assert _db.session.scalar(select(func.count()).select_from(ReviewScore)) == 2


def test_a_review_created_meanwhile_by_another_request_is_the_one_used(reviewer, assignment):
    # The savepoint path: the unique assignment_id refuses a second review, and the first is returned.
    first = scoring._new_review(assignment)
    _db.session.commit()
    again = scoring._new_review(assignment)
    assert again.id == first.id and review_count() == 1


# --- deadlines -------------------------------------------------------------------

def test_after_the_review_deadline_nothing_changes_not_even_a_draft(reviewer, assignment, criteria):
    save(reviewer, assignment, {criteria[0].id: "3"}, applicant="Before the deadline.")
    settings = CallReviewSettingsFactory(call=assignment.call, review_deadline_at=utcnow() - timedelta(minutes=1))
    _db.session.commit()
    for submit in (False, True):
        with pytest.raises(DeadlinePassed):
            save(reviewer, assignment, {criteria[0].id: "5", criteria[1].id: "5"}, submit=submit,
                 recommendation="fund")
        _db.session.rollback()
    assert stored_scores(assignment) == {criteria[0].id: 3}
    assert scoring.reviews_closed(assignment.call_id)
    assert scoring.review_deadline_for(assignment) == assignment.due_at != settings.review_deadline_at


def test_a_passed_due_date_is_not_a_hard_stop(reviewer, assignment, criteria):
    assignment.due_at = utcnow() - timedelta(days=2)
    _db.session.commit()
    review = save(reviewer, assignment, {criteria[0].id: "3", criteria[1].id: "4"}, submit=True, recommendation="fund")
    assert review.status == ReviewStatus.SUBMITTED and not scoring.reviews_closed(assignment.call_id)


def test_the_due_date_is_the_assignments_else_the_calls_deadline(assignment):
    deadline = utcnow() + timedelta(days=30)
    CallReviewSettingsFactory(call=assignment.call, review_deadline_at=deadline)
    assert scoring.review_deadline_for(assignment) == assignment.due_at
    assignment.due_at = None
    _db.session.commit()
    assert scoring.review_deadline_for(assignment) == deadline


# --- who may save ----------------------------------------------------------------

def test_only_the_assigned_reviewer_after_declaring_no_conflict_may_save(assignment, criteria):
    stranger = ReviewerProfileFactory().user
    with pytest.raises(NotFound):
        save(stranger, assignment, {criteria[0].id: "3"})
    undeclared = AssignmentFactory(application=assignment.application)
    with pytest.raises(NotFound):
        save(undeclared.reviewer, undeclared, {criteria[0].id: "3"})
    with pytest.raises(NotFound):
        reading.application_for_review(undeclared.reviewer, undeclared.id)
    _db.session.rollback()
    assert review_count() == 0


def test_a_reviewer_who_belongs_to_the_applicant_may_not_save(assignment, criteria):
    MembershipFactory(user=assignment.reviewer, organisation=assignment.application.organisation)
    with pytest.raises(NotFound):
        save(assignment.reviewer, assignment, {criteria[0].id: "3"})


# --- the dashboard ---------------------------------------------------------------

def count_queries(run, user):
    user.id  # noqa: B018  (load the expired user first: only the listing's own queries count)
    return count_statements(run)


def test_the_dashboard_lists_progress_in_one_query_whatever_the_number(reviewer, assignment, criteria):
    save(reviewer, assignment, {criteria[0].id: "3"})
    _db.session.commit()
    rows, queries = count_queries(lambda: scoring.reviewer_assignments(reviewer), reviewer)
    assert len(rows) == 1 and queries == 1
    row = rows[0]
    assert (row.declared, row.review_status, row.scored, row.criteria) == (True, "draft", 1, 2)
    assert row.organisation_name == "Kijiji Mesh Collective" and row.due_at == assignment.due_at
    for _ in range(4):
        AssignmentFactory(reviewer=reviewer, due_at=utcnow() - timedelta(days=1))
    _db.session.expire_all()
    rows, queries = count_queries(lambda: scoring.reviewer_assignments(reviewer), reviewer)
    assert len(rows) == 5 and queries == 1
    assert all(r.overdue and not r.declared and r.review_status is None for r in rows[:4])
    assert rows[-1].assignment_id == assignment.id and not rows[-1].overdue


def test_the_dashboard_hides_the_name_in_blind_calls_and_own_organisations(reviewer, assignment):
    assignment.call.blind_review = True
    own = AssignmentFactory(reviewer=reviewer)
    MembershipFactory(user=reviewer, organisation=own.application.organisation)
    _db.session.commit()
    rows = scoring.reviewer_assignments(reviewer)
    assert [r.assignment_id for r in rows] == [assignment.id]
    assert rows[0].organisation_name is None


def test_the_dashboard_falls_back_to_the_calls_deadline(reviewer, assignment):
    deadline = utcnow() - timedelta(hours=1)
    CallReviewSettingsFactory(call=assignment.call, review_deadline_at=deadline)
    assignment.due_at = None
    _db.session.commit()
    [row] = scoring.reviewer_assignments(reviewer)
    assert row.due_at == deadline and row.overdue and row.closed


def test_the_dashboard_leaves_out_a_review_the_reviewer_declared_a_conflict_with(reviewer, assignment, criteria):
    save(reviewer, assignment, {criteria[0].id: "3", criteria[1].id: "7"}, submit=True, recommendation="fund")
    other = AssignmentFactory(reviewer=reviewer)
    _db.session.commit()
    conflicts.declare_conflict(reviewer, assignment.id, True, "Found out who they are.")
    _db.session.commit()
    assert [row.assignment_id for row in scoring.reviewer_assignments(reviewer)] == [other.id]
    assert review_count() == 1


# --- reading ---------------------------------------------------------------------

def test_before_declaring_the_reviewer_reads_only_what_the_question_needs(reviewer, assignment):
    deadline = utcnow().replace(microsecond=0) + timedelta(days=9)
    CallReviewSettingsFactory(call=assignment.call, review_deadline_at=deadline)
    assignment.due_at = None
    _db.session.commit()
    facts = reading.declaration_facts(reviewer, assignment.id)
    application = assignment.application
    assert (facts.assignment_id, facts.call_title, facts.reference, facts.title) == (
        assignment.id, assignment.call.title, application.reference, application.title)
    assert (facts.organisation_name, facts.blind, facts.due_at) == ("Kijiji Mesh Collective", False, deadline)

    assignment.call.blind_review = True
    _db.session.commit()
    facts = reading.declaration_facts(reviewer, assignment.id)
    assert (facts.organisation_name, facts.blind) == (None, True) and "Kijiji" not in repr(facts)
    for someone in (ReviewerProfileFactory().user, MembershipFactory(
            organisation=application.organisation).user, None):
        with pytest.raises(NotFound):
            reading.declaration_facts(someone, assignment.id)
    with pytest.raises(NotFound):
        reading.declaration_facts(reviewer, assignment.id + 1000)


def test_a_blind_call_shows_only_region_and_type_and_neutral_file_names(reviewer, assignment):
    assignment.call.blind_review = True
    attachment = add_pdf(assignment.application)
    shown = reading.application_for_review(reviewer, assignment.id)
    applicant = shown.applicant
    assert (applicant.region_code, applicant.organisation_type) == ("002", "ngo")
    assert applicant.name is applicant.website is applicant.acronym is applicant.country is None
    assert applicant.member_names == ()
    [entry] = shown.attachments
    assert (entry.id, entry.name, entry.kind, entry.number) == (attachment.id, None, "PDF", 1)
    assert entry.download_name == "attachment-1.pdf"
    assert "Kijiji" not in repr(shown)


def test_an_open_call_shows_the_organisation_and_its_members(reviewer, assignment):
    member = MembershipFactory(organisation=assignment.application.organisation, user__name="Amina Odhiambo").user
    add_pdf(assignment.application)
    shown = reading.application_for_review(reviewer, assignment.id)
    assert shown.applicant.name == "Kijiji Mesh Collective"
    assert shown.applicant.website == "https://kijiji.example"
    assert shown.applicant.member_names == (member.name,)
    MembershipFactory(organisation=assignment.application.organisation, user__name="Aaron Member", role="member")
    MembershipFactory(organisation=assignment.application.organisation, user__name="Zola Owner")
    shown = reading.application_for_review(reviewer, assignment.id)
    assert shown.applicant.member_names == ("Amina Odhiambo", "Zola Owner", "Aaron Member")  # owners first
    assert shown.attachments[0].name == shown.attachments[0].download_name == "Kijiji budget quotes.pdf"


def test_files_open_only_for_their_reviewer_and_application(reviewer, assignment):
    attachment = add_pdf(assignment.application)
    entry, stream = reading.open_review_attachment(reviewer, assignment.id, attachment.id)
    with stream:
        assert stream.read() == make_pdf()
    elsewhere = add_pdf(AssignmentFactory().application, name="other.pdf")
    with pytest.raises(NotFound):
        reading.open_review_attachment(reviewer, assignment.id, elsewhere.id)
    with pytest.raises(NotFound):
        reading.open_review_attachment(ReviewerProfileFactory().user, assignment.id, attachment.id)


def test_a_criterion_deleted_while_the_first_review_is_saved_never_takes_a_score_with_it(app, admin, reviewer,
                                                                                       assignment, criteria):
    # The rubric locks once a review exists; saving the first review and deleting a criterion at the same
    # moment must end either with the delete refused or with a review that never scored the deleted criterion.
    from cade.accounts.models import User
    from cade.programmes.services import delete_criterion

    reviewer_id, admin_id, assignment_id = reviewer.id, admin.id, assignment.id
    doomed_id = criteria[1].id
    scores = {c.id: "3" for c in criteria}

    command = review_input(criteria, scores)

    def save_first_review():
        scoring.save_review(_db.session.get(User, reviewer_id), assignment_id, command)

    def delete():
        delete_criterion(_db.session.get(User, admin_id), doomed_id)

    outcomes = run_side_by_side(app, [save_first_review, delete], pause_after="from rubric_criteria")
    _db.session.expire_all()
    assert outcomes[0] == "done" and review_count() == 1
    criterion_left = _db.session.get(type(criteria[1]), doomed_id) is not None
    stored = set(_db.session.scalars(select(ReviewScore.criterion_id)))
    if outcomes[1] == "done":  # the delete went first: the review scored only what was left
        assert not criterion_left and stored == {criteria[0].id}
    else:  # the review went first: the rubric was locked and both scores stand
        assert criterion_left and stored == {c.id for c in criteria}

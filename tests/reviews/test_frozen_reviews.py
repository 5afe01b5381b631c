"""Released is final (issue 8, item 1, the reviews' side): once the decision on an application is released,
none of its reviews changes: no draft saved, no review submitted or re-submitted, no conflict that would
take a review out of the scores. Under concurrency too, and on the reviewer's pages with a clear word."""

import threading
import time

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications.constants import ApplicationStatus
from cade.awards.constants import RELEASED_STATUS, DecisionOutcome
from cade.awards.services.release import release_decisions
from cade.core.errors import DomainError
from cade.extensions import db as _db
from cade.reviews.constants import ReviewStatus
from cade.reviews.models import Assignment, Review
from cade.reviews.services import conflicts, finality, scoring
from cade.reviews.services.aggregation import score_summary
from tests.factories import (
    AssignmentFactory,
    ConflictDeclarationFactory,
    DecisionFactory,
    ReviewFactory,
    RubricCriterionFactory,
    UserFactory,
)
from tests.reviews.test_scoring import review_input, stored_scores

FINAL = "The decision on this application has been released: your review is final."


@pytest.fixture()
def assignment(db):
    """Declared "no conflict", in a call with two criteria (max 5 weight 1, max 10 weight 2), with a decision."""
    assignment = AssignmentFactory(application__title="Solar mesh for Kijiji")
    RubricCriterionFactory(call=assignment.call, label="Relevance", max_score=5, weight=1, position=1)
    RubricCriterionFactory(call=assignment.call, label="Feasibility", max_score=10, weight=2, position=2)
    ConflictDeclarationFactory(assignment=assignment)
    DecisionFactory(application=assignment.application, outcome=DecisionOutcome.REJECT, amount_minor=None)
    return assignment


def submitted_review(assignment, relevance=4, feasibility=8):
    relevance_criterion, feasibility_criterion = assignment.call.criteria
    return ReviewFactory(assignment=assignment, submitted=True, comment_to_applicant="Sent with the decision.",
                         scores={relevance_criterion: relevance, feasibility_criterion: feasibility})


def release(assignment):
    release_decisions(UserFactory(roles=["admin"]), assignment.call_id)
    _db.session.commit()


def save(assignment, scores, **kwargs):
    reviewer = _db.session.get(User, assignment.reviewer_id)
    return scoring.save_review(reviewer, assignment.id, review_input(assignment.call.criteria, scores, **kwargs))


def counted_reviews(application_id) -> int:
    _db.session.expire_all()
    return score_summary(application_id).review_count


# --- the rule ------------------------------------------------------------------------

def test_released_means_the_statuses_a_release_gives_applications():
    # Reviews sit below awards and read the release from the application (cade/reviews/services/finality.py):
    # if the release ever gave another status, this fails.
    assert set(finality.RELEASED_STATUSES) == set(RELEASED_STATUS.values())
    assert ApplicationStatus.UNDER_REVIEW not in finality.RELEASED_STATUSES


def test_a_decided_but_unreleased_application_may_still_be_reviewed(assignment):
    relevance, feasibility = assignment.call.criteria
    save(assignment, {relevance.id: "3"})
    _db.session.commit()
    assert not finality.decision_released(assignment.application_id)
    review = save(assignment, {relevance.id: "4", feasibility.id: "9"}, submit=True, recommendation="fund")
    _db.session.commit()
    assert review.status == ReviewStatus.SUBMITTED


@pytest.mark.parametrize("submit", [False, True])
def test_after_release_a_draft_is_neither_saved_nor_submitted(assignment, submit):
    relevance, feasibility = assignment.call.criteria
    save(assignment, {relevance.id: "3"}, applicant="Draft before the release.")
    _db.session.commit()
    release(assignment)
    with pytest.raises(finality.ReviewFinal) as refused:
        save(assignment, {relevance.id: "5", feasibility.id: "10"}, submit=submit, recommendation="fund",
             applicant="After the release.")
    _db.session.rollback()
    assert refused.value.status == 409 and str(refused.value) == FINAL
    review = _db.session.scalar(select(Review))
    assert stored_scores(assignment) == {relevance.id: 3}
    assert review.status == ReviewStatus.DRAFT and review.comment_to_applicant == "Draft before the release."


def test_after_release_no_review_is_started(assignment):
    release(assignment)
    with pytest.raises(finality.ReviewFinal):
        save(assignment, {assignment.call.criteria[0].id: "2"})
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(Review)) == 0


def test_after_release_a_submitted_review_keeps_the_score_the_decision_rested_on(assignment):
    relevance, feasibility = assignment.call.criteria
    submitted_review(assignment)
    before = score_summary(assignment.application_id).mean_score
    release(assignment)
    with pytest.raises(finality.ReviewFinal):
        save(assignment, {relevance.id: "0", feasibility.id: "0"}, submit=True, recommendation="do_not_fund")
    _db.session.rollback()
    assert stored_scores(assignment) == {relevance.id: 4, feasibility.id: 8}
    assert score_summary(assignment.application_id).mean_score == before


def test_after_release_a_conflict_cannot_take_a_submitted_review_out_of_the_scores(assignment):
    submitted_review(assignment)
    release(assignment)
    reviewer = _db.session.get(User, assignment.reviewer_id)
    with pytest.raises(finality.ReviewFinal):
        conflicts.declare_conflict(reviewer, assignment.id, True, "Found out later.")
    _db.session.rollback()
    assert counted_reviews(assignment.application_id) == 1
    assert conflicts.declaration_for(reviewer.id, assignment.application_id).has_conflict is False


def test_after_release_a_conflict_cannot_delete_a_draft(assignment):
    save(assignment, {assignment.call.criteria[0].id: "3"})
    _db.session.commit()
    release(assignment)
    with pytest.raises(finality.ReviewFinal):
        conflicts.declare_conflict(_db.session.get(User, assignment.reviewer_id), assignment.id, True, "Later.")
    _db.session.rollback()
    assert _db.session.scalar(select(func.count()).select_from(Review)) == 1
    assert _db.session.scalar(select(func.count()).select_from(Assignment)) == 1


def test_another_reviewer_still_gets_not_found_rather_than_final(assignment):
    release(assignment)
    stranger = AssignmentFactory().reviewer
    from cade.core.errors import NotFound

    with pytest.raises(NotFound):
        scoring.save_review(stranger, assignment.id, review_input(assignment.call.criteria, {}))


# --- at the same moment ----------------------------------------------------------------

def change_while_releasing(app, assignment, change) -> object:
    """Release the call on one connection and hold its transaction open; run `change` on another meanwhile.

    The change starts once the release has done its work but not committed: a check made before taking
    the lock the release holds (or without it) would read "not released" and let the change through.
    Returns the change's outcome: "done" or the DomainError it raised.
    """
    admin_id, call_id = UserFactory(roles=["admin"]).id, assignment.call_id
    released, outcome = threading.Event(), {}

    def releasing():
        with app.app_context():
            try:
                release_decisions(_db.session.get(User, admin_id), call_id)
                released.set()
                time.sleep(0.6)  # the change reaches the lock meanwhile and waits
                _db.session.commit()
            finally:
                released.set()
                _db.session.remove()

    def changing():
        released.wait(10)
        with app.app_context():
            try:
                change()
                _db.session.commit()
                outcome["change"] = "done"
            except DomainError as error:
                _db.session.rollback()
                outcome["change"] = error
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=releasing), threading.Thread(target=changing)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    _db.session.expire_all()
    return outcome.get("change")


def test_a_save_racing_the_release_is_refused(app, assignment):
    relevance, feasibility = assignment.call.criteria
    submitted_review(assignment)
    reviewer_id, assignment_id = assignment.reviewer_id, assignment.id
    command = review_input(assignment.call.criteria, {relevance.id: "0", feasibility.id: "0"}, submit=True,
                           recommendation="do_not_fund")

    def resubmit():
        scoring.save_review(_db.session.get(User, reviewer_id), assignment_id, command)

    outcome = change_while_releasing(app, assignment, resubmit)
    assert isinstance(outcome, finality.ReviewFinal), outcome
    assert stored_scores(assignment) == {relevance.id: 4, feasibility.id: 8}


def test_a_conflict_racing_the_release_is_refused(app, assignment):
    submitted_review(assignment)
    reviewer_id, assignment_id = assignment.reviewer_id, assignment.id

    def declare():
        conflicts.declare_conflict(_db.session.get(User, reviewer_id), assignment_id, True, "Found out later.")

    outcome = change_while_releasing(app, assignment, declare)
    assert isinstance(outcome, finality.ReviewFinal), outcome
    assert counted_reviews(assignment.application_id) == 1


# --- the reviewer's pages ----------------------------------------------------------------

def url(assignment):
    return f"/review/assignments/{assignment.id}"


def form_data(assignment, action="submit", **overrides):
    relevance, feasibility = assignment.call.criteria
    data = {f"score_{relevance.id}": "1", f"score_{feasibility.id}": "2", "recommendation": "do_not_fund",
            "comment_to_applicant": "Typed <after> the release.", "confidential_comment": "Late note.",
            "action": action}
    data.update(overrides)
    return data


def test_a_released_review_reads_as_final_without_buttons(client, login, assignment):
    submitted_review(assignment)
    release(assignment)
    login(assignment.reviewer)
    response = client.get(url(assignment))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and FINAL in html
    review_part = html.split('id="review"')[1]
    assert 'name="action"' not in review_part and "<form" not in review_part
    assert "Sent with the decision." in html and "4 of 5" in html and "8 of 10" in html
    assert "I have a conflict of interest after all" not in html
    assert "Your weighted total: <strong data-review-total-value>80.0</strong> / 100" in html
    assert "/static/review-total." not in html and "aria-live" not in review_part


@pytest.mark.parametrize("action", ["save", "submit"])
def test_a_post_after_release_is_refused_clearly_and_keeps_what_was_typed(client, login, assignment, action):
    submitted_review(assignment)
    release(assignment)
    login(assignment.reviewer)
    response = client.post(url(assignment), data=form_data(assignment, action))
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and FINAL in html and 'class="error-summary"' in html
    assert "What you typed was not saved" in html
    assert "readonly>Typed &lt;after&gt; the release.</textarea>" in html and "readonly>Late note.</textarea>" in html
    assert "Sent with the decision." in html  # the stored review, read-only, beside it
    assert 'name="action"' not in html.split('id="review"')[1]
    assert stored_scores(assignment) == {c.id: s for c, s in zip(assignment.call.criteria, (4, 8), strict=True)}


def test_a_conflict_posted_after_release_is_refused_clearly(client, login, assignment):
    submitted_review(assignment)
    release(assignment)
    login(assignment.reviewer)
    response = client.post(url(assignment), data={"action": "declare", "has_conflict": "yes",
                                                  "reason": "Found out later."})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and FINAL in html
    assert counted_reviews(assignment.application_id) == 1


def test_the_dashboard_marks_a_released_review_final(client, login, assignment):
    submitted_review(assignment)
    other = AssignmentFactory(reviewer=assignment.reviewer, application__title="Still open")
    ConflictDeclarationFactory(assignment=other)
    login(assignment.reviewer)
    assert "Final" not in client.get("/review/").get_data(as_text=True)
    release(assignment)
    html = client.get("/review/").get_data(as_text=True)
    assert html.count("status-final") == 1
    row = html.split("Solar mesh for Kijiji")[1].split("</tr>")[0]
    assert "Final" in row and "Still open" not in row

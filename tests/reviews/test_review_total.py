"""The reviewer's own weighted total (issue 8, item 4): the ranking's figure for their scores, on the review page.

The figure comes from the one formula the ranking uses (aggregation.weighted_score); the page's script
repeats the same arithmetic, and tests/e2e/test_review_total.py checks that the two agree.
"""

import re

import pytest
from sqlalchemy import select

from cade.extensions import db as _db
from cade.reviews.models import Review
from cade.reviews.services import scoring
from cade.reviews.services.aggregation import score_summary
from tests.factories import AssignmentFactory, ConflictDeclarationFactory, ReviewFactory, RubricCriterionFactory

# (max score, weight) per criterion, the scores given, and the total as the page writes it (one decimal,
# half to even as Babel rounds the stored float: 62.25 → 62.2, 12.45 → 12.4).
CASES = [
    ([(5, 1), (10, 2)], [4, 8], "80.0"),
    ([(5, 0), (10, 3)], [1, 7], "70.0"),  # weight 0 does not count
    ([(400, 1)], [249], "62.2"),
    ([(2000, 1)], [249], "12.4"),
    ([(3, 1)], [2], "66.7"),
    ([(10, 1), (10, 1)], [0, 0], "0.0"),
    ([(10, 4), (5, 1)], [10, 5], "100.0"),
]


def make_assignment(rubric):
    assignment = AssignmentFactory(application__title="Solar mesh for Kijiji")
    for position, (max_score, weight) in enumerate(rubric):
        RubricCriterionFactory(call=assignment.call, label=f"Criterion {position}", max_score=max_score,
                               weight=weight, position=position)
    ConflictDeclarationFactory(assignment=assignment)
    return assignment


def review_with(assignment, scores, **kwargs) -> Review:
    return ReviewFactory(assignment=assignment, scores=dict(zip(assignment.call.criteria, scores, strict=False)),
                         **kwargs)


# --- the service -------------------------------------------------------------------

@pytest.mark.parametrize(("rubric", "scores", "shown"), CASES)
def test_the_total_is_the_score_the_ranking_counts(db, rubric, scores, shown):
    assignment = make_assignment(rubric)
    review = review_with(assignment, scores, submitted=True)
    ranked = score_summary(assignment.application_id).reviews
    assert [r.review_id for r in ranked] == [review.id]
    assert scoring.review_total(review.id) == ranked[0].score  # the same figure, not merely a close one


def test_a_draft_has_the_total_it_will_count_with_once_submitted(db):
    assignment = make_assignment([(5, 1), (10, 2)])
    review = review_with(assignment, [4, 8])
    assert review.status == "draft" and scoring.review_total(review.id) == 80.0


def test_no_total_while_a_criterion_is_not_scored(db):
    assignment = make_assignment([(5, 1), (10, 2), (3, 0)])
    review = review_with(assignment, [4, 8])  # the weight-0 one is missing: submitting needs it too
    assert scoring.review_total(review.id) is None
    assert scoring.review_total(None) is None


def test_no_total_when_no_criterion_carries_weight(db):
    assignment = make_assignment([(5, 0), (10, 0)])
    review = review_with(assignment, [4, 8], submitted=True)
    assert scoring.review_total(review.id) is None
    assert score_summary(assignment.application_id).review_count == 0  # the ranking does not count it either


# --- the page ------------------------------------------------------------------------

def url(assignment):
    return f"/review/assignments/{assignment.id}"


def shown_total(html: str) -> str:
    match = re.search(r"Your weighted total: <strong[^>]*data-review-total-value[^>]*>([^<]*)</strong> / 100", html)
    assert match, "the total is on the page"
    return match.group(1)


def post_scores(client, assignment, scores, action="save"):
    data = {f"score_{c.id}": str(s) for c, s in zip(assignment.call.criteria, scores, strict=True)}
    data.update(action=action, recommendation="", comment_to_applicant="Typed.", confidential_comment="")
    return client.post(url(assignment), data=data)


@pytest.mark.parametrize(("rubric", "scores", "shown"), CASES)
def test_saving_a_draft_shows_its_total_without_javascript(client, login, rubric, scores, shown):
    assignment = make_assignment(rubric)
    login(assignment.reviewer)
    response = post_scores(client, assignment, scores)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{url(assignment)}#review-total")
    html = client.get(url(assignment)).get_data(as_text=True)
    assert "Your draft review was saved" in html
    assert shown_total(html) == shown


def test_an_incomplete_draft_shows_a_dash_and_what_is_missing(client, login):
    assignment = make_assignment([(5, 1), (10, 2)])
    login(assignment.reviewer)
    html = client.get(url(assignment)).get_data(as_text=True)
    assert shown_total(html) == "—"
    assert "Score every criterion to see your total." in html
    relevance, feasibility = assignment.call.criteria
    client.post(url(assignment), data={f"score_{relevance.id}": "4", f"score_{feasibility.id}": "",
                                       "action": "save"})
    html = client.get(url(assignment)).get_data(as_text=True)
    assert shown_total(html) == "—" and "Score every criterion to see your total." in html
    post_scores(client, assignment, [4, 8])
    html = client.get(url(assignment)).get_data(as_text=True)
    assert shown_total(html) == "80.0"
    assert re.search(r"data-review-total-hint[^>]*>This is how the ranking counts your scores.</span>", html)


def test_the_total_is_announced_politely_and_carries_what_the_script_needs(client, login):
    assignment = make_assignment([(5, 1), (10, 2)])
    relevance, feasibility = assignment.call.criteria
    login(assignment.reviewer)
    html = client.get(url(assignment)).get_data(as_text=True)
    assert html.count('aria-live="polite"') == 1 and 'id="review-total"' in html
    for criterion, weight, max_score in ((relevance, 1, 5), (feasibility, 2, 10)):
        tag = re.search(rf'<input[^>]*name="score_{criterion.id}"[^>]*>', html).group(0)
        assert f'data-weight="{weight}"' in tag and f'data-max="{max_score}"' in tag
    assert re.search(r'src="/static/review-total\.[0-9a-f]{12}\.js"', html)
    assert "/static/review-total." not in client.get("/review/").get_data(as_text=True)


def test_a_submitted_review_shows_its_total_and_the_number_is_written_in_the_readers_language(client, login):
    assignment = make_assignment([(400, 1)])
    review_with(assignment, [249], submitted=True)
    assignment.reviewer.locale = "fr"
    _db.session.commit()
    login(assignment.reviewer)
    html = client.get(url(assignment)).get_data(as_text=True)
    assert re.search(r"data-review-total-value[^>]*>62,2</strong>", html)


def test_after_a_refused_save_the_total_is_still_the_saved_ones(client, login):
    assignment = make_assignment([(5, 1), (10, 2)])
    login(assignment.reviewer)
    post_scores(client, assignment, [4, 8])
    response = post_scores(client, assignment, [9, 8])  # 9 is out of range: nothing is saved
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and shown_total(html) == "80.0" and 'value="9"' in html
    assert _db.session.scalar(select(Review)).status == "draft"

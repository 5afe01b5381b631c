"""The reviewer's weighted total in a real browser (issue 8, item 4).

With JavaScript it follows the scores as they are typed, and agrees with the Python function the ranking
uses (scoring.review_total over aggregation.weighted_score), halves included; without JavaScript it is the
total of the saved scores, shown again after saving.
"""

import pytest
from babel.numbers import format_decimal
from sqlalchemy import select

from cade.extensions import db as _db
from cade.reviews.models import Review
from cade.reviews.services import scoring
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import AssignmentFactory, ConflictDeclarationFactory, ReviewFactory, RubricCriterionFactory

# (max score, weight): 100 × (a + 0·b + 3c) / 6400, so that many totals land on a half of a tenth.
RUBRIC = [(400, 1), (10, 0), (2000, 3)]
# Typed scores: 1.25 and 0.25 are halves (half to even: 1.2, 0.2, where a plain toFixed says 1.3, 0.3);
# 0.75 goes up either way; the others are ordinary, none and full marks.
CASES = [(80, 3, 0), (16, 0, 0), (48, 10, 0), (1, 0, 0), (400, 0, 1999), (250, 7, 1000), (0, 0, 0), (400, 10, 2000)]
MISSING = "Score every criterion to see your total."
COMPLETE = "This is how the ranking counts your scores."


@pytest.fixture()
def assignment(db):
    assignment = AssignmentFactory(application__title="Solar mesh for Kijiji")
    for position, (max_score, weight) in enumerate(RUBRIC):
        RubricCriterionFactory(call=assignment.call, label=f"Criterion {position + 1}", max_score=max_score,
                               weight=weight, position=position)
    ConflictDeclarationFactory(assignment=assignment)
    return assignment


def python_total(call, scores, language="en") -> str:
    """What the server writes for these scores: the ranking's function on a review that holds them."""
    other = AssignmentFactory(application__call=call)
    review = ReviewFactory(assignment=other, scores=dict(zip(call.criteria, scores, strict=True)))
    total = scoring.review_total(review.id)
    return "—" if total is None else format_decimal(total, "0.0", locale=language)


def fill(page, assignment, scores) -> None:
    for criterion, score in zip(assignment.call.criteria, scores, strict=True):
        page.locator(f"[name=score_{criterion.id}]").fill("" if score is None else str(score))


def test_the_total_follows_the_typed_scores_and_agrees_with_the_ranking(page, assignment):
    from playwright.sync_api import expect

    expected = {scores: python_total(assignment.call, scores) for scores in CASES}
    assert expected[(80, 3, 0)] == "1.2" and expected[(16, 0, 0)] == "0.2"  # the halves this test is about
    sign_in(page, assignment.reviewer)
    page.goto(f"/review/assignments/{assignment.id}")
    total = page.locator("#review-total [data-review-total-value]")
    hint = page.locator("#review-total [data-review-total-hint]")
    expect(total).to_have_text("—")
    expect(hint).to_have_text(MISSING)
    expect(page.locator("#review-total [data-review-total-saved]")).to_have_text(
        "It follows your scores as you type; save to keep them.")
    assert page.locator("#review-total [aria-live=polite]").count() == 1

    fill(page, assignment, (80, None, 0))
    page.locator("[name=recommendation]").first.focus()  # leaving the field settles the figure at once
    expect(total).to_have_text("—")  # one criterion left, even though it weighs nothing
    for scores in CASES:
        fill(page, assignment, scores)
        expect(total).to_have_text(expected[scores])
        expect(hint).to_have_text(COMPLETE)
    fill(page, assignment, (80, 3, 2001))  # above the maximum: not a score
    expect(total).to_have_text("—")
    expect(hint).to_have_text(MISSING)

    fill(page, assignment, (250, 7, 1000))
    expect(total).to_have_text(expected[(250, 7, 1000)])
    audit = Audit(page)
    audit.check("review form with the total")
    audit.assert_clean()


def test_the_total_is_written_in_the_readers_language(page, assignment):
    from playwright.sync_api import expect

    expected = python_total(assignment.call, (80, 3, 0), "fr")
    assert expected == "1,2"
    sign_in(page, assignment.reviewer, language="fr")
    page.goto(f"/review/assignments/{assignment.id}")
    fill(page, assignment, (80, 3, 0))
    expect(page.locator("#review-total [data-review-total-value]")).to_have_text(expected)


def test_without_javascript_saving_the_draft_shows_its_total(browser, live_server, assignment):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, assignment.reviewer)
        page.goto(f"/review/assignments/{assignment.id}")
        total = page.locator("#review-total [data-review-total-value]")
        assert total.inner_text() == "—"
        assert page.locator("#review-total [data-review-total-saved]").inner_text().startswith(
            "Counted from your saved scores")
        fill(page, assignment, (80, 3, 0))
        send(page, page.get_by_role("button", name="Save and come back later"))
        assert page.url.endswith(f"/review/assignments/{assignment.id}#review-total")
        assert "Your draft review was saved" in page.locator("main").inner_text()
        _db.session.expire_all()
        review = _db.session.scalar(select(Review).where(Review.assignment_id == assignment.id))
        assert total.inner_text() == format_decimal(scoring.review_total(review.id), "0.0", locale="en") == "1.2"
        assert page.locator("#review-total [data-review-total-hint]").inner_text() == COMPLETE
    finally:
        context.close()

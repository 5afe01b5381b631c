"""WCAG 2.2 AA on the review and decision pages in the states the journey does not pass
through: errors on every form, the reviewer's profile, the pool's edit page, French."""

from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import (
    AssignmentFactory,
    CallFactory,
    ConflictDeclarationFactory,
    ReviewerProfileFactory,
    RubricCriterionFactory,
    UserFactory,
)


def _world():
    call = CallFactory(closed=True, title="Connecting rural communities 2026", blind_review=True)
    criteria = [RubricCriterionFactory(call=call, label=f"Criterion {n}", weight=n, max_score=5) for n in (1, 2)]
    reviewer = ReviewerProfileFactory(user__name="Rita Reviewer").user
    assignment = AssignmentFactory(application__call=call, reviewer=reviewer)
    ConflictDeclarationFactory(assignment=assignment)
    fresh = AssignmentFactory(application__call=call, reviewer=reviewer)
    return call, criteria, reviewer, assignment, fresh


def test_review_pages_with_errors_meet_wcag_2_2_aa(page):
    call, criteria, reviewer, assignment, fresh = _world()
    audit = Audit(page)

    sign_in(page, reviewer)
    audit.visit(f"/review/assignments/{fresh.id}", "declaration")
    send(page, page.get_by_role("button", name="Send my answer"))
    audit.check("declaration without an answer")
    audit.visit(f"/review/assignments/{assignment.id}", "blind review form")
    page.locator(f"[name=score_{criteria[0].id}]").fill("9")
    send(page, page.get_by_role("button", name="Submit review"))
    audit.check("review form with errors")
    assert page.locator(f"[name=score_{criteria[0].id}]").input_value() == "9", "what was typed is kept"
    audit.visit("/review/profile", "reviewer profile")

    admin = UserFactory(roles=["admin"])
    sign_in(page, admin)
    audit.visit("/admin/reviewers", "reviewer pool")
    page.locator("main input[name=email]").fill("not an address")
    send(page, page.locator("main form button[type=submit]").first)
    audit.check("reviewer pool with an error")
    audit.visit(f"/admin/reviewers/{reviewer.id}", "reviewer profile (admin)")
    audit.visit(f"/admin/applications/{assignment.application_id}/decision", "decision form")
    page.locator("input[name=outcome][value=award]").check()
    page.locator("[name=amount]").fill("999999999")
    send(page, page.locator("main form button[type=submit]").last)
    audit.check("decision form with errors")
    audit.assert_clean()


def test_ranking_in_french_meets_wcag_2_2_aa(page, db):
    call, _criteria, _reviewer, _assignment, _fresh = _world()
    admin = UserFactory(roles=["admin"], locale="fr")
    audit = Audit(page)
    sign_in(page, admin, language="fr")
    audit.visit(f"/admin/calls/{call.id}/ranking", "ranking in French")
    audit.visit(f"/admin/calls/{call.id}/review", "call review in French")
    audit.assert_clean()

"""A two-stage call in a real browser (JavaScript on, axe on each page of the journey): the admin shortlists a
concept note and releases it; the organisation finds its full proposal started from the concept note, is refused
an amount outside the margin (named beside the field, what was typed kept) and submits; the full proposal's
reviewer declares no conflict and reads the concept note beside it."""

from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.extensions import db as _db
from cade.reviews.services.assignment import assign_reviewer
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import ReviewerProfileFactory
from tests.stages.conftest import TwoStages


def _main(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def test_a_concept_note_shortlisted_becomes_a_full_proposal_reviewed_beside_it(page, admin):
    stages = TwoStages(admin)
    note, owner = stages.concept_note("Kijiji Mesh")
    audit = Audit(page)

    # The admin links nothing new (the stages page says what is), shortlists the concept note and releases it.
    sign_in(page, admin)
    audit.visit(f"/admin/calls/{stages.full.id}/stages", "stages page")
    audit.visit(f"/admin/applications/{note.id}/decision", "concept note decision")
    page.get_by_label("Shortlist").check()
    page.get_by_label("Feedback for the applicant").fill("Bring quotes for the radios.")
    page.get_by_label("Rationale for the record").fill("Strong community ownership.")
    send(page, page.get_by_role("button", name="Save the decision"))
    audit.visit(f"/admin/calls/{stages.concept.id}/release", "release of the shortlist")
    assert "Shortlist 1 Reject 0" in _main(page)
    send(page, page.get_by_role("button", name="Release 1 decision"))
    _db.session.expire_all()
    full = _db.session.scalar(select(Application).where(Application.call_id == stages.full.id))
    assert full is not None and full.concept_application_id == note.id

    # The owner opens the full proposal from the concept note, asks too much, is told why, then submits.
    sign_in(page, owner)
    audit.visit(f"/applications/{note.id}", "shortlisted concept note")
    with page.expect_navigation():
        page.get_by_role("link", name="Open your full proposal").click()
    assert "This draft was started from the concept note" in _main(page)
    assert page.locator("[name=title]").input_value() == "Concept: Kijiji Mesh"
    audit.check("full proposal draft")
    question = next(q for q in stages.full.questions if q.label == "How will the network pay for itself?")
    page.locator(f"[name=q_{question.id}]").fill("Monthly fees collected by the village committee.")
    page.locator("[name=requested_amount]").fill("25000")
    page.locator("[name='budget_lines-0-amount']").fill("25000")
    send(page, page.get_by_role("button", name="Submit application"))
    error = page.locator("#requested_amount-error").inner_text()
    assert "You request $25,000.00, but your concept note requested $20,000.00" in error, error
    assert "from $18,000.00 to $22,000.00" in error
    assert page.locator("[name=requested_amount]").input_value() in ("25000", "25000.00", "25,000.00")
    audit.check("full proposal refused outside the margin")
    page.locator("[name=requested_amount]").fill("21000")
    page.locator("[name='budget_lines-0-amount']").fill("21000")
    send(page, page.get_by_role("button", name="Submit application"))
    _db.session.expire_all()
    full = _db.session.get(Application, full.id)
    assert full.status == ApplicationStatus.SUBMITTED, _main(page)

    # A reviewer of the full proposal declares no conflict and reads the concept note beside it.
    reviewer = ReviewerProfileFactory(user__name="Rita Reviewer").user
    assignment = assign_reviewer(admin, full.id, reviewer.id)
    _db.session.commit()
    sign_in(page, reviewer)
    page.goto(f"/review/assignments/{assignment.id}")
    page.get_by_label("I have no conflict of interest with this application").check()
    send(page, page.get_by_role("button", name="Send my answer"))
    concept = " ".join(page.locator("#concept-note").inner_text().split())
    assert "The concept note (first stage, read-only)" in concept
    assert "Mesh network of Kijiji Mesh." in concept and "$20,000.00" in concept
    audit.check("review page with the concept note")
    audit.assert_clean()

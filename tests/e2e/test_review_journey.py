"""Issue 3's "Done when", in a real browser on the demo data: a reviewer declares, scores
and submits; an admin auto-assigns a call, ranks it, decides within the envelope and
releases; each applicant gets exactly one decision message. axe checks every page on the way.
"""

import re

from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.awards.models import Decision
from cade.awards.services.release import unreleased_decision_count
from cade.demo.data import DEMO_PASSWORD
from cade.notifications.models import Notification
from cade.organisations.models import Membership, Organisation
from cade.programmes.models import Call
from cade.reviews.models import Assignment, Review
from tests.e2e.test_accessibility import Audit, send, sign_in


def _sign_in(page, db, email: str) -> None:
    # Demo accounts speak French, Spanish…: the journey reads in English.
    sign_in(page, db.session.scalar(select(User).where(User.email == email)), password=DEMO_PASSWORD, language="en")


def _application(db, prefix: str, organisation_name_part: str) -> Application:
    return db.session.scalar(
        select(Application).join(Call).join(Organisation)
        .where(Call.reference_prefix == prefix, Organisation.name.contains(organisation_name_part)))


def test_review_and_decision_journey_on_the_demo(app, db, page):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    call = db.session.scalar(select(Call).where(Call.reference_prefix == "CADE-2025"))
    under_review = db.session.scalars(select(Application).where(
        Application.call_id == call.id, Application.status == ApplicationStatus.UNDER_REVIEW)).all()
    assert len(under_review) == 3
    reviewer1_assignment = db.session.scalar(
        select(Assignment).join(Assignment.reviewer).where(
            Assignment.call_id == call.id, Assignment.reviewer.has(email="reviewer1@cade.example"),
            ~Assignment.review.has()))
    audit = Audit(page)

    # 1. The reviewer declares no conflict, scores every criterion and submits.
    _sign_in(page, db, "reviewer1@cade.example")
    audit.visit("/review/", "reviewer dashboard")
    audit.visit(f"/review/assignments/{reviewer1_assignment.id}", "conflict declaration")
    page.get_by_label("I have no conflict of interest with this application").check()
    send(page, page.get_by_role("button", name="Send my answer"))
    audit.check("review form")
    for index, criterion in enumerate(call.criteria):
        page.locator(f"[name=score_{criterion.id}]").fill(str(5 - index % 3))
    page.get_by_label("Fund with changes").check()
    page.get_by_label("Comment for the applicant").fill("Please add quarterly milestones.")
    send(page, page.get_by_role("button", name="Submit review"))
    audit.check("review submitted")
    db.session.expire_all()
    review = db.session.scalar(select(Review).where(Review.assignment_id == reviewer1_assignment.id))
    assert review.status == "submitted" and len(review.scores) == len(call.criteria)

    # 2. The admin assigns the call automatically: every application reaches two reviewers.
    _sign_in(page, db, "admin@cade.example")
    audit.visit(f"/admin/calls/{call.id}/review", "call review")
    send(page, page.get_by_role("button", name="Assign automatically"))
    audit.check("assignment result")
    db.session.expire_all()
    counts = dict(db.session.execute(
        select(Assignment.application_id, func.count()).where(Assignment.call_id == call.id)
        .group_by(Assignment.application_id)).all())
    assert all(counts.get(application.id, 0) >= call.reviews_required for application in under_review)
    audit.visit("/admin/reviewers", "reviewer pool")

    # 3. Rank, then decide each application under review inside the envelope.
    audit.visit(f"/admin/calls/{call.id}/ranking", "ranking")
    decisions = [("Georgia", "award", "25000"), ("Moldova", "waitlist", None), ("Bangladesh", "reject", None)]
    for index, (_country, outcome, amount) in enumerate(decisions):
        application = sorted(under_review, key=lambda a: a.reference)[index]
        audit.visit(f"/admin/applications/{application.id}/decision", f"decision {index + 1}")
        page.locator(f"input[name=outcome][value={outcome}]").check()
        if amount:
            page.locator("[name=amount]").fill(amount)
        page.locator("[name=feedback]").fill("Thank you for a careful proposal.")
        page.locator("[name=rationale]").fill("Ranked by the panel's mean score.")
        override = page.locator("[name=override_reason]")
        if override.count():
            override.fill("The second review is late; the panel agreed to decide now.")
        send(page, page.locator("main form button[type=submit]").last)
        assert re.search(r"/admin/(calls/\d+/ranking|applications/\d+/decision)", page.url)
        db.session.expire_all()
        assert db.session.scalar(select(Decision).where(Decision.application_id == application.id)), \
            page.locator("main").inner_text()[:2000]
    awarded = db.session.scalar(select(func.sum(Decision.amount_minor)).where(
        Decision.call_id == call.id, Decision.outcome == "award"))
    assert awarded <= call.budget_envelope_minor
    # Decided but not released: the applicant still sees "under review".
    assert all(a.status == ApplicationStatus.UNDER_REVIEW for a in under_review)

    # 4. Release, twice: the ranking is open in a second tab before the first press, and both tabs press.
    # Each applicant member gets exactly one message.
    audit.visit(f"/admin/calls/{call.id}/ranking", "ranking with decisions")
    unreleased = unreleased_decision_count(call.id)
    assert unreleased >= len(under_review)
    # The button first says what will go out; both tabs reach that confirmation before either confirms.
    second_tab = page.context.new_page()
    second_tab.goto(f"/admin/calls/{call.id}/ranking")
    send(second_tab, second_tab.get_by_role("button", name="Release decisions now"))
    send(page, page.get_by_role("button", name="Release decisions now"))
    audit.check("release confirmation")
    assert f"{unreleased} decisions will be released" in page.locator("main").inner_text()
    send(page, page.get_by_role("button", name=f"Release {unreleased} decisions"))
    audit.check("released")
    assert f"{unreleased} decisions released" in page.locator(".flashes").inner_text()
    send(second_tab, second_tab.get_by_role("button", name=f"Release {unreleased} decisions"))
    assert "There was nothing new to release." in second_tab.locator(".flashes").inner_text()
    second_tab.close()
    db.session.expire_all()
    members = db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organisation_id.in_([a.organisation_id for a in under_review])))
    messages = db.session.execute(select(Notification.context["application_id"].as_integer(),
                                         Notification.recipient_id).where(
        Notification.kind == "awards.decision_released",
        Notification.context["application_id"].as_integer().in_([a.id for a in under_review]))).all()
    recipients = [recipient_id for _application_id, recipient_id in messages]
    assert len(recipients) == members and len(set(recipients)) == members
    expected = db.session.execute(select(Application.id, Membership.user_id).join(
        Membership, Membership.organisation_id == Application.organisation_id).where(
        Application.id.in_([a.id for a in under_review]))).all()
    assert sorted(map(tuple, messages)) == sorted(map(tuple, expected)), "one message to each member, for their own"

    # 5. The applicant sees the outcome and the feedback.
    awarded_application = sorted(under_review, key=lambda a: a.reference)[0]
    owner = db.session.scalar(select(Membership).where(
        Membership.organisation_id == awarded_application.organisation_id, Membership.role == "owner")).user
    _sign_in(page, db, owner.email)
    audit.visit(f"/applications/{awarded_application.id}/decision", "applicant's outcome")
    assert "Thank you for a careful proposal." in page.locator("main").inner_text()
    audit.assert_clean()

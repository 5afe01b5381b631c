"""After the award, in a real browser, with JavaScript on and off: the offer read and accepted, the agreement
downloaded, a plain member told who may answer, a declined offer bringing the waiting list forward, the first
tranche paid while a locked one says what unlocks it; and axe on the offer and grant pages."""

import re
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.awards.constants import DecisionStatus
from cade.awards.models import Decision
from cade.awards.services import offers
from cade.awards.services.release import release_decisions
from cade.core.db import utcnow
from cade.extensions import db as _db
from cade.grants.constants import TrancheStatus
from cade.grants.services import grant_for_decision
from cade.grants.tranches import set_schedule, tranches_of
from tests.diligence.payee_helpers import ready_to_pay
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import CallFactory, DecisionFactory, MembershipFactory, UserFactory, reviewed_application

ORGANISATION = "Kisumu Mesh Collective"
SCHEDULE = [{"share": "40", "condition": "on_signature", "days": "0"},
            {"share": "40", "condition": "interim_report_approved", "days": "180"},
            {"share": "20", "condition": "final_report_approved", "days": "365"}]


def _offer(admin, *, waitlisted: bool = False) -> Decision:
    """A released award of USD 20,000.00 to ORGANISATION (owner Olga Owner, one plain member) in a call paying
    40/40/20; with `waitlisted`, a second application of the call released on the waiting list."""
    call = CallFactory(closed=True, title="Mesh networks 2026", budget_envelope_minor=30_000_00)
    set_schedule(admin, call.id, SCHEDULE)
    application = reviewed_application(call, reviews=0, members=1, title="Solar mesh for the lake shore",
                                       organisation__name=ORGANISATION)
    MembershipFactory(organisation=application.organisation, role="owner", user__name="Olga Owner")
    DecisionFactory(application=application, amount_minor=20_000_00)
    if waitlisted:
        other = reviewed_application(call, reviews=0, title="Library hotspots in Homa Bay",
                                     requested_amount_minor=15_000_00)
        DecisionFactory(application=other, outcome="waitlist", amount_minor=None)
    release_decisions(admin, call.id)
    _db.session.commit()
    return _db.session.scalar(select(Decision).where(Decision.application_id == application.id))


def _member(decision, role: str):
    return next(m.user for m in decision.application.organisation.memberships if m.role == role)


def _accepted_grant(admin):
    decision = _offer(admin)
    owner = _member(decision, "owner")
    offers.accept_offer(owner, decision.id, offers.AcceptOfferInput.from_input(
        {"signatory_name": "Olga Owner", "signatory_position": "Director", "confirmation": ORGANISATION}))
    _db.session.commit()
    return decision, grant_for_decision(decision.id), owner


def _main(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def test_an_owner_reads_the_offer_accepts_it_and_downloads_the_agreement(browse, admin):
    page = browse
    decision = _offer(admin)
    sign_in(page, _member(decision, "owner"))

    page.goto("/applications/")
    with page.expect_navigation():
        page.get_by_role("link", name="Solar mesh for the lake shore", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Read the decision and feedback").click()
    main = _main(page)
    assert "The grant offer" in main
    assert "US$20,000.00 (USD)" in main or "$20,000.00 (USD)" in main, main
    assert "Answer by" in main
    assert page.get_by_role("heading", name="Conditions", exact=True).count() == 1

    page.get_by_label("Name of the signatory").fill("Olga Owner")
    page.get_by_label("Position of the signatory").fill("Director")
    page.get_by_label("Confirmation").fill("kisumu mesh collective")
    send(page, page.get_by_role("button", name="Accept the offer", exact=True))
    assert "Thank you: the offer is accepted." in page.locator(".flashes").inner_text()
    assert re.search(r"Accepted on .* by Olga Owner\. Signed by Olga Owner, Director\.", _main(page))

    with page.expect_navigation():
        page.get_by_role("link", name="Your grant and its agreement").click()
    assert page.get_by_role("heading", name="My grants", exact=True).count() == 1
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Download the agreement")).click()
    body = open(download.value.path(), "rb").read()
    assert body.startswith(b"%PDF-")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(body)).pages).split())
    assert ORGANISATION in text and "Olga Owner" in text

    _db.session.expire_all()
    grant = grant_for_decision(decision.id)
    assert _db.session.get(Decision, decision.id).status == DecisionStatus.ACCEPTED
    assert [t.status for t in tranches_of(grant)] == [TrancheStatus.PAYABLE, TrancheStatus.DUE, TrancheStatus.DUE]


def test_the_offer_shows_its_tranche_schedule_and_reporting_dates(page, db, admin):
    decision = _offer(admin)
    sign_in(page, _member(decision, "owner"))
    page.goto(f"/applications/{decision.application_id}/decision")
    offer = " ".join(page.locator("#offer").inner_text().split())
    assert "On signature of the agreement" in offer and "When the interim report is approved" in offer
    assert "US$8,000.00" in offer or "$8,000.00" in offer  # the 20 % on the final report
    assert "Interim report" in offer and "Final report" in offer


def test_a_mistyped_confirmation_is_refused_beside_the_field_and_keeps_what_was_typed(browse, admin):
    page = browse
    decision = _offer(admin)
    sign_in(page, _member(decision, "owner"))
    page.goto(f"/applications/{decision.application_id}/decision")
    page.get_by_label("Name of the signatory").fill("Olga Owner")
    page.get_by_label("Position of the signatory").fill("Director")
    page.get_by_label("Confirmation").fill("Kisumu Mesh")
    send(page, page.get_by_role("button", name="Accept the offer", exact=True))
    assert f"Type “{ORGANISATION}” to confirm" in page.locator("#confirmation-error, .error").first.inner_text() \
        or f"Type “{ORGANISATION}” to confirm" in _main(page)
    assert page.get_by_label("Name of the signatory").input_value() == "Olga Owner"
    assert page.get_by_label("Position of the signatory").input_value() == "Director"
    assert page.get_by_label("Confirmation").input_value() == "Kisumu Mesh"
    _db.session.expire_all()
    assert _db.session.get(Decision, decision.id).status == DecisionStatus.RELEASED


def test_a_plain_member_sees_they_cannot_answer_and_who_can(browse, admin):
    page = browse
    decision = _offer(admin)
    sign_in(page, _member(decision, "member"))
    page.goto(f"/applications/{decision.application_id}/decision")
    main = _main(page)
    assert "The grant offer" in main
    assert f"Only an owner of {ORGANISATION} can accept or decline this offer." in main
    assert "Ask its owner: Olga Owner." in main, "the page names who can answer"
    assert page.get_by_role("button", name="Accept the offer", exact=True).count() == 0
    assert page.get_by_role("button", name="Decline the offer", exact=True).count() == 0


def test_a_declined_offer_brings_the_waitlisted_application_forward_and_the_admin_awards_it(browse, admin):
    page = browse
    decision = _offer(admin, waitlisted=True)
    sign_in(page, _member(decision, "owner"))
    page.goto(f"/applications/{decision.application_id}/decision")
    send(page, page.get_by_role("button", name="Decline the offer", exact=True))
    assert "Say why the organisation declines the offer." in _main(page), "a reason is required"
    page.get_by_label("Why does the organisation decline the offer?").fill("We found the money elsewhere.")
    send(page, page.get_by_role("button", name="Decline the offer", exact=True))
    assert "The offer is declined." in page.locator(".flashes").inner_text()

    sign_in(page, admin)
    page.goto(f"/admin/calls/{decision.call_id}/ranking")
    proposal = page.locator("#waitlist-proposal").inner_text()
    assert "First on the waiting list" in proposal and "Library hotspots in Homa Bay" in proposal
    with page.expect_navigation():
        page.locator("#waitlist-proposal").get_by_role("link", name="Award it", exact=True).click()
    page.get_by_label("Amount to award").fill("15000")
    page.get_by_label("Feedback for the applicant").fill("Money freed up: we are glad to fund you.")
    send(page, page.get_by_role("button", name="Award it", exact=True))
    assert "Awarded from the waiting list" in page.locator(".flashes").inner_text()

    _db.session.expire_all()
    waitlisted = _db.session.scalar(select(Decision).where(Decision.call_id == decision.call_id,
                                                           Decision.id != decision.id))
    assert (waitlisted.outcome, waitlisted.status, waitlisted.amount_minor) == ("award", "released", 15_000_00)
    assert waitlisted.application.status == ApplicationStatus.AWARDED
    assert waitlisted.offer_deadline_at is not None


def test_an_admin_pays_the_first_tranche_and_a_locked_one_says_what_unlocks_it(browse, admin):
    page = browse
    decision, grant, _owner = _accepted_grant(admin)
    ready_to_pay(grant.organisation, grant.call.programme, screened_on=utcnow().date())
    sign_in(page, admin)
    page.goto("/admin/grants/")
    with page.expect_navigation():
        page.get_by_role("link", name="Solar mesh for the lake shore", exact=True).click()
    rows = page.locator("section:has(#schedule) tbody tr")
    assert rows.count() == 3
    assert "Payable" in rows.nth(0).inner_text() and "On signature of the agreement" in rows.nth(0).inner_text()
    assert "Locked" in rows.nth(1).inner_text() and "When the interim report is approved" in rows.nth(1).inner_text()
    assert rows.nth(1).get_by_role("button", name="Record the payment").count() == 0

    page.get_by_label("Payment reference").fill("BANK-2026-0042")
    send(page, page.get_by_role("button", name="Record the payment", exact=True))
    assert "Payment recorded: tranche 1, reference BANK-2026-0042." in page.locator(".flashes").inner_text()
    assert "The next payment is unlocked when the interim report is approved." in _main(page)
    _db.session.expire_all()
    first = tranches_of(grant)[0]
    assert (first.status, first.payment_reference, first.paid_by_id) == (TrancheStatus.PAID, "BANK-2026-0042",
                                                                         admin.id)


def test_offer_and_grant_pages_meet_wcag_2_2_aa(page, db, admin):
    decision = _offer(admin)
    audit = Audit(page)
    sign_in(page, _member(decision, "owner"))
    audit.visit(f"/applications/{decision.application_id}/decision", "the offer, owner")
    page.get_by_label("Confirmation").fill("Someone else")
    send(page, page.get_by_role("button", name="Accept the offer", exact=True))
    audit.check("the offer, refused confirmation")
    sign_in(page, _member(decision, "member"))
    audit.visit(f"/applications/{decision.application_id}/decision", "the offer, plain member")

    offers.accept_offer(_member(decision, "owner"), decision.id, offers.AcceptOfferInput.from_input(
        {"signatory_name": "Olga Owner", "signatory_position": "Director", "confirmation": ORGANISATION}))
    _db.session.commit()
    grant = grant_for_decision(decision.id)
    sign_in(page, _member(decision, "owner"))
    audit.visit(f"/applications/{decision.application_id}/decision", "the offer, accepted")
    audit.visit("/grants/", "my grants")
    audit.visit(f"/grants/{grant.id}", "the grant, grantee")
    sign_in(page, admin)
    audit.visit("/admin/grants/", "admin grants list")
    audit.visit("/admin/grants/?status=active", "admin grants list, filtered")
    audit.visit(f"/grants/{grant.id}", "the grant, admin")
    audit.assert_clean()


def test_another_organisations_offer_and_grant_do_not_exist_for_a_stranger(page, db, admin):
    decision, grant, _owner = _accepted_grant(admin)
    stranger = UserFactory(name="Stella Stranger")
    MembershipFactory(user=stranger, role="owner")
    sign_in(page, stranger)
    for path in (f"/applications/{decision.application_id}/decision", f"/grants/{grant.id}",
                 f"/grants/{grant.id}/agreement"):
        assert page.request.get(path).status == 404, path
    page.goto("/grants/")
    assert page.get_by_text("Solar mesh for the lake shore").count() == 0


def test_on_the_demo_the_applicant_accepts_the_offer_and_the_admin_pays_the_first_tranche(app, page, db):
    from cade.accounts.models import User
    from cade.demo.data import APPLICANT_EMAIL, DEMO_PASSWORD

    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    applicant = _db.session.scalar(select(User).where(User.email == APPLICANT_EMAIL))
    audit = Audit(page)
    sign_in(page, applicant, password=DEMO_PASSWORD, language="en")
    page.goto("/applications/")
    with page.expect_navigation():
        page.get_by_role("link", name="Board training and a three-year strategy", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Read the decision and feedback").click()
    audit.check("demo offer")
    page.get_by_label("Name of the signatory").fill("Amani Nakato")
    page.get_by_label("Position of the signatory").fill("Chair of the board")
    page.get_by_label("Confirmation").fill("Kijiji Connect Community Network")
    send(page, page.get_by_role("button", name="Accept the offer", exact=True))
    assert "Thank you: the offer is accepted." in page.locator(".flashes").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="Your grant and its agreement").click()
    audit.check("demo: my grants")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Download the agreement")).click()
    text = " ".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    assert "Kijiji Connect Community Network" in " ".join(text.split())

    admin = _db.session.scalar(select(User).where(User.email == "admin@cade.example"))
    sign_in(page, admin, password=DEMO_PASSWORD, language="en")
    audit.visit("/admin/grants/", "demo: admin grants")
    assert page.locator("main tbody tr").count() == 8  # the seven demo grants and Kijiji's just now
    with page.expect_navigation():
        page.get_by_role("link", name="Board training and a three-year strategy", exact=True).click()
    audit.check("demo: the new grant, admin")
    page.get_by_label("Payment reference").fill("EC-INTPA-CADE25-0003-T1")
    send(page, page.get_by_role("button", name="Record the payment", exact=True))
    # Kijiji has no verified bank details nor a screening yet: refused, with the reference kept.
    assert "This tranche cannot be paid yet." in _main(page) and "no verified bank details" in _main(page)
    assert page.get_by_label("Payment reference").input_value() == "EC-INTPA-CADE25-0003-T1"
    audit.check("demo: payment refused")
    from cade.demo.payees import ready_for_payment
    from cade.grants.models import Grant
    from cade.organisations.models import Organisation

    _db.session.expire_all()
    grant = _db.session.scalar(select(Grant).join(Organisation, Organisation.id == Grant.organisation_id)
                               .where(Organisation.name == "Kijiji Connect Community Network")
                               .order_by(Grant.id.desc()).limit(1))
    ready_for_payment(admin, grant, utcnow().date())  # the owner's bank details, two admins, a screening
    _db.session.commit()
    send(page, page.get_by_role("button", name="Record the payment", exact=True))
    assert "Payment recorded: tranche 1" in page.locator(".flashes").inner_text()
    assert "The next payment is unlocked when the interim report is approved." in _main(page)
    audit.assert_clean()

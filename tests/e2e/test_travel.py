"""Travel support in a real browser, with JavaScript on and off: the trip filled within the caps (an estimate above
its cap refused beside it, nothing typed lost) and submitted; the costs approved per category and released; the
visa letter issued and checked on its public page (no passport country there); the costs claimed with a receipt
(the excess over the approval shown as not reimbursable), approved and paid; the post-trip report submitted. Axe
(JavaScript on) on every travel page of the journey, the admin travel call page and the per diem table."""

import re
from datetime import date

from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.extensions import db as _db
from cade.programmes.constants import ProgrammeKind
from cade.travel.claims import claim_of
from cade.travel.constants import ClaimStatus, PostTripStatus
from cade.travel.letters import current_letter
from cade.travel.models import PerDiemRate, Trip
from cade.travel.post_trip import report_of
from cade.travel.setup import CapsInput, EventInput, TravelSettingsInput, add_event, make_travel_call, set_caps
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import (ApplicationFactory, CallFactory, MembershipFactory, OrganisationFactory,
                             ProgrammeFactory, UserFactory)

CAPS = {"airfare": "1500", "accommodation": "1000", "per_diem": "800", "visa": "150"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _travel_draft(admin):
    """An open travel call (through the setup services) to the WSIS Forum, 6–10 July 2026, in Geneva, with caps
    and a per diem rate; a draft of Sahel Digital Rights (owner Amina Diallo, member Kofi Mensah)."""
    programme = ProgrammeFactory(kind=ProgrammeKind.TRAVEL_SUPPORT, name="Travel Support", currency="USD")
    call = CallFactory(programme=programme, title="WSIS Forum 2026 travel", min_award_minor=100_00,
                       max_award_minor=5_000_00, reviews_required=0)
    make_travel_call(admin, call.id, TravelSettingsInput.from_input({"date_margin_days": "3",
                                                                     "post_trip_days": "30"}))
    add_event(admin, call.id, EventInput.from_input({"name": "WSIS Forum 2026", "city": "Geneva", "country": "CH",
                                                     "starts_on": "2026-07-06", "ends_on": "2026-07-10"}))
    set_caps(admin, call.id, CapsInput.from_input({"caps": CAPS}, currency="USD", locale="en"))
    _db.session.add(PerDiemRate(country="CH", city="Geneva", daily_minor=100_00, currency="USD",
                                valid_from=date(2026, 1, 1), source="UN ICSC"))
    organisation = OrganisationFactory(name="Sahel Digital Rights", country="SN")
    owner = UserFactory(name="Amina Diallo")
    MembershipFactory(user=owner, organisation=organisation, role="owner")
    member = UserFactory(name="Kofi Mensah")
    MembershipFactory(user=member, organisation=organisation, role="member")
    application = ApplicationFactory(call=call, organisation=organisation, created_by=owner,
                                     title="Speaking at the WSIS Forum", requested_amount_minor=None)
    _db.session.commit()
    return call, application, owner, member


def _main(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def _trip(application_id) -> Trip:
    _db.session.expire_all()
    return _db.session.scalar(select(Trip).where(Trip.application_id == application_id))


def test_the_travel_journey_from_the_trip_to_the_post_trip_report(browse, admin, tmp_path):
    page = browse
    audit = Audit(page)
    axe = audit.check if page.javascript else (lambda name: None)
    call, application, owner, member = _travel_draft(admin)

    # The traveller fills the trip; an estimate above its cap first.
    sign_in(page, member)
    page.goto(f"/applications/{application.id}/trip")
    axe("trip page")
    page.get_by_label("Event").select_option(label="WSIS Forum 2026")
    page.get_by_label("Traveller", exact=True).select_option(label="Kofi Mensah")
    page.get_by_label("Speaker").check()
    page.get_by_label("City the traveller leaves from").fill("Dakar")
    page.get_by_label("Country the traveller leaves from").select_option("SN")
    page.get_by_label("Departure date").fill("2026-07-05")
    page.get_by_label("Return date").fill("2026-07-11")
    page.get_by_label("The traveller needs a visa support letter").check()
    page.get_by_label("Passport country").select_option("SN")
    page.get_by_label("Airfare").fill("2000")
    page.get_by_label("Accommodation").fill("900.50")
    send(page, page.get_by_role("button", name="Save the trip"))
    error = page.locator("#estimate_airfare-error, .field:has(#estimate_airfare) .error").first.inner_text()
    assert "At most" in error and "cap" in error, error
    assert page.get_by_label("Airfare").input_value() == "2000"
    assert page.get_by_label("Accommodation").input_value() == "900.50"
    assert page.get_by_label("City the traveller leaves from").input_value() == "Dakar"
    assert page.get_by_label("Departure date").input_value() == "2026-07-05"
    assert page.get_by_label("Passport country").input_value() == "SN"
    assert page.get_by_label("The traveller needs a visa support letter").is_checked()
    assert _trip(application.id) is None, "nothing saved"
    axe("trip page with an error")

    page.get_by_label("Airfare").fill("1200")
    send(page, page.get_by_role("button", name="Save the trip"))
    trip = _trip(application.id)
    assert trip is not None and {c.category: c.estimate_minor for c in trip.costs}["airfare"] == 1200_00
    page.goto(f"/applications/{application.id}/edit")
    send(page, page.get_by_role("button", name="Submit application"))
    _db.session.expire_all()
    assert _db.session.get(Application, application.id).status == ApplicationStatus.SUBMITTED

    # The admin approves per category (the airfare cut to 1,100) and releases the decision.
    sign_in(page, admin)
    page.goto(f"/admin/applications/{application.id}/travel-approval")
    axe("approval page")
    trip = _trip(application.id)
    for cost in trip.costs:
        label = {"airfare": "Airfare", "accommodation": "Accommodation", "per_diem": "Per diem"}[cost.category]
        amount = 1100_00 if cost.category == "airfare" else cost.estimate_minor
        page.get_by_label(label, exact=True).fill(f"{amount / 100:.2f}")
    page.get_by_label("Feedback for the applicant").fill("Approved: see the amounts per category.")
    page.get_by_label(re.compile("^Rationale")).fill("Speaker on the civil-society panel.")
    send(page, page.get_by_role("button", name="Approve the travel"))
    assert {c.category: c.approved_minor for c in _trip(application.id).costs}["airfare"] == 1100_00
    page.goto(f"/admin/calls/{call.id}/release")
    send(page, page.get_by_role("button", name="Release 1 decision"))
    _db.session.expire_all()
    assert _db.session.get(Application, application.id).status == ApplicationStatus.AWARDED

    # The owner reaches the visa letter from the application and issues it; the public page confirms it.
    sign_in(page, owner)
    page.goto(f"/applications/{application.id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Visa support letter", exact=True).click()
    axe("letter page")
    send(page, page.get_by_role("button", name="Issue the visa letter"))
    letter = current_letter(_trip(application.id))
    assert letter is not None and letter.code in _main(page)
    page.context.clear_cookies()
    page.goto(f"/visa-letters/{letter.code}")
    check = _main(page)
    assert "This visa support letter is valid." in check and "Kofi Mensah" in check
    assert "Senegal" not in check and "Passport" not in check, "no passport country on the public page"
    axe("public check page")

    # The traveller claims the airfare (more than approved) with its receipt, and submits.
    sign_in(page, member)
    page.goto(f"/applications/{application.id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Claim the costs of the trip").click()
    axe("claim page")
    page.get_by_label("Cost category").select_option("airfare")
    page.get_by_label("Amount paid").fill("1250")
    page.get_by_label("Currency paid").fill("USD")
    receipt = tmp_path / "boarding-pass.pdf"
    receipt.write_bytes(PDF)
    page.get_by_label("Receipt (PDF, PNG or JPEG)").set_input_files(str(receipt))
    send(page, page.get_by_role("button", name="Add this cost"))
    main = _main(page)
    assert "$150.00 not reimbursable" in main, main
    assert "boarding-pass.pdf" in main
    send(page, page.get_by_role("button", name="Submit the claim"))
    assert claim_of(_trip(application.id)).status == ClaimStatus.SUBMITTED

    # The admin approves the claim and records its payment.
    sign_in(page, admin)
    page.goto(f"/admin/trips/{trip.id}/claim")
    axe("admin claim page")
    send(page, page.get_by_role("button", name="Approve the claim"))
    page.get_by_label("Payment reference").fill("TRV-2026-0042")
    send(page, page.get_by_role("button", name=re.compile("^Record the payment of")))
    claim = claim_of(_trip(application.id))
    assert claim.status == ClaimStatus.PAID and claim.payment_reference == "TRV-2026-0042"
    assert "TRV-2026-0042" in _main(page)

    # The traveller submits the post-trip report.
    sign_in(page, member)
    page.goto(f"/trips/{trip.id}/report")
    axe("post-trip page")
    for field in page.locator("main form textarea").all():
        field.fill("I spoke on the panel and met two partners.")
    send(page, page.get_by_role("button", name="Submit the report"))
    assert report_of(_trip(application.id)).status == PostTripStatus.SUBMITTED
    assert "Thank you." in _main(page)

    if page.javascript:
        sign_in(page, admin)
        audit.visit(f"/admin/calls/{call.id}/travel", "admin travel call page")
        audit.visit("/admin/per-diem", "per diem page")
        audit.assert_clean()

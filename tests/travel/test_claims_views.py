"""The claim and post-trip report pages: who sees them, what they show, and bad input kept on the page."""

import html
from datetime import date, timedelta
from io import BytesIO

import pytest
from sqlalchemy import select

from cade.core.rules import registered_rules
from cade.extensions import db as _db
from cade.travel import post_trip
from cade.travel.constants import ClaimStatus, PostTripStatus
from cade.travel.eligibility import OverduePostTripRule
from cade.travel.models import Claim, PostTripReport
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.travel.claim_helpers import NOT_A_RECEIPT, PDF, approved_trip, line, past, travel_call


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post_line(client, trip, data=PDF, **values):
    form = {**line(**values), "action": "add", "receipt": (BytesIO(data), "receipt.pdf")}
    return client.post(f"/trips/{trip.id}/claim", data=form, content_type="multipart/form-data")


def test_the_traveller_sees_the_excess_over_the_approved_amount(client, login, db):
    trip, _owner, traveller = approved_trip()
    login(traveller)
    response = post_line(client, trip, paid="950.00")
    assert response.status_code in (302, 303)
    text = page(client.get(f"/trips/{trip.id}/claim"))
    assert "$150.00 not reimbursable" in text and "not reimbursable" in text and "$800.00" in text


def test_other_organisations_and_plain_members_get_404(client, login, db):
    trip, _owner, _traveller = approved_trip()
    stranger = UserFactory()
    MembershipFactory(user=stranger, organisation=OrganisationFactory(), role="owner")
    login(stranger)
    assert client.get(f"/trips/{trip.id}/claim").status_code == 404
    assert client.get(f"/trips/{trip.id}/report").status_code == 404
    assert post_line(client, trip).status_code == 404
    assert client.get("/trips/999999/claim").status_code == 404
    assert client.get(f"/admin/trips/{trip.id}/claim").status_code in (403, 404)


def test_a_receipt_that_is_not_one_is_refused_beside_its_field_and_what_was_typed_is_kept(client, login, db):
    trip, owner, _traveller = approved_trip()
    login(owner)
    response = post_line(client, trip, data=NOT_A_RECEIPT, paid="123.45", description="Taxi to the venue")
    text = page(response)
    assert response.status_code == 422
    assert 'href="#receipt"' in text and "PDF, PNG or JPEG" in text
    assert 'value="123.45"' in text and 'value="Taxi to the venue"' in text
    assert _db.session.scalar(select(Claim)) is None or not _db.session.scalar(select(Claim)).lines


def test_a_missing_rate_is_asked_beside_its_field(client, login, db):
    trip, owner, _traveller = approved_trip()
    login(owner)
    response = post_line(client, trip, paid="30000", currency="XOF")
    assert response.status_code == 422
    text = page(response)
    assert 'href="#rate"' in text and 'href="#rate_source"' in text and 'value="30000"' in text


def test_submit_then_admin_adjusts_with_a_reason_then_pays(client, login, db, admin, outbox):
    trip, _owner, traveller = approved_trip()
    login(traveller)
    post_line(client, trip, paid="700")
    assert client.post(f"/trips/{trip.id}/claim", data={"action": "submit"}).status_code in (302, 303)
    claim = _db.session.scalar(select(Claim))
    assert claim.status == ClaimStatus.SUBMITTED
    [only] = claim.lines
    login(admin)
    assert "Kofi Mensah" in page(client.get(f"/admin/trips/{trip.id}/claim"))
    response = client.post(f"/admin/trips/{trip.id}/claim",
                           data={"action": "approve", f"reimbursable-{only.id}": "650"})
    assert response.status_code == 422
    text = page(response)
    assert f'href="#reason-{only.id}"' in text and 'value="650"' in text
    response = client.post(f"/admin/trips/{trip.id}/claim", data={
        "action": "approve", f"reimbursable-{only.id}": "650", f"reason-{only.id}": "Economy fare only."})
    assert response.status_code in (302, 303)
    _db.session.expire_all()
    assert _db.session.get(Claim, claim.id).status == ClaimStatus.APPROVED
    response = client.post(f"/admin/trips/{trip.id}/claim", data={"action": "pay", "paid_on": "", "reference": ""})
    assert response.status_code == 422 and 'href="#paid_on_payment"' in page(response)
    response = client.post(f"/admin/trips/{trip.id}/claim", data={
        "action": "pay", "paid_on": date.today().isoformat(), "reference": "WIRE-7"})
    assert response.status_code in (302, 303)
    response = client.post(f"/admin/trips/{trip.id}/claim", data={
        "action": "pay", "paid_on": date.today().isoformat(), "reference": "WIRE-8"})
    assert response.status_code == 409 and "already paid" in page(response)
    login(traveller)
    text = page(client.get(f"/trips/{trip.id}/claim"))
    assert "WIRE-7" in text and "Economy fare only." in text
    assert outbox("travel.claim_paid")


def test_a_receipt_downloads_for_the_writer_and_the_admin_only(client, login, db, admin):
    trip, _owner, traveller = approved_trip()
    login(traveller)
    post_line(client, trip)
    receipt = _db.session.scalar(select(Claim)).lines[0].receipts[0]
    response = client.get(f"/trips/{trip.id}/claim/receipts/{receipt.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    login(admin)
    assert client.get(f"/trips/{trip.id}/claim/receipts/{receipt.id}").status_code == 200
    other, _o, other_traveller = approved_trip()
    login(other_traveller)
    assert client.get(f"/trips/{trip.id}/claim/receipts/{receipt.id}").status_code == 404
    assert client.get(f"/trips/{other.id}/claim/receipts/{receipt.id}").status_code == 404


@pytest.fixture()
def rule(db):
    registry = registered_rules()
    added = "no_overdue_post_trip_report" not in registry
    if added:
        registry.register(OverduePostTripRule())
    yield registry.get("no_overdue_post_trip_report")
    if added:  # leave the app as the wiring made it for the tests that count its rules
        registry._rules.pop("no_overdue_post_trip_report")


def test_the_report_page_blocks_then_unblocks_the_apply_page(client, login, db, rule):
    trip, owner, traveller = approved_trip(starts_on=past(40), due_on=past(2))
    call = travel_call()
    login(owner)
    text = page(client.get(f"/calls/{call.id}/apply"))
    assert "Kofi Mensah" in text and f'href="/trips/{trip.id}/report"' in text
    login(traveller)
    text = page(client.get(f"/trips/{trip.id}/report"))
    assert "(overdue)" in text
    first, _second = post_trip.questions_of(trip)
    response = client.post(f"/trips/{trip.id}/report", data={"action": "submit", first.field_name: ""})
    assert response.status_code == 422 and f'href="#{first.field_name}"' in page(response)
    response = client.post(f"/trips/{trip.id}/report", data={"action": "submit", first.field_name: "I spoke."})
    assert response.status_code in (302, 303)
    assert _db.session.scalar(select(PostTripReport)).status == PostTripStatus.SUBMITTED
    login(owner)
    text = page(client.get(f"/calls/{call.id}/apply"))
    assert f'href="/trips/{trip.id}/report"' not in text


def test_before_the_event_the_page_says_when_claims_open_and_offers_no_form(client, login, db):
    trip, _owner, traveller = approved_trip(starts_on=date.today() + timedelta(days=6))
    login(traveller)
    text = page(client.get(f"/trips/{trip.id}/claim"))
    assert "once the event has started" in text and 'value="add"' not in text


def test_a_line_paid_in_another_currency_shows_the_rate_and_its_source(client, login, db, admin):
    trip, _owner, traveller = approved_trip()
    login(traveller)
    response = post_line(client, trip, paid="300000", currency="XOF", rate="0,0016", rate_source="Bank statement")
    assert response.status_code == 422  # "0,0016" is not a number in English
    with client.session_transaction() as session:
        session["locale"] = "fr"
    assert post_line(client, trip, paid="300000", currency="XOF", rate="0,0016",
                     rate_source="Bank statement").status_code in (302, 303)
    text = page(client.get(f"/trips/{trip.id}/claim"))
    assert "0,0016" in text and "Bank statement" in text

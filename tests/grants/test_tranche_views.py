"""Tranche pages: the schedule on the grant page, the admins' pay form, and the call's schedule page."""

from sqlalchemy import func, select

from cade.extensions import db as _db
from cade.grants.constants import TrancheStatus
from cade.grants.models import Tranche, TrancheTemplate
from cade.grants.services import open_grant
from cade.grants.tranches import set_schedule, tranches_of
from tests.factories import MembershipFactory, OrganisationFactory
from tests.diligence.payee_helpers import ready_to_pay
from tests.grants.helpers import accepted_decision
from tests.quality.conftest import assert_pages_are_light

SCHEDULE = [
    {"share": "40", "condition": "on_signature", "days": "0"},
    {"share": "40", "condition": "interim_report_approved", "days": "180"},
    {"share": "20", "condition": "final_report_approved", "days": "365"},
]


def opened():
    decision, owner = accepted_decision()
    set_schedule(None, decision.call_id, SCHEDULE)
    grant = open_grant(decision)
    _db.session.commit()
    ready_to_pay(grant.organisation, grant.call.programme)
    return grant, owner


def pay(client, grant, tranche, **data):
    form = {"paid_on": "2026-11-25", "reference": "WIRE-2026-0042", **data}
    return client.post(f"/grants/{grant.id}/tranches/{tranche.id}/pay", data=form)


def test_the_grantee_sees_the_schedule_and_what_unlocks_the_next_payment(db, client, login):
    grant, owner = opened()
    login(owner)
    page = client.get(f"/grants/{grant.id}").get_data(as_text=True)
    assert "$4,938.00" in page and "$2,469.00" in page
    assert "When the interim report is approved" in page and "On signature of the agreement" in page
    assert "Payable" in page and "Locked" in page
    assert ("The next payment can be made now. The payment after it is unlocked when the interim report is "
            "approved.") in " ".join(page.split())
    assert "/pay\"" not in page  # the pay form is for admins only
    assert pay(client, grant, tranches_of(grant)[0]).status_code == 404
    assert tranches_of(grant)[0].status == TrancheStatus.PAYABLE


def test_an_admin_pays_a_payable_tranche_from_the_grant_page(db, client, login, admin):
    grant, _owner = opened()
    first = tranches_of(grant)[0]
    login(admin)
    page = client.get(f"/grants/{grant.id}").get_data(as_text=True)
    assert page.count("/pay\"") == 1  # one form: the payable tranche only

    response = pay(client, grant, first)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "WIRE-2026-0042" in page and "Paid" in page
    assert "Tranche 1 paid (reference WIRE-2026-0042)" in page  # on the timeline
    _db.session.refresh(first)
    assert first.status == TrancheStatus.PAID

    again = pay(client, grant, first, reference="WIRE-AGAIN")  # a double click
    assert again.status_code == 409
    assert "already paid" in again.get_data(as_text=True)
    _db.session.refresh(first)
    assert first.payment_reference == "WIRE-2026-0042"


def test_a_locked_tranche_is_refused_saying_what_unlocks_it(db, client, login, admin):
    grant, _owner = opened()
    login(admin)
    response = pay(client, grant, tranches_of(grant)[1])
    assert response.status_code == 409
    assert "interim report is approved" in response.get_data(as_text=True)


def test_bad_payment_input_is_refused_and_kept(db, client, login, admin):
    grant, _owner = opened()
    login(admin)
    response = pay(client, grant, tranches_of(grant)[0], paid_on="2999-01-01", reference="MY-REF-77")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "cannot be in the future" in page and 'value="MY-REF-77"' in page and 'value="2999-01-01"' in page
    assert tranches_of(grant)[0].status == TrancheStatus.PAYABLE


def test_a_stranger_gets_404_for_the_grant_and_its_pay_form(db, client, login):
    grant, _owner = opened()
    login(MembershipFactory(organisation=OrganisationFactory()).user)
    assert client.get(f"/grants/{grant.id}").status_code == 404
    assert pay(client, grant, tranches_of(grant)[0]).status_code == 404


def test_a_tranche_of_another_grant_is_404(db, client, login, admin):
    grant, _owner = opened()
    login(admin)
    assert client.post(f"/grants/{grant.id + 1}/tranches/{tranches_of(grant)[0].id}/pay",
                       data={"paid_on": "2026-11-25", "reference": "X"}).status_code == 404


def test_the_admin_sets_a_calls_schedule(db, client, login, admin):
    decision, _owner = accepted_decision()
    call_id = decision.call_id
    login(admin)
    page = client.get(f"/admin/calls/{call_id}/tranches").get_data(as_text=True)
    assert "100" in page and 'name="share-5"' in page  # the default, and six rows

    data = {"share-0": "30", "condition-0": "on_signature", "days-0": "0",
            "share-1": "50", "condition-1": "interim_report_approved", "days-1": "90"}
    refused = client.post(f"/admin/calls/{call_id}/tranches", data=data)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "add up to 80 %" in text and 'value="30"' in text and 'value="90"' in text
    assert _db.session.scalar(select(func.count()).select_from(TrancheTemplate)) == 0

    data.update({"share-1": "70"})
    assert client.post(f"/admin/calls/{call_id}/tranches", data=data).status_code == 302
    assert [t.share * 100 for t in _db.session.scalars(select(TrancheTemplate).order_by(TrancheTemplate.position))] \
        == [30, 70]


def test_the_schedule_page_is_for_admins_only(db, client, login):
    decision, owner = accepted_decision()
    login(owner)
    assert client.get(f"/admin/calls/{decision.call_id}/tranches").status_code == 404
    assert client.post(f"/admin/calls/{decision.call_id}/tranches",
                       data={"share-0": "100", "condition-0": "on_signature"}).status_code == 404
    assert _db.session.scalar(select(func.count()).select_from(TrancheTemplate)) == 0


def test_tranche_pages_are_light(db, client, login, admin):
    grant, owner = opened()
    assert _db.session.scalar(select(func.count()).select_from(Tranche)) == 3
    assert_pages_are_light(client, login, [(owner, [f"/grants/{grant.id}"]),
                                           (admin, [f"/grants/{grant.id}", f"/admin/calls/{grant.call_id}/tranches"])],
                           "fr")


def test_schedule_errors_read_well(db, client, login, admin):
    decision, _owner = accepted_decision()
    login(admin)
    page = client.post(f"/admin/calls/{decision.call_id}/tranches",
                       data={"share-0": "0", "condition-0": "on_signature", "share-1": "12.345",
                             "condition-1": "on_signature"}).get_data(as_text=True)
    assert "Enter a share above 0 and at most 100 %." in page
    assert "Use at most two decimals (33.33 %)." in page
    assert "%%" not in page

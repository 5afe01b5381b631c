"""The offer on the applicant's outcome page (accept, decline, the record) and on the admin's decision page."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from cade.awards.models import Decision
from cade.awards.services.release import release_decisions
from cade.awards.services.figures import keep_award_figures
from cade.core.db import utcnow
from cade.extensions import db as _db
from tests.factories import CallFactory, DecisionFactory, MembershipFactory, ProgrammeFactory, reviewed_application


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))).strip()


@pytest.fixture()
def call(db):
    return CallFactory(closed=True, title="Mesh networks 2026", budget_envelope_minor=50_000_00)


@pytest.fixture()
def offer(admin, call):
    application = reviewed_application(call, reviews=0, members=1, title="Solar mesh")
    MembershipFactory(organisation=application.organisation, role="owner", user__name="Olga Owner")
    DecisionFactory(application=application, amount_minor=20_000_00)
    release_decisions(admin, call.id)
    _db.session.commit()
    return _db.session.scalar(select(Decision).where(Decision.application_id == application.id))


def _member(decision, role):
    return next(m.user for m in decision.application.organisation.memberships if m.role == role)


def _url(decision, action=""):
    return f"/applications/{decision.application_id}/decision" + (f"/{action}" if action else "")


ACCEPT = {"signatory_name": "Olga Owner", "signatory_position": "Director"}


def test_the_owner_sees_the_offer_with_its_deadline_and_both_forms(client, login, offer):
    login(_member(offer, "owner"))
    page = text_of(client.get(_url(offer)))
    assert "$20,000.00" in page and "Accept the offer" in page and "Decline the offer" in page
    assert "(Africa/Nairobi)" in page  # the deadline in the call's zone
    assert "Awaiting your answer" in page


def test_a_plain_member_sees_the_offer_but_cannot_answer(client, login, offer):
    login(_member(offer, "member"))
    page = text_of(client.get(_url(offer)))
    assert "$20,000.00" in page and "Only an owner" in page
    assert 'name="signatory_name"' not in client.get(_url(offer)).get_data(as_text=True)
    response = client.post(_url(offer, "accept"), data={**ACCEPT, "confirmation": offer.application.organisation.name})
    assert response.status_code == 403 and "Only an owner" in text_of(response)
    assert _db.session.get(Decision, offer.id, populate_existing=True).status == "released"


def test_another_organisation_s_offer_is_not_found(client, login, offer):
    login(MembershipFactory(role="owner").user)
    assert client.get(_url(offer)).status_code == 404
    assert client.post(_url(offer, "accept"), data=ACCEPT).status_code == 404
    assert client.post(_url(offer, "decline"), data={"reason": "x"}).status_code == 404


def test_a_wrong_confirmation_keeps_what_was_typed(client, login, offer):
    login(_member(offer, "owner"))
    response = client.post(_url(offer, "accept"), data={**ACCEPT, "confirmation": "Wrong name"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Olga Owner"' in html and 'value="Director"' in html and 'value="Wrong name"' in html
    assert f"Type “{offer.application.organisation.name}” to confirm" in text_of(response)


def test_the_owner_accepts_and_then_reads_the_record(client, login, offer):
    login(_member(offer, "owner"))
    response = client.post(_url(offer, "accept"),
                           data={**ACCEPT, "confirmation": offer.application.organisation.name.lower()})
    assert response.status_code == 303
    page = text_of(client.get(_url(offer)))
    assert "Accepted" in page and "Olga Owner, Director" in page
    assert 'name="signatory_name"' not in client.get(_url(offer)).get_data(as_text=True)
    again = client.post(_url(offer, "accept"), data={**ACCEPT, "confirmation": offer.application.organisation.name},
                        follow_redirects=True)
    assert "already been accepted" in text_of(again)


def test_accepting_after_the_deadline_is_refused_and_keeps_what_was_typed(client, login, offer):
    offer.offer_deadline_at = utcnow() - timedelta(hours=1)
    _db.session.commit()
    login(_member(offer, "owner"))
    response = client.post(_url(offer, "accept"), data={**ACCEPT, "confirmation": offer.application.organisation.name})
    assert response.status_code == 409
    assert "The deadline to accept this offer was" in text_of(response)
    assert 'value="Olga Owner"' in response.get_data(as_text=True)


def test_declining_needs_a_reason_then_frees_the_offer(client, login, offer):
    login(_member(offer, "owner"))
    response = client.post(_url(offer, "decline"), data={"reason": "  "})
    assert response.status_code == 422 and "Say why" in text_of(response)
    response = client.post(_url(offer, "decline"), data={"reason": "We merged with another network."})
    assert response.status_code == 303
    page = text_of(client.get(_url(offer)))
    assert "Declined" in page and "We merged with another network." in page


def test_the_admin_decision_page_shows_the_offer_and_a_missing_rate(client, login, admin, db):
    call = CallFactory(closed=True, programme=ProgrammeFactory(currency="EUR"))
    application = reviewed_application(call, reviews=0, members=1)
    DecisionFactory(application=application, amount_minor=10_000_00)
    release_decisions(admin, call.id)
    _db.session.commit()
    login(admin)
    page = text_of(client.get(f"/admin/applications/{application.id}/decision"))
    assert "Awaiting an answer" in page
    assert "No exchange rate from EUR to USD was recorded at release" in page


def test_the_admin_awards_the_waitlisted_application_in_one_action(client, login, admin, call, offer):
    waiting = reviewed_application(call, reviews=2, members=1, status="waitlisted", requested_amount_minor=25_000_00)
    DecisionFactory(application=waiting, outcome="waitlist", amount_minor=None, released_at=utcnow())
    _db.session.commit()
    login(admin)
    url = f"/admin/applications/{waiting.id}/decision"
    assert "Award it" in text_of(client.get(url))
    too_much = client.post(url + "/award", data={"amount": "45000", "feedback": "Good news."})
    assert too_much.status_code == 422 and 'value="45000"' in too_much.get_data(as_text=True)
    response = client.post(url + "/award", data={"amount": "25000", "feedback": "Good news."})
    assert response.status_code == 303
    decision = _db.session.scalar(select(Decision).where(Decision.application_id == waiting.id)
                                  .execution_options(populate_existing=True))
    assert (decision.outcome, decision.amount_minor) == ("award", 25_000_00)
    assert "Award it" not in text_of(client.get(url))


def test_the_ranking_points_to_the_first_waitlisted_once_money_is_free(client, login, admin, call, offer):
    waiting = reviewed_application(call, reviews=2, status="waitlisted", title="Village Wi-Fi")
    DecisionFactory(application=waiting, outcome="waitlist", amount_minor=None, released_at=utcnow())
    call.budget_envelope_minor = 20_000_00  # all committed to the offer
    _db.session.commit()
    login(admin)
    assert "First on the waiting list" not in text_of(client.get(f"/admin/calls/{call.id}/ranking"))
    offer.status = "declined"
    keep_award_figures(call.id)  # as decline_offer does
    _db.session.commit()
    page = client.get(f"/admin/calls/{call.id}/ranking").get_data(as_text=True)
    assert "First on the waiting list" in unescape(page) and f"/admin/applications/{waiting.id}/decision" in page

"""Wired as the app wires it: an owner accepting the offer on its page opens the grant and its agreement."""

from sqlalchemy import select

from cade.grants.models import Grant
from tests.awards.test_offer_views import ACCEPT, _member, _url, call, offer  # noqa: F401  (fixtures)


def test_accepting_on_the_page_opens_the_grant_with_its_agreement(client, login, offer, db, storage_path):  # noqa: F811
    login(_member(offer, "owner"))
    response = client.post(_url(offer, "accept"), data={**ACCEPT, "confirmation": offer.application.organisation.name})
    assert response.status_code == 303

    grant = db.session.scalar(select(Grant).where(Grant.decision_id == offer.id))
    assert grant is not None and grant.amount_minor == 20_000_00
    page = client.get(_url(offer)).get_data(as_text=True)
    assert 'href="/grants/"' in page
    agreement = client.get(f"/grants/{grant.id}").get_data(as_text=True)
    assert "Download the agreement" in agreement

"""Accepting an offer opens its grant through awards' acceptance hooks (as cade/wiring.py registers it)."""

import pytest
from sqlalchemy import func, select

from cade import grants
from cade.awards.constants import DecisionStatus
from cade.awards.services import offers
from cade.grants.models import Grant
from tests.factories import DecisionFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.grants.helpers import ACCEPTED_AT


@pytest.fixture()
def hooks(monkeypatch):
    registered = []
    monkeypatch.setattr(offers, "acceptance_hooks", registered)
    grants.register(registered)
    grants.register(registered)  # a second app in one process adds nothing
    return registered


def test_register_adds_open_grant_once(hooks):
    from cade.grants.services import open_grant

    assert hooks == [open_grant]


def test_accepting_an_offer_opens_its_grant_with_the_agreement(db, hooks):
    organisation = OrganisationFactory(name="Red Comunitaria", languages=["es"])
    owner = UserFactory(name="Olga Owner", locale="fr")
    MembershipFactory(user=owner, organisation=organisation, role="owner")
    decision = DecisionFactory(application__organisation=organisation, released_at=ACCEPTED_AT)
    command = offers.AcceptOfferInput.from_input({"signatory_name": "Olga Owner", "signatory_position": "Directrice",
                                                  "confirmation": organisation.name})

    offers.accept_offer(owner, decision.id, command)
    db.session.commit()

    grant = db.session.scalar(select(Grant))
    assert grant.decision_id == decision.id and grant.agreement_language == "fr"
    assert decision.status == DecisionStatus.ACCEPTED
    assert db.session.scalar(select(func.count()).select_from(Grant)) == 1

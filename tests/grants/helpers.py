"""An accepted award to open a grant from: the acceptance fields set directly, as accepting the offer would."""

from datetime import UTC, datetime

from cade.awards.constants import DecisionStatus
from cade.extensions import db
from tests.factories import DecisionFactory, MembershipFactory, OrganisationFactory, UserFactory

ACCEPTED_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def accepted_decision(*, owner_locale="en", organisation=None, **kwargs):
    """A released award of 12,345.00 accepted by the organisation's owner, Amina Diallo; returns (decision, owner)."""
    organisation = organisation or OrganisationFactory(
        name="Réseau Communautaire du Sahel", country="SN", registration_number="SN-DKR-2019-B-1234",
        languages=["fr", "en"])
    owner = UserFactory(name="Amina Diallo", locale=owner_locale)
    MembershipFactory(user=owner, organisation=organisation, role="owner")
    kwargs.setdefault("amount_minor", 12_345_00)
    decision = DecisionFactory(application__organisation=organisation, released_at=ACCEPTED_AT, **kwargs)
    accept(decision, owner)
    return decision, owner


def accept(decision, owner, *, name="Amina Diallo", position="Directrice"):
    """Record the acceptance on `decision` (the awards columns where they exist, plain attributes until then)."""
    for key, value in {"accepted_at": ACCEPTED_AT, "signatory_name": name, "signatory_position": position,
                       "accepted_by_id": owner.id}.items():
        setattr(decision, key, value)
    if "ACCEPTED" in DecisionStatus.__members__:
        decision.status = DecisionStatus["ACCEPTED"]
    db.session.commit()

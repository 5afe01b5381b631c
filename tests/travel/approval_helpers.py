"""A travel call with caps and an event, a trip on a reviewed application, approved and released (T3's tests).

Trip and TripCost rows are created directly: the trip form belongs to another part of the travel work.
"""

from datetime import date

import pytest

from cade.awards.services import release
from cade.extensions import db
from cade.programmes.constants import ProgrammeKind
from cade.travel import approval
from cade.travel.models import CostCap, TravelEvent, TravelSettings, Trip, TripCost
from tests.factories import CallFactory, MembershipFactory, OrganisationFactory, ProgrammeFactory, UserFactory, \
    reviewed_application

CAPS = {"airfare": 1_200_00, "accommodation": 900_00, "per_diem": 500_00, "visa": 150_00}
ESTIMATES = {"airfare": 1_000_00, "accommodation": 1_000_00, "per_diem": 400_00, "visa": 80_00}


def travel_call(*, envelope=50_000_00, language="fr", **kwargs):
    """A travel call (USD) to the WSIS Forum in Geneva, 7–11 July 2026, with caps and a 30-day post-trip report."""
    programme = ProgrammeFactory(name="Travel Support Fund", kind=ProgrammeKind.TRAVEL_SUPPORT, currency="USD",
                                 funder_name="CADE Foundation")
    call = CallFactory(programme=programme, title="WSIS Forum 2026 travel", budget_envelope_minor=envelope,
                       min_award_minor=100_00, max_award_minor=5_000_00, closed=True, **kwargs)
    db.session.add(TravelSettings(call_id=call.id, date_margin_days=3, post_trip_days=30))
    event = TravelEvent(call_id=call.id, name="WSIS Forum 2026", city="Geneva", country="CH",
                        starts_on=date(2026, 7, 7), ends_on=date(2026, 7, 11), language=language)
    db.session.add(event)
    for category, cap in CAPS.items():
        db.session.add(CostCap(call_id=call.id, category=category, cap_minor=cap))
    db.session.commit()
    return call, event


def travel_application(call, event, *, organisation=None, estimates=None, wants_visa_letter=True,
                       passport_country="NG", traveller=None, requested=None):
    """A reviewed application to `call` with its trip: the traveller (an owner unless given) and the estimates."""
    organisation = organisation or OrganisationFactory(name="Lagos Digital Rights Hub", country="NG")
    estimates = estimates or ESTIMATES
    if traveller is None:
        traveller = UserFactory(name="Chidi Okafor", locale="en")
        MembershipFactory(user=traveller, organisation=organisation, role="member")
    application = reviewed_application(call, organisation=organisation, title="Speaking at the WSIS Forum",
                                       requested_amount_minor=requested or sum(estimates.values()))
    trip = Trip(application_id=application.id, event_id=event.id, traveller_user_id=traveller.id, role="speaker",
                origin_city="Lagos", origin_country="NG", departs_on=date(2026, 7, 6), returns_on=date(2026, 7, 12),
                wants_visa_letter=wants_visa_letter, passport_country=passport_country if wants_visa_letter else None)
    db.session.add(trip)
    db.session.flush()
    for category, estimate in estimates.items():
        db.session.add(TripCost(trip_id=trip.id, category=category, estimate_minor=estimate))
    db.session.commit()
    return application, trip


def approval_input(amounts: dict, **texts):
    """An ApprovalInput as the page would send it (amounts in major units)."""
    data = {category: f"{minor / 100:.2f}" for category, minor in amounts.items()}
    data.setdefault("feedback", "Approved: see the amounts per category.")
    data.setdefault("rationale", "Speaker on the CSO panel; first time at the Forum.")
    data.update(texts)
    return approval.ApprovalInput.from_input(data, currency="USD")


def within_caps() -> dict:
    """The estimates, cut to the caps: what an admin approves in full."""
    return {category: min(estimate, CAPS.get(category, estimate)) for category, estimate in ESTIMATES.items()}


@pytest.fixture(name="release_hook")
def release_hook_fixture(monkeypatch):
    """Awards' release hooks with travel's registered, as cade/wiring.py registers it."""
    hooks = []
    monkeypatch.setattr(release, "release_hooks", hooks)
    approval.register(hooks)
    approval.register(hooks)
    return hooks


def approve_and_release(admin, application, amounts=None):
    """Approve the trip per category and release the call's decisions (travel's release hook must be registered)."""
    approval.approve_costs(admin, application.id, approval_input(amounts or within_caps()))
    db.session.commit()
    release.release_decisions(admin, application.call_id)
    db.session.commit()

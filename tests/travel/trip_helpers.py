"""A travel call with an event, caps and a per diem rate, and a draft application to it (rows written directly)."""

from dataclasses import dataclass
from datetime import date

from cade.extensions import db
from cade.programmes.constants import ProgrammeKind
from cade.travel.models import CostCap, PerDiemRate, TravelEvent, TravelSettings
from tests.factories import (ApplicationFactory, CallFactory, MembershipFactory, OrganisationFactory,
                             ProgrammeFactory, UserFactory)

CAPS = {"airfare": 1_500_00, "accommodation": 1_000_00, "per_diem": 600_00, "visa": 100_00}


@dataclass
class TravelDraft:
    call: object
    event: object
    application: object
    owner: object
    member: object


def travel_call(*, margin=3, caps=None, min_award_minor=100_00, max_award_minor=5_000_00):
    """A call of a travel support programme with its settings, the WSIS Forum (6–10 July 2026) and caps."""
    programme = ProgrammeFactory(kind=ProgrammeKind.TRAVEL_SUPPORT, name="Travel Support", currency="USD")
    call = CallFactory(programme=programme, min_award_minor=min_award_minor, max_award_minor=max_award_minor)
    db.session.add(TravelSettings(call_id=call.id, date_margin_days=margin, post_trip_days=30))
    event = TravelEvent(call_id=call.id, position=1, name="WSIS Forum 2026", city="Geneva", country="CH",
                        starts_on=date(2026, 7, 6), ends_on=date(2026, 7, 10), website="https://www.itu.int/wsis")
    db.session.add(event)
    for category, cap in (CAPS if caps is None else caps).items():
        db.session.add(CostCap(call_id=call.id, category=category, cap_minor=cap))
    db.session.add(PerDiemRate(country="CH", city="Geneva", daily_minor=100_00, currency="USD",
                               valid_from=date(2026, 1, 1), source="UN ICSC"))
    db.session.commit()
    return call, event


def travel_draft(**kwargs) -> TravelDraft:
    """A draft (title and summary written, nothing asked yet) of an organisation with an owner and a member."""
    call, event = travel_call(**kwargs)
    organisation = OrganisationFactory(name="Sahel Digital Rights")
    owner = UserFactory(name="Amina Diallo")
    MembershipFactory(user=owner, organisation=organisation, role="owner")
    member = UserFactory(name="Kofi Mensah")
    MembershipFactory(user=member, organisation=organisation, role="member")
    application = ApplicationFactory(call=call, organisation=organisation, created_by=owner,
                                     title="Speaking at the WSIS Forum", requested_amount_minor=None)
    return TravelDraft(call, event, application, owner, member)


def trip_data(draft: TravelDraft, **values) -> dict:
    """What a complete trip form posts: the member travels, within caps and the event's dates."""
    data = {"event_id": str(draft.event.id), "traveller_user_id": str(draft.member.id), "role": "speaker",
            "origin_city": "Dakar", "origin_country": "SN", "departs_on": "2026-07-05", "returns_on": "2026-07-11",
            "estimate_airfare": "1200", "estimate_accommodation": "900.50"}
    data.update(values)
    return {key: value for key, value in data.items() if value is not None}

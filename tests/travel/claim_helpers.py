"""Approved trips to claim for and report on, written directly (the services that make them are other modules')."""

from datetime import date, timedelta
from io import BytesIO

from cade.core.db import utcnow
from cade.core.questionnaires import Question, Questionnaire, QuestionKind
from cade.extensions import db
from cade.programmes.constants import ProgrammeKind
from cade.travel.models import TravelEvent, TravelSettings, Trip, TripCost
from tests.factories import (ApplicationFactory, CallFactory, MembershipFactory, OrganisationFactory,
                             ProgrammeFactory, UserFactory)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
NOT_A_RECEIPT = b"MZ\x90\x00\x03\x00\x00\x00 this is a Windows program, whatever its name says"


def receipt(data=PDF, name="receipt.pdf"):
    return BytesIO(data), name


def travel_call(currency="USD", questions=True):
    """A travel call (settings with a post-trip questionnaire of one required and one optional question)."""
    programme = ProgrammeFactory(kind=ProgrammeKind.TRAVEL_SUPPORT, name="Travel Support", currency=currency)
    call = CallFactory(programme=programme, title="WSIS Forum 2026 travel support")
    questionnaire = Questionnaire(purpose="travel_post_trip")
    if questions:
        questionnaire.questions = [
            Question(position=1, kind=QuestionKind.LONG_TEXT, label="What did you contribute?", required=True),
            Question(position=2, kind=QuestionKind.NUMBER, label="How many sessions did you attend?",
                     required=False)]
    db.session.add(questionnaire)
    db.session.flush()
    db.session.add(TravelSettings(call_id=call.id, date_margin_days=3, post_trip_days=30,
                                  post_trip_questionnaire_id=questionnaire.id))
    db.session.commit()
    return call


def approved_trip(*, call=None, organisation=None, traveller=None, traveller_email=None, traveller_name=None,
                  starts_on=None, due_on=None, approved=None, currency="USD"):
    """An approved trip of a travel call: the event began two days ago unless `starts_on` says otherwise.

    `approved` is {category: approved minor units} (estimates equal to them); default airfare 800.00 and
    accommodation 600.00. Returns (trip, owner, traveller) — the traveller a member with an account unless
    `traveller_email` names a person without one.
    """
    call = call or travel_call(currency)
    organisation = organisation or OrganisationFactory(name="Réseau Communautaire du Sahel")
    owner = UserFactory(name="Amina Diallo")
    MembershipFactory(user=owner, organisation=organisation, role="owner")
    if traveller is None and traveller_email is None:
        traveller = UserFactory(name="Kofi Mensah", email=f"kofi{organisation.id}@example.org")
        MembershipFactory(user=traveller, organisation=organisation, role="member")
    starts_on = starts_on or utcnow().date() - timedelta(days=2)
    event = TravelEvent(call_id=call.id, name="WSIS Forum 2026", city="Geneva", country="CH", starts_on=starts_on,
                        ends_on=starts_on + timedelta(days=4))
    db.session.add(event)
    application = ApplicationFactory(call=call, organisation=organisation, created_by=owner, submitted=True,
                                     status="awarded", title="Speaking at WSIS 2026")
    trip = Trip(application_id=application.id, event=event, traveller=traveller,
                traveller_email=traveller_email or (traveller.email if traveller else None),
                traveller_name=traveller_name, role="speaker", origin_city="Dakar", origin_country="SN",
                departs_on=starts_on - timedelta(days=1), returns_on=starts_on + timedelta(days=5),
                post_trip_due_on=due_on or starts_on + timedelta(days=34))
    for category, minor in (approved or {"airfare": 800_00, "accommodation": 600_00}).items():
        trip.costs.append(TripCost(category=category, estimate_minor=minor, approved_minor=minor))
    db.session.add(trip)
    db.session.commit()
    return trip, owner, traveller


def line(category="airfare", paid="950.00", currency="USD", **extra):
    """A claim line's input as a form sends it."""
    return {"category": category, "paid": paid, "paid_currency": currency, "description": "Dakar–Geneva return",
            **extra}


def past(days):
    return utcnow().date() - timedelta(days=days)


def today() -> date:
    return utcnow().date()

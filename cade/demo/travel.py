"""The demo's travel support (issue 13), through the real services.

- The per diem table gets its example rates (cade/travel/per_diem.py example_rates).
- Travel Support — WSIS Forum 2026 is a travel call: its event in Geneva (it
  ended twelve days ago), caps per category. Two new travellers there:
  Teranga Numérique's owner, approved with a visa letter issued; Mtaani
  Digital Rights Hub's owner, who claimed airfare and accommodation with PDF
  receipts, was approved and paid (the post-trip report is due in 18 days).
- Travel Support — Regional IGFs 2026 (new, closed) is a series call covering
  two events: the Africa IGF in Addis Ababa and the Asia Pacific regional IGF
  in Bangkok. Chikondi's owner went to the first and never sent the post-trip
  report: overdue, so the same person is refused a new travel application,
  on Travel Support — Internet Governance Forum 2026 (a travel call too, with
  its own event in Nairobi). Jaringan Desa Digital's owner went to the second
  and sent the report.

The demo's older WSIS applications (cade/demo/data.py) were decided without a
trip; they are left as they are. The new ones are written as drafts, their trip
saved by their owner (save_trip), then marked submitted as the seed marks any
demo application (the call has closed), decided per category (approve_costs)
and released (release_decisions). Each stage runs only when its application is
missing, so seeding twice adds nothing; services flush, the command commits.
"""

import io
from datetime import date, timedelta

from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.applications.snapshots import snapshot_applicant
from cade.awards.services.release import release_decisions
from cade.demo import data
from cade.extensions import db
from cade.programmes.models import Call
from cade.travel.approval import ApprovalInput, approve_costs
from cade.travel.claim_decisions import ClaimPaymentInput, decide_claim, pay_claim
from cade.travel.claims import ClaimLineInput, add_claim_line, submit_claim
from cade.travel.letters import issue_letter
from cade.travel.models import PerDiemRate
from cade.travel.per_diem import example_rates
from cade.travel.post_trip import questions_of, submit_post_trip
from cade.travel.setup import (CapsInput, EventInput, TravelSettingsInput, add_event, events_of, make_travel_call,
                               set_caps, travel_settings)
from cade.travel.trips import TripInput, save_trip

ADMIN_EMAIL = "admin@cade.example"
SERIES_TITLE = "Travel Support — Regional IGFs 2026"
CAPS = {"airfare": "1500", "accommodation": "1000", "per_diem": "800", "visa": "200", "local_transport": "150",
        "other": "100"}
SERIES_SPEC = dict(
    title=SERIES_TITLE, reference_prefix="TRV-RIGF26", timezone="Africa/Addis_Ababa",
    opens_in_hours=-200 * 24, closes_in_hours=-150 * 24, budget_envelope=30_000, min_award=500, max_award=3_500,
    reviews_required=1, blind_review=False, questions=data.TRAVEL_QUESTIONS, rubric=data.TRAVEL_RUBRIC,
    description="Travel support for civil-society participants in two regional IGFs: Africa and Asia Pacific.")
# Days from today of each event's first and last day.
WSIS_EVENT = ("WSIS Forum 2026", "Geneva", "CH", -16, -12, "https://www.itu.int/wsis/")
IGF_EVENT = ("Internet Governance Forum 2026", "Nairobi", "KE", 75, 79, "https://www.intgovforum.org/")
AFRICA_EVENT = ("Africa IGF 2026", "Addis Ababa", "ET", -120, -118, None)
ASIA_EVENT = ("Asia Pacific Regional IGF 2026", "Bangkok", "TH", -60, -57, None)


def seed_travel(seeder, calls: dict[str, Call], organisations: dict) -> None:
    """Rates, travel calls, events, caps and the travellers' stages; flushes, never commits."""
    admin = seeder.users[ADMIN_EMAIL]
    today = seeder.now.date()
    _rates(seeder)
    wsis, igf = calls["wsis-2026"], calls["igf-2026"]
    series = _series_call(seeder, wsis)
    _travel_call(seeder, admin, wsis, [WSIS_EVENT], today)
    _travel_call(seeder, admin, igf, [IGF_EVENT], today)
    _travel_call(seeder, admin, series, [AFRICA_EVENT, ASIA_EVENT], today)
    existing = set(db.session.execute(select(Application.call_id, Application.organisation_id)))
    stages = [
        (wsis, "teranga", WSIS_EVENT[0], _visa_letter),
        (wsis, "mtaani", WSIS_EVENT[0], _claimed_and_paid),
        (series, "chikondi", AFRICA_EVENT[0], None),  # the post-trip report never sent: overdue
        (series, "desa", ASIA_EVENT[0], _reported),
    ]
    done = []
    for position, (call, org_key, event_name, then) in enumerate(stages):
        organisation = organisations[org_key]
        if (call.id, organisation.id) in existing:
            continue
        trip = _approved_trip(seeder, admin, call, organisation, event_name, today, position)
        done.append((trip, then))
        seeder.report.created["travel_trips"] += 1
    for call in {trip.application.call for trip, _ in done}:
        release_decisions(admin, call.id)
    for trip, then in done:
        if then is not None:
            then(seeder, admin, trip, today)
    db.session.flush()


def _rates(seeder) -> None:
    known = set(db.session.execute(select(PerDiemRate.country, PerDiemRate.city, PerDiemRate.valid_from)))
    for rate in example_rates():
        if (rate.country, rate.city, rate.valid_from) not in known:
            db.session.add(rate)
            seeder.report.created["per_diem_rates"] += 1
    db.session.flush()


def _series_call(seeder, wsis: Call) -> Call:
    call = db.session.scalar(select(Call).where(Call.title == SERIES_TITLE))
    if call is None:
        call = seeder.call(SERIES_SPEC, wsis.programme)
        db.session.flush()
    return call


def _travel_call(seeder, admin, call: Call, events, today: date) -> None:
    if travel_settings(call.id) is None:
        make_travel_call(admin, call.id, TravelSettingsInput.from_input({"date_margin_days": "3",
                                                                         "post_trip_days": "30"}))
        set_caps(admin, call.id, CapsInput.from_input({"caps": CAPS}, currency=call.currency, locale="en"))
        seeder.report.created["travel_calls"] += 1
    named = {event.name for event in events_of(call.id)}
    for name, city, country, first, last, website in events:
        if name in named:
            continue
        add_event(admin, call.id, EventInput.from_input({
            "name": name, "city": city, "country": country, "website": website or "", "language": "en",
            "starts_on": (today + timedelta(days=first)).isoformat(),
            "ends_on": (today + timedelta(days=last)).isoformat()}))
        seeder.report.created["travel_events"] += 1


def _approved_trip(seeder, admin, call: Call, organisation, event_name: str, today: date, position: int):
    """A draft with its trip saved by the owner (the traveller), marked submitted, its costs approved.

    Submitted in the call's last hour, after the demo's other applications to it (references follow the order
    of submission), in the stages' order."""
    owner = next(m.user for m in organisation.memberships if m.role == "owner")
    event = next(event for event in events_of(call.id) if event.name == event_name)
    application = Application(call=call, organisation=organisation, created_by=owner,
                              status=ApplicationStatus.DRAFT, title=f"Taking part in the {event.name}",
                              summary=f"Speaker at the {event.name}, {event.city}.")
    db.session.add(application)
    db.session.flush()
    trip = save_trip(owner, application.id, TripInput.from_input({
        "event_id": str(event.id), "traveller_user_id": str(owner.id), "role": "speaker",
        "origin_city": organisation.city or "", "origin_country": organisation.country,
        "departs_on": (event.starts_on - timedelta(days=1)).isoformat(),
        "returns_on": (event.ends_on + timedelta(days=1)).isoformat(),
        "wants_visa_letter": "y" if organisation.country != event.country else "",
        "passport_country": organisation.country, "first_time": "no",
        "estimate_airfare": "1200", "estimate_accommodation": "700", "estimate_visa": "90",
    }, currency=call.currency, locale="en"), today=today)
    submitted_at = min(seeder.now, call.closes_at) - timedelta(minutes=60 - 10 * position)
    call.last_reference_number += 1
    application.reference = f"{call.reference_prefix}-{call.last_reference_number:04d}"
    application.status, application.submitted_at = ApplicationStatus.SUBMITTED, submitted_at
    application.created_at = application.updated_at = submitted_at
    db.session.flush()
    snapshot_applicant(application)
    amounts = {cost.category: _text(cost.estimate_minor) for cost in trip.costs}
    amounts["airfare"] = _text(_estimate(trip, "airfare") - 100_00)  # a cheaper fare was found
    approve_costs(admin, application.id, ApprovalInput.from_input(
        {**amounts, "feedback": "Have a good forum; please send your report after it.",
         "rationale": "Confirmed speaker.", "override_reason": "Travel support: decided by the programme officer."},
        currency=call.currency, locale="en"))
    return trip


def _estimate(trip, category: str) -> int:
    return next(cost.estimate_minor for cost in trip.costs if cost.category == category)


def _text(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _owner(trip):
    return next(m.user for m in trip.application.organisation.memberships if m.role == "owner")


def _visa_letter(seeder, admin, trip, today) -> None:
    issue_letter(_owner(trip), trip.id)
    seeder.report.created["visa_letters"] += 1


def _claimed_and_paid(seeder, admin, trip, today) -> None:
    from cade.demo.seed import _tiny_pdf

    owner, currency = _owner(trip), trip.application.call.currency
    for category, paid, what in (("airfare", "1130.00", "Nairobi–Geneva return, economy"),
                                 ("accommodation", "720.00", "Four nights near the Palexpo")):
        add_claim_line(owner, trip.id, ClaimLineInput.from_input({
            "category": category, "paid": paid, "paid_currency": currency, "description": what,
            "paid_on": (trip.departs_on - timedelta(days=20)).isoformat()}, locale="en"),
            receipt=(io.BytesIO(_tiny_pdf(f"Receipt: {what}, {currency} {paid}")), f"{category}-receipt.pdf"))
    claim = submit_claim(owner, trip.id)
    decide_claim(admin, claim.id)
    pay_claim(admin, claim.id, ClaimPaymentInput.from_input({"paid_on": today.isoformat(),
                                                             "reference": "TRV-PAY-0001"}))
    seeder.report.created["travel_claims"] += 1


def _reported(seeder, admin, trip, today) -> None:
    answers = {question.id: "I spoke on the panel on community networks and met three funders."
               for question in questions_of(trip)}
    submit_post_trip(_owner(trip), trip.id, answers)
    seeder.report.created["post_trip_reports"] += 1

"""The demo's travel support (issue 13): example per diem rates, travel calls with events and caps, and travellers
at each stage (visa letter, claim paid, post-trip report overdue and blocking, report sent), through the services."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cade.applications.eligibility import check_eligibility
from cade.applications.models import Application
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.storage import get_storage
from cade.demo import data
from cade.demo import travel as demo_travel
from cade.programmes.models import Call
from cade.travel.claims import claim_of
from cade.travel.constants import ClaimStatus, PostTripStatus
from cade.travel.letters import current_letter
from cade.travel.models import PerDiemRate, TravelEvent, TravelSettings, Trip
from cade.travel.post_trip import person_blocked, report_of
from cade.travel.setup import caps_of, events_of


def _counts(db) -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.fixture()
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def _call(db, key: str) -> Call:
    title = next(spec["title"] for spec in data.CALLS if spec["key"] == key)
    return db.session.scalar(select(Call).where(Call.title == title))


def _trip(db, call: Call, org_key: str) -> Trip:
    name = next(spec["name"] for spec in data.ORGANISATIONS if spec["key"] == org_key)
    return db.session.scalar(select(Trip).join(Application, Application.id == Trip.application_id)
                             .where(Application.call_id == call.id, Application.organisation.has(name=name)))


def _series(db) -> Call:
    return db.session.scalar(select(Call).where(Call.title == demo_travel.SERIES_TITLE))


def test_the_per_diem_table_has_its_example_rates_and_the_travel_calls_their_events_and_caps(db, seeded):
    assert db.session.scalar(select(func.count()).select_from(PerDiemRate).where(PerDiemRate.is_example)) == 6
    wsis, igf, series = _call(db, "wsis-2026"), _call(db, "igf-2026"), _series(db)
    for call in (wsis, igf, series):
        assert db.session.get(TravelSettings, call.id) is not None
        assert caps_of(call.id)["airfare"] == 1500_00
    [geneva] = events_of(wsis.id)
    assert (geneva.name, geneva.city, geneva.country) == ("WSIS Forum 2026", "Geneva", "CH")
    assert geneva.starts_on < geneva.ends_on < utcnow().date()
    assert [event.city for event in events_of(series.id)] == ["Addis Ababa", "Bangkok"]
    assert [event.city for event in events_of(igf.id)] == ["Nairobi"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.verb == "call.travel_made")) == 3, "through the setup service"


def test_a_wsis_traveller_is_approved_with_a_visa_letter(db, seeded):
    trip = _trip(db, _call(db, "wsis-2026"), "teranga")
    assert all(cost.approved_minor is not None for cost in trip.costs)
    assert trip.post_trip_due_on == trip.event.ends_on + timedelta(days=30)
    assert trip.application.status == "awarded"
    letter = current_letter(trip)
    assert letter is not None and trip.passport_country == "SN"
    with get_storage().open(letter.stored_name) as stream:
        assert stream.read(5) == b"%PDF-"


def test_a_wsis_traveller_claimed_with_receipts_and_was_paid(db, seeded):
    trip = _trip(db, _call(db, "wsis-2026"), "mtaani")
    claim = claim_of(trip)
    assert claim.status == ClaimStatus.PAID and claim.payment_reference == "TRV-PAY-0001"
    assert len(claim.lines) == 2 and all(line.receipts for line in claim.lines)
    airfare = next(line for line in claim.lines if line.category == "airfare")
    approved = next(cost.approved_minor for cost in trip.costs if cost.category == "airfare")
    assert airfare.amount_minor > approved == airfare.reimbursable_minor, "the excess is not reimbursable"


def test_an_overdue_post_trip_report_blocks_the_traveller_at_the_igf_call(db, seeded):
    trip = _trip(db, _series(db), "chikondi")
    assert trip.event.name == "Africa IGF 2026" and report_of(trip) is None
    assert trip.post_trip_due_on < utcnow().date()
    owner = next(m.user for m in trip.application.organisation.memberships if m.role == "owner")
    assert person_blocked(owner)
    reasons = check_eligibility(_call(db, "igf-2026"), trip.application.organisation)
    assert any("report" in str(reason).lower() for reason in reasons), reasons


def test_the_series_call_covers_two_events_and_its_second_traveller_reported(db, seeded):
    trip = _trip(db, _series(db), "desa")
    assert trip.event.name == "Asia Pacific Regional IGF 2026"
    assert report_of(trip).status == PostTripStatus.SUBMITTED
    assert not person_blocked(next(m.user for m in trip.application.organisation.memberships if m.role == "owner"))


def test_seeding_twice_adds_nothing(app, db, seeded):
    before = _counts(db)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert _counts(db) == before
    assert db.session.scalar(select(func.count()).select_from(TravelEvent)) == 4

"""A travel call to set up in tests: a call of a travel support programme, made a travel call, and its rows."""

from datetime import date

from cade.extensions import db
from cade.programmes.constants import ProgrammeKind
from cade.travel import setup
from cade.travel.models import PerDiemRate, TravelEvent
from tests.factories import CallFactory, ProgrammeFactory

GENEVA = {"name": "WSIS Forum 2026", "city": "Geneva", "country": "CH", "starts_on": "2026-07-06",
          "ends_on": "2026-07-10", "website": "https://www.itu.int/wsis", "language": "fr"}


def travel_programme_call(currency="USD", **kwargs):
    """A call of a travel support programme (not yet a travel call)."""
    programme = ProgrammeFactory(kind=ProgrammeKind.TRAVEL_SUPPORT, name="Travel Support", currency=currency)
    return CallFactory(programme=programme, **kwargs)


def travel_call(admin, currency="USD", margin=3, post_trip_days=30, **kwargs):
    """A travel call with its settings (committed)."""
    call = travel_programme_call(currency, **kwargs)
    setup.make_travel_call(admin, call.id, setup.TravelSettingsInput.from_input(
        {"date_margin_days": margin, "post_trip_days": post_trip_days}))
    db.session.commit()
    return call


def event_of(admin, call, **values) -> TravelEvent:
    event = setup.add_event(admin, call.id, setup.EventInput.from_input({**GENEVA, **values}))
    db.session.commit()
    return event


def rate(country="CH", city="Geneva", minor=120_00, currency="USD", valid_from=date(2026, 1, 1), valid_to=None,
         is_example=False, source="UN ICSC"):
    """A per diem rate written directly (the service's checks are tested on their own)."""
    row = PerDiemRate(country=country, city=city, daily_minor=minor, currency=currency, valid_from=valid_from,
                      valid_to=valid_to, is_example=is_example, source=source)
    db.session.add(row)
    db.session.commit()
    return row

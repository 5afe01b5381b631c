"""The per diem table (overlaps refused, retiring) and the per diem of a trip (city before country, conversion)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from cade.core.rates import ExchangeRate, ExchangeRateMissing
from cade.extensions import db as _db
from cade.travel import per_diem as service
from cade.travel.models import PerDiemRate, TravelEvent
from tests.factories import UserFactory
from tests.travel.setup_helpers import rate


def typed(**values):
    return {"country": "CH", "city": "Geneva", "currency": "USD", "daily_amount": "120", "valid_from": "2026-01-01",
            "valid_to": "", "source": "UN ICSC daily subsistence allowance, meals part", **values}


def add(admin, **values):
    return service.add_rate(admin, service.PerDiemRateInput.from_input(typed(**values), locale="en"))


def geneva_event(city="Geneva", country="CH"):
    return TravelEvent(name="WSIS Forum 2026", city=city, country=country, starts_on=date(2026, 7, 6),
                       ends_on=date(2026, 7, 10))


def test_an_admin_adds_edits_and_retires_a_rate(db, admin):
    added = service.add_rate(admin, service.PerDiemRateInput.from_input(
        typed(daily_amount="1 250,50", currency="chf"), locale="fr"))
    _db.session.commit()
    assert (added.daily_minor, added.currency, added.city, added.valid_to) == (1250_50, "CHF", "Geneva", None)
    service.edit_rate(admin, added.id, service.PerDiemRateInput.from_input(typed(daily_amount="130"), locale="en"))
    service.retire_rate(admin, added.id, service.RetireInput.from_input({"last_day": "2026-06-30"}))
    _db.session.commit()
    found = _db.session.get(PerDiemRate, added.id)
    assert (found.daily_minor, found.currency, found.valid_to) == (130_00, "USD", date(2026, 6, 30))
    verbs = [row.verb for row in _db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert verbs == ["per_diem_rate.added", "per_diem_rate.edited", "per_diem_rate.retired"]


def test_retiring_before_the_start_or_twice_is_refused(db, admin):
    row = rate(valid_to=date(2026, 12, 31))
    with pytest.raises(ValidationFailed) as refused:
        service.retire_rate(admin, row.id, service.RetireInput.from_input({"last_day": "2025-12-31"}))
    assert set(refused.value.errors) == {"last_day"}
    with pytest.raises(InvalidTransition):
        service.retire_rate(admin, row.id, service.RetireInput.from_input({"last_day": "2027-01-31"}))


def test_bad_rate_input_names_every_field(db):
    with pytest.raises(ValidationFailed) as refused:
        service.PerDiemRateInput.from_input({"country": "ZZ", "currency": "EURO", "daily_amount": "0",
                                             "valid_from": "2026-02-01", "valid_to": "2026-01-01", "source": ""})
    assert set(refused.value.errors) == {"country", "currency", "valid_to", "source"}  # no currency: no amount check
    with pytest.raises(ValidationFailed) as refused:
        service.PerDiemRateInput.from_input(typed(daily_amount="0", valid_from="soon"))
    assert set(refused.value.errors) == {"daily_amount", "valid_from"}  # the input's names, as the form's


def test_only_admins_keep_the_table(db):
    with pytest.raises(PermissionDenied):
        add(UserFactory())


def test_an_overlapping_rate_of_the_same_place_is_refused_naming_the_other(db, admin):
    rate(valid_from=date(2026, 1, 1), valid_to=date(2026, 6, 30))
    with pytest.raises(ValidationFailed) as refused:
        add(admin, city="geneva", valid_from="2026-06-30")
    message = str(refused.value.errors["valid_from"][0])
    assert "Geneva, Switzerland" in message and "$120.00" in message and "January 1, 2026" in message
    add(admin, valid_from="2026-07-01")  # the day after: fine
    add(admin, city="", valid_from="2026-03-01")  # the rest of the country is another place
    add(admin, city="Zurich", valid_from="2026-03-01")
    _db.session.commit()
    open_ended = rate(country="KE", city=None, valid_from=date(2026, 1, 1))
    with pytest.raises(ValidationFailed):
        add(admin, country="KE", city="", valid_from="2030-01-01")
    with pytest.raises(ValidationFailed):  # editing into an overlap is refused too
        later = add(admin, country="KE", city="", valid_from="2025-01-01", valid_to="2025-12-31")
        service.edit_rate(admin, later.id, service.PerDiemRateInput.from_input(
            typed(country="KE", city="", valid_from="2025-01-01", valid_to="2026-01-01")))
    assert open_ended.id


def test_rate_for_takes_the_citys_own_rate_before_the_countrys(db):
    country = rate(city=None, minor=90_00)
    city = rate(city="Geneva", minor=120_00, valid_to=date(2026, 6, 30))
    assert service.rate_for("CH", "geneva", date(2026, 3, 1)).id == city.id
    assert service.rate_for("ch", "Lausanne", date(2026, 3, 1)).id == country.id
    assert service.rate_for("CH", "Geneva", date(2026, 7, 1)).id == country.id  # the city's rate has ended
    assert service.rate_for("CH", None, date(2026, 3, 1)).id == country.id
    assert service.rate_for("CH", "Geneva", date(2025, 12, 31)) is None
    assert service.rate_for("KE", "Nairobi", date(2026, 3, 1)) is None


def test_a_trips_per_diem_counts_both_travel_days(db, app):
    rate(is_example=True)
    with app.test_request_context():
        quote = service.per_diem(geneva_event(), date(2026, 7, 5), date(2026, 7, 9), "USD")
    assert (quote.days, quote.daily_minor, quote.total_minor) == (5, 120_00, 600_00)
    assert quote.explanation == "5 days × $120.00 (Geneva, example rate valid from January 1, 2026) = $600.00"


def test_a_rate_in_another_currency_is_converted_and_says_which_rate(db, app):
    rate(minor=100_00, currency="CHF", is_example=False, source="UN ICSC")
    _db.session.add(ExchangeRate(from_currency="CHF", to_currency="USD", rate=Decimal("1.12"),
                                 rate_date=date(2026, 6, 1), source="ECB reference rate"))
    _db.session.commit()
    with app.test_request_context():
        quote = service.per_diem(geneva_event(), date(2026, 7, 5), date(2026, 7, 7), "usd")
        assert (quote.days, quote.daily_minor, quote.total_minor, quote.currency) == (3, 112_00, 336_00, "USD")
        assert quote.explanation == (
            "3 days × $112.00 (Geneva, rate valid from January 1, 2026: CHF100.00 converted at 1.12 USD per CHF, "
            "exchange rate of June 1, 2026 (ECB reference rate)) = $336.00")
        with pytest.raises(ExchangeRateMissing):
            service.per_diem(geneva_event(), date(2026, 7, 5), date(2026, 7, 7), "EUR")


def test_a_rate_change_during_the_trip_is_counted_day_by_day(db, app):
    rate(minor=100_00, valid_to=date(2026, 6, 30))
    rate(minor=110_00, valid_from=date(2026, 7, 1))
    with app.test_request_context():
        quote = service.per_diem(geneva_event(), date(2026, 6, 29), date(2026, 7, 2), "USD")
    assert (quote.days, quote.daily_minor, quote.total_minor) == (4, 100_00, 2 * 100_00 + 2 * 110_00)
    assert " + " in quote.explanation and len(quote.parts) == 2


def test_no_rate_is_a_clear_error_naming_the_country_and_day(db, app):
    rate(country="KE", city=None, valid_from=date(2026, 7, 7))
    with app.test_request_context():
        with pytest.raises(service.PerDiemMissing) as refused:
            service.per_diem(geneva_event("Nairobi", "KE"), date(2026, 7, 5), date(2026, 7, 8), "USD")
        assert str(refused.value) == ("No per diem rate for Nairobi, Kenya on July 5, 2026. An administrator can add "
                                      "one in the per diem table.")
        with pytest.raises(ValidationFailed):
            service.per_diem(geneva_event(), date(2026, 7, 8), date(2026, 7, 5), "USD")


def test_the_demos_example_rates_are_marked_as_examples(db):
    rows = service.example_rates()
    assert {(r.country, r.city) for r in rows} == {("CH", "Geneva"), ("KE", "Nairobi"), ("BR", None), ("TH", None),
                                                   ("ET", "Addis Ababa"), ("SA", "Riyadh")}
    assert all(r.is_example and r.source == "Example rates for the demo, not official" and r.daily_minor > 0
               for r in rows)
    _db.session.add_all(rows)
    _db.session.commit()  # they satisfy the table's constraints

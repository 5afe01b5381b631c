"""Exchange rates: the latest on or before the day, the opposite pair, a missing rate named, admins only."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.core.errors import AlreadyExists, DomainError, PermissionDenied, ValidationFailed
from cade.core.money import Money
from cade.core.rates import ExchangeRate, ExchangeRateInput, ExchangeRateMissing, add_exchange_rate, convert
from tests.factories import UserFactory


def add(actor, pair, rate, day, source="ECB reference rate"):
    from_currency, to_currency = pair.split("/")
    return add_exchange_rate(actor, ExchangeRateInput.from_input({
        "from_currency": from_currency, "to_currency": to_currency, "rate": rate, "rate_date": day,
        "source": source}))


def test_converting_uses_the_latest_rate_on_or_before_the_day(db, admin):
    add(admin, "EUR/USD", "1.05", date(2026, 1, 1))
    june = add(admin, "EUR/USD", "1.10", date(2026, 6, 1))
    add(admin, "EUR/USD", "1.20", date(2026, 9, 1))

    conversion = convert(Money(100_00, "EUR"), "USD", date(2026, 8, 31))

    assert conversion.amount == Money(110_00, "USD")
    assert conversion.original == Money(100_00, "EUR")
    assert (conversion.rate, conversion.rate_date, conversion.rate_id) == (Decimal("1.10"), date(2026, 6, 1), june.id)
    assert conversion.source == "ECB reference rate" and not conversion.inverted
    assert convert(Money(100_00, "EUR"), "usd", date(2026, 6, 1)).amount == Money(110_00, "USD")  # that very day


def test_only_the_opposite_pair_recorded_divides_by_it_and_says_so(db, admin):
    add(admin, "USD/EUR", "0.8", date(2026, 1, 1))

    conversion = convert(Money(100_00, "EUR"), "USD", date(2026, 3, 1))

    assert conversion.amount == Money(125_00, "USD")
    assert conversion.inverted and conversion.rate == Decimal("0.8")
    assert conversion.applied_rate == Decimal("1.25")


def test_the_pair_asked_for_wins_over_a_newer_opposite_rate(db, admin):
    add(admin, "EUR/USD", "1.10", date(2026, 1, 1))
    add(admin, "USD/EUR", "0.5", date(2026, 2, 1))
    conversion = convert(Money(100_00, "EUR"), "USD", date(2026, 3, 1))
    assert conversion.amount == Money(110_00, "USD") and not conversion.inverted


def test_a_converted_amount_is_rounded_half_up_to_the_target_minor_unit(db, admin):
    add(admin, "EUR/JPY", "160.125", date(2026, 1, 1))
    add(admin, "KES/USD", "0.0077", date(2026, 1, 1))
    assert convert(Money(1_00, "EUR"), "JPY", date(2026, 1, 2)).amount == Money(160, "JPY")
    assert convert(Money(2_50, "EUR"), "JPY", date(2026, 1, 2)).amount == Money(400, "JPY")  # 400.3125
    assert convert(Money(65, "KES"), "USD", date(2026, 1, 2)).amount == Money(1, "USD")  # 0.005005 → 0.01


def test_the_same_currency_converts_with_no_rate(db):
    conversion = convert(Money(42, "XOF"), "XOF", date(2026, 1, 1))
    assert conversion.amount == Money(42, "XOF") and conversion.rate_id is None and conversion.rate == 1


def test_a_missing_rate_names_the_pair_and_the_day(db, admin):
    add(admin, "EUR/USD", "1.10", date(2026, 6, 1))

    with pytest.raises(ExchangeRateMissing) as excinfo:
        convert(Money(100, "EUR"), "USD", date(2026, 5, 31))  # the only rate is later
    message = str(excinfo.value)
    assert "EUR" in message and "USD" in message and "2026-05-31" in message
    assert isinstance(excinfo.value, DomainError)
    assert excinfo.value.params == {"from_currency": "EUR", "to_currency": "USD", "on": date(2026, 5, 31)}

    with pytest.raises(ExchangeRateMissing, match="KES.*GBP"):
        convert(Money(100, "KES"), "GBP", date(2026, 7, 1))


def test_adding_a_rate_is_for_administrators_and_audited(db, admin):
    member = UserFactory()
    with pytest.raises(PermissionDenied):
        add(member, "EUR/USD", "1.1", date(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        add(None, "EUR/USD", "1.1", date(2026, 1, 1))

    row = add(admin, "eur/usd", " 1.0832 ", date(2026, 1, 1), source="  InforEuro  ")

    assert (row.from_currency, row.to_currency, row.rate, row.source) == ("EUR", "USD", Decimal("1.0832"), "InforEuro")
    assert row.created_by_id == admin.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "exchange_rate.added"))
    assert event.actor_id == admin.id and event.object_id == row.id
    assert event.after == {"from_currency": "EUR", "to_currency": "USD", "rate": "1.0832",
                           "rate_date": "2026-01-01", "source": "InforEuro"}


def test_a_stored_rate_keeps_every_decimal(db, admin):
    row = add(admin, "USD/XOF", "605.1234567891", date(2026, 1, 1))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ExchangeRate, row.id).rate == Decimal("605.1234567891")


@pytest.mark.parametrize("field,pair,rate,day,source", [
    ("from_currency", "XYZ/USD", "1", date(2026, 1, 1), "ECB"),
    ("to_currency", "EUR/EUR", "1", date(2026, 1, 1), "ECB"),
    ("rate", "EUR/USD", "0", date(2026, 1, 1), "ECB"),
    ("rate", "EUR/USD", "-1.1", date(2026, 1, 1), "ECB"),
    ("rate", "EUR/USD", "abc", date(2026, 1, 1), "ECB"),
    ("rate", "EUR/USD", "NaN", date(2026, 1, 1), "ECB"),
    ("rate", "EUR/USD", "1.00000000001", date(2026, 1, 1), "ECB"),  # 11 places would be rounded
    ("rate", "EUR/USD", "12345678901", date(2026, 1, 1), "ECB"),
    ("rate_date", "EUR/USD", "1", None, "ECB"),
    ("source", "EUR/USD", "1", date(2026, 1, 1), "  "),
    ("source", "EUR/USD", "1", date(2026, 1, 1), "x" * 201),
])
def test_a_malformed_rate_is_refused_on_its_field(db, admin, field, pair, rate, day, source):
    with pytest.raises(ValidationFailed) as excinfo:
        add(admin, pair, rate, day, source)
    assert field in excinfo.value.errors
    assert db.session.scalar(select(ExchangeRate)) is None


def test_a_pair_has_one_rate_a_day_and_it_is_never_overwritten(db, admin):
    add(admin, "EUR/USD", "1.10", date(2026, 1, 1))
    with pytest.raises(AlreadyExists, match="EUR.*USD.*2026-01-01"):
        add(admin, "EUR/USD", "1.11", date(2026, 1, 1))
    add(admin, "USD/EUR", "0.9", date(2026, 1, 1))  # the opposite pair is another pair
    assert convert(Money(100, "EUR"), "USD", date(2026, 1, 1)).rate == Decimal("1.10")


# ------------------------------------------------------------------- the admin page


def test_only_administrators_see_the_rates_page(db, client, login, admin):
    assert client.get("/admin/exchange-rates").status_code == 302  # to sign in
    login(UserFactory())
    assert client.get("/admin/exchange-rates").status_code == 404
    assert client.post("/admin/exchange-rates", data={"from_currency": "EUR"}).status_code == 404
    login(admin)
    assert "Exchange rates" in client.get("/admin/exchange-rates").get_data(as_text=True)


def test_an_administrator_adds_a_rate_and_sees_it_listed(db, client, login, admin):
    login(admin)
    client.post("/language", data={"locale": "fr"})  # the rate is typed the French way
    response = client.post("/admin/exchange-rates", data={
        "from_currency": "eur", "to_currency": "usd", "rate": "1,0832", "rate_date": "2026-01-02",
        "source": "ECB reference rate"})
    assert response.status_code == 302
    rate = db.session.scalar(select(ExchangeRate))
    assert (rate.from_currency, rate.to_currency, rate.rate) == ("EUR", "USD", Decimal("1.0832"))

    page = client.get("/admin/exchange-rates").get_data(as_text=True)
    assert "EUR → USD" in page and "1,0832" in page and "ECB reference rate" in page and "Ada Admin" in page


def test_the_page_shows_a_refusal_beside_its_field(db, client, login, admin):
    login(admin)
    page = client.post("/admin/exchange-rates", data={
        "from_currency": "EUR", "to_currency": "EUR", "rate": "1", "rate_date": "2026-01-02",
        "source": "ECB"}).get_data(as_text=True)
    assert 'id="to_currency-error"' in page
    assert db.session.scalar(select(ExchangeRate)) is None


def test_the_same_rate_added_at_the_same_moment_is_refused_and_the_transaction_goes_on(db, admin, monkeypatch):
    from cade.core import rates

    add(admin, "EUR/USD", "1.10", date(2026, 1, 1))
    # The other request's row was not there yet when this one looked: the unique constraint answers.
    monkeypatch.setattr(rates, "_rate_on_day_exists", lambda values: False)
    with pytest.raises(AlreadyExists):
        add(admin, "EUR/USD", "1.11", date(2026, 1, 1))
    add(admin, "EUR/USD", "1.12", date(2026, 1, 2))
    db.session.commit()
    assert [r.rate for r in db.session.scalars(select(ExchangeRate).order_by(ExchangeRate.rate_date))] == [
        Decimal("1.10"), Decimal("1.12")]

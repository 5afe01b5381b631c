"""Money: one currency per amount, and arithmetic that refuses to mix two."""

from decimal import Decimal

import pytest

from cade.core.errors import DomainError
from cade.core.money import CurrencyMismatch, Money, format_money, round_to_minor, sum_money


def test_an_amount_is_its_minor_units_and_its_currency():
    amount = Money.of("1234.56", "eur")
    assert (amount.minor, amount.currency) == (123456, "EUR")
    assert amount.amount == Decimal("1234.56")
    assert str(amount) == "1234.56 EUR"
    assert Money.of("1500", "JPY").minor == 1500  # no minor unit in yen


@pytest.mark.parametrize("minor,currency,error", [
    (1.5, "EUR", TypeError), (True, "EUR", TypeError), ("100", "EUR", TypeError),
    (100, "XYZ", ValueError), (100, "", ValueError), (100, None, ValueError),
])
def test_a_malformed_amount_cannot_be_made(minor, currency, error):
    with pytest.raises(error):
        Money(minor, currency)


def test_major_units_finer_than_the_currency_are_refused():
    with pytest.raises(ValueError):
        Money.of("10.005", "USD")


def test_amounts_are_immutable():
    amount = Money(100, "EUR")
    with pytest.raises(AttributeError):
        amount.minor = 200


def test_adding_subtracting_and_ordering_in_one_currency():
    a, b = Money(150, "KES"), Money(50, "KES")
    assert a + b == Money(200, "KES")
    assert a - b == Money(100, "KES")
    assert -b == Money(-50, "KES")
    assert b < a and b <= a and a > b and a >= b and a >= Money(150, "KES")
    assert sum([a, b]) == Money(200, "KES")  # the built-in sum starts from 0


@pytest.mark.parametrize("combine", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a < b, lambda a, b: a <= b,
    lambda a, b: a > b, lambda a, b: a >= b,
])
def test_two_currencies_are_never_added_or_compared(combine):
    with pytest.raises(CurrencyMismatch) as excinfo:
        combine(Money(100, "EUR"), Money(100, "USD"))
    assert isinstance(excinfo.value, DomainError)
    assert "EUR" in str(excinfo.value) and "USD" in str(excinfo.value)


def test_amounts_in_two_currencies_are_simply_not_equal():
    assert Money(100, "EUR") != Money(100, "USD")
    assert Money(100, "EUR") == Money(100, "eur")


def test_money_does_not_mix_with_bare_numbers():
    with pytest.raises(TypeError):
        Money(100, "EUR") + 5
    with pytest.raises(TypeError):
        5 + Money(100, "EUR")


def test_sum_money_totals_one_currency_and_knows_the_currency_of_nothing():
    assert sum_money([Money(1, "XOF"), Money(2, "XOF")]) == Money(3, "XOF")
    assert sum_money([], "XOF") == Money(0, "XOF")
    with pytest.raises(ValueError):
        sum_money([])
    with pytest.raises(CurrencyMismatch):
        sum_money([Money(1, "XOF"), Money(2, "XAF")])
    with pytest.raises(CurrencyMismatch):
        sum_money([Money(1, "XAF")], "XOF")


def test_the_json_form_round_trips_and_refuses_anything_else():
    amount = Money(150000, "EUR")
    assert amount.to_json() == {"minor": 150000, "currency": "EUR"}
    assert Money.from_json(amount.to_json()) == amount
    for bad in ({"minor": 1}, {"currency": "EUR"}, "150000 EUR", None):
        with pytest.raises(ValueError):
            Money.from_json(bad)


def test_formatting_follows_the_language(app):
    amount = Money(123456, "EUR")
    assert amount.format("en") == "€1,234.56"
    assert amount.format("fr") == "1\u202f234,56\xa0€"
    assert format_money(123456, "EUR", locale="es") == "1.234,56\xa0€"
    assert format_money(None, "EUR") == ""


def test_computed_amounts_round_half_up_to_the_minor_unit():
    assert round_to_minor(Decimal("10.005"), "USD") == 1001
    assert round_to_minor(Decimal("10.0049"), "USD") == 1000
    assert round_to_minor(Decimal("-10.005"), "USD") == -1001
    assert round_to_minor(Decimal("1499.5"), "JPY") == 1500

"""Money is exact: properties that must hold for every amount and currency."""

from decimal import Decimal

from babel.numbers import list_currencies
from hypothesis import given
from hypothesis import strategies as st

from cade.core.money import from_minor, minor_units, to_minor

CURRENCIES = sorted(c for c in list_currencies() if len(c) == 3)


@given(st.sampled_from(CURRENCIES), st.integers(min_value=-(10**14), max_value=10**14))
def test_minor_units_survive_the_round_trip_through_decimal(currency, amount):
    assert to_minor(from_minor(amount, currency), currency) == amount


@given(st.sampled_from(CURRENCIES), st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=9))
def test_an_amount_finer_than_the_currency_allows_is_refused_not_rounded(currency, whole, extra_digit):
    places = minor_units(currency)
    typed = Decimal(whole).scaleb(-places) + Decimal(extra_digit).scaleb(-(places + 1))
    try:
        to_minor(typed, currency)
    except ValueError:
        return
    raise AssertionError(f"{typed} {currency} has more decimals than {currency} allows and was accepted")


@given(st.sampled_from(["EUR", "USD", "XOF", "KES"]),
       st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=50))
def test_budget_lines_add_up_exactly_whatever_their_number(currency, lines):
    # Summing minor units is exact; summing the displayed decimals gives the same total.
    total_minor = sum(lines)
    total_decimal = sum((from_minor(line, currency) for line in lines), Decimal(0))
    assert to_minor(total_decimal, currency) == total_minor


@given(st.sampled_from(["EUR", "USD", "XOF", "KES", "JPY", "BHD"]),
       st.lists(st.integers(min_value=-(10**12), max_value=10**12), max_size=30))
def test_a_money_total_is_the_total_of_its_minor_units(currency, amounts):
    from cade.core.money import Money, sum_money

    assert sum_money((Money(a, currency) for a in amounts), currency) == Money(sum(amounts), currency)

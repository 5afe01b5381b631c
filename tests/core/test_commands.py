"""Commands: every field cleaned once, every bad field named at once, context for what is not typed."""

from dataclasses import FrozenInstanceError, dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from cade.core.commands import (
    Amount,
    Choice,
    Codes,
    Command,
    Currency,
    Day,
    Email,
    FieldErrors,
    Flag,
    Id,
    Integer,
    Moment,
    Text,
    field,
)
from cade.core.errors import ValidationFailed
from cade.organisations.constants import OrganisationType


@dataclass(frozen=True)
class CallInput(Command):
    call_id: int | None = field(default=None)
    title: str | None = field(Text(max_len=10, required=True))
    timezone: str | None = field(Text(max_len=60, required=True))
    closes_at: datetime | None = field(Moment())
    min_award_minor: int | None = field(Amount(), source="min_award")
    max_award_minor: int | None = field(Amount(), source="max_award")
    reviews: int | None = field(Integer(1, 5))
    kind: str | None = field(Choice(OrganisationType))
    countries: list[str] = field(Codes(lambda code: len(code) == 2, upper=True), default_factory=list)
    blind: bool = field(Flag(), default=False)

    def check(self, errors: FieldErrors) -> None:
        if None not in (self.min_award_minor, self.max_award_minor) and self.min_award_minor > self.max_award_minor:
            errors.add("max_award", "The maximum is below the minimum.")


GOOD = {"title": " Call ", "timezone": "Africa/Nairobi", "closes_at": datetime(2026, 3, 1, 17, 0),
        "min_award": "1000", "max_award": Decimal("2500.50"), "reviews": "2", "kind": "ngo",
        "countries": ["ke", "KE", " sn "], "blind": "y"}


def test_a_good_input_gives_a_typed_frozen_command_with_context_for_what_is_not_typed(app):
    command = CallInput.from_input(GOOD, currency="EUR", call_id=7)

    assert command == CallInput(call_id=7, title="Call", timezone="Africa/Nairobi",
                                closes_at=datetime(2026, 3, 1, 14, 0, tzinfo=timezone.utc),
                                min_award_minor=100000, max_award_minor=250050, reviews=2, kind="ngo",
                                countries=["KE", "SN"], blind=True)
    with pytest.raises(FrozenInstanceError):
        command.title = "Other"
    assert command.changes("title", "reviews") == {"title": "Call", "reviews": 2}


def test_every_bad_field_is_named_at_once_under_its_input_name(app):
    bad = {"title": "far too long a title", "timezone": "", "closes_at": "tomorrow", "min_award": "-5",
           "max_award": "1.234", "reviews": "9", "kind": "club", "countries": ["KEN"]}

    with pytest.raises(ValidationFailed) as caught:
        CallInput.from_input(bad, currency="EUR")

    errors = {name: [str(message) for message in messages] for name, messages in caught.value.errors.items()}
    assert errors == {
        "title": ["Use at most 10 characters."],
        "timezone": ["This field is required."],
        "closes_at": ["Enter a date and time."],
        "min_award": ["The amount must be more than zero."],
        "max_award": ["Enter an amount in EUR with at most 2 decimal places."],
        "reviews": ["Enter a number from 1 to 5."],
        "kind": ["Not a valid choice."],
        "countries": ["Choose only from the listed options."],
    }


def test_checks_across_fields_run_after_the_fields(app):
    with pytest.raises(ValidationFailed) as caught:
        CallInput.from_input(dict(GOOD, min_award="3000"), currency="EUR")
    assert caught.value.errors == {"max_award": ["The maximum is below the minimum."]}


@pytest.mark.parametrize("raw", [None, "", "abc", True, 1.5, "9" * 40, [], {}])
def test_a_whole_number_refuses_what_is_not_one_without_crashing(app, raw):
    with pytest.raises(ValidationFailed) as caught:
        CallInput.from_input(dict(GOOD, reviews=raw), currency="EUR")
    assert set(caught.value.errors) == {"reviews"}


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "1e400", "9" * 30, True, "1,5", "0"])
def test_an_amount_refuses_what_is_not_a_usable_amount_without_crashing(app, raw):
    with pytest.raises(ValidationFailed) as caught:
        CallInput.from_input(dict(GOOD, max_award=raw), currency="EUR")
    assert set(caught.value.errors) == {"max_award"}


def test_an_amount_takes_the_currency_of_an_earlier_field(app):
    @dataclass(frozen=True)
    class BudgetInput(Command):
        currency: str | None = field(Currency())
        amount_minor: int | None = field(Amount(), source="amount")

    assert BudgetInput.from_input({"currency": "xof", "amount": "1500"}).amount_minor == 1500  # XOF has no cents
    with pytest.raises(ValidationFailed) as caught:
        BudgetInput.from_input({"currency": "XXQ", "amount": "15"})
    assert set(caught.value.errors) == {"currency"}  # the amount is not judged in a currency that is not one


def test_a_time_skipped_by_the_clocks_is_refused_in_the_zone_of_the_call(app):
    with pytest.raises(ValidationFailed) as caught:
        CallInput.from_input(dict(GOOD, timezone="Europe/Paris", closes_at=datetime(2026, 3, 29, 2, 30)),
                             currency="EUR")
    assert "Europe/Paris" in str(caught.value.errors["closes_at"][0])


def test_text_that_is_not_text_is_refused_with_the_field_named(app):
    with pytest.raises(ValidationFailed) as caught:
        CallInput.from_input(dict(GOOD, title=["a", "list"]), currency="EUR")
    assert [str(m) for m in caught.value.errors["title"]] == ["Enter text."]


def test_small_cleaners(app):
    @dataclass(frozen=True)
    class Small(Command):
        email: str | None = field(Email())
        on: date | None = field(Day())
        user_id: int | None = field(Id())
        tick: bool = field(Flag(), default=False)
        languages: list[str] = field(Codes(["en", "fr", "es"]), default_factory=list)

    command = Small.from_input({"email": " Ana@Example.ORG ", "on": "2026-12-05", "user_id": "12", "tick": "off",
                                "languages": ["es", "en", "es"]})
    assert command == Small(email="ana@example.org", on=date(2026, 12, 5), user_id=12, tick=False,
                            languages=["en", "es"])  # in the list's order, once each
    with pytest.raises(ValidationFailed) as caught:
        Small.from_input({"email": "not an address", "on": "5/12/2026", "user_id": "-1", "languages": "de"})
    assert set(caught.value.errors) == {"email", "on", "user_id", "languages"}


def test_codes_take_an_enum_as_the_list_of_options(app):
    @dataclass(frozen=True)
    class Types(Command):
        types: list[str] = field(Codes(OrganisationType), default_factory=list)

    assert Types.from_input({"types": ["ngo"]}).types == ["ngo"]
    with pytest.raises(ValidationFailed):
        Types.from_input({"types": ["club"]})

"""What a grantee report's save carries: `ReportInput`, cleaned from a form's flat fields or a JSON body.

Amounts and indicator values are read as the person typed them, in their
language ("1 250,50" in French: context `locale`), amounts in the grant's
currency (context `currency`). A key the input does not carry is KEEP
(untouched), so a partial save changes only what it sends. Each bad value is
refused on its own field: total_spent, actual-<line id>, explanation-<line
id>, indicator-<id>, evidence-<id>, q_<question id>.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from cade.core.commands import MAX_AMOUNT_MINOR, Cleaner, Command, Text, field
from cade.core.forms import parse_decimal_input
from cade.core.money import minor_units, to_minor
from cade.core.questionnaires import QuestionKind

KEEP: Any = object()  # "leave this as it is"
VALUE_PLACES = 2  # IndicatorValue.value is Numeric(18, 2)
VALUE_MAX = Decimal(10) ** 16
MAX_TEXT = 20_000
_FLAT = re.compile(r"^(q_|actual-|explanation-|indicator-|evidence-)(\d+)$")


def _number(raw, locale: str) -> Decimal:
    return parse_decimal_input(str(raw), locale)  # ValueError with a message to show


def clean_amount(raw, locale: str, currency: str) -> tuple[int | None, Any]:
    """(minor units or None when blank, error message or None)."""
    if raw is None or not str(raw).strip():
        return None, None
    try:
        amount = _number(raw, locale)
    except ValueError as error:
        return None, str(error)
    if amount < 0:
        return None, _l("Enter an amount of zero or more.")
    if amount > Decimal(MAX_AMOUNT_MINOR).scaleb(-minor_units(currency)):
        return None, _l("This amount is too large.")
    try:
        return to_minor(amount, currency), None
    except ValueError:
        return None, _l("Enter an amount in %(currency)s with at most %(places)d decimal places.",
                        currency=currency, places=minor_units(currency))


def clean_value(raw, locale: str) -> tuple[Decimal | None, Any]:
    """An indicator value: (Decimal ≥ 0 with at most two decimals, or None when blank; error or None)."""
    if raw is None or not str(raw).strip():
        return None, None
    try:
        value = _number(raw, locale)
    except ValueError as error:
        return None, str(error)
    if value < 0:
        return None, _l("Enter zero or more.")
    if value >= VALUE_MAX:
        return None, _l("This number is too large.")
    if value != value.quantize(Decimal(1).scaleb(-VALUE_PLACES)):
        return None, _l("Use at most %(n)d decimal places.", n=VALUE_PLACES)
    return value, None


def _text(raw, errors, name: str, max_len: int = MAX_TEXT):
    if raw is None:
        return None
    if not isinstance(raw, str):
        errors.add(name, _l("Enter text."))
        return None
    text = raw.replace("\r\n", "\n").strip()
    if len(text) > max_len:
        errors.add(name, _l("Use at most %(n)d characters.", n=max_len))
    return text or None


def _by_id(raw, cleaning) -> dict[int, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        cleaning.refuse(_l("Not a valid choice."))
        return {}
    found = {}
    for key, value in raw.items():
        try:
            found[int(key)] = value
        except (TypeError, ValueError):
            cleaning.refuse(_l("Not a valid choice."))
    return found


class LocalAmount(Cleaner):
    def clean(self, raw, cleaning):
        amount, error = clean_amount(raw, cleaning.context.get("locale") or "en", cleaning.context["currency"])
        if error:
            cleaning.refuse(error)
        return amount


@dataclass(frozen=True)
class SpendEntry:
    actual_minor: Any = KEEP
    explanation: Any = KEEP


class SpendEntries(Cleaner):
    """{line id: {"actual": "1250.50", "explanation": "…"}} → {line id: SpendEntry}."""

    def clean(self, raw, cleaning):
        locale, currency = cleaning.context.get("locale") or "en", cleaning.context["currency"]
        entries = {}
        for line_id, entry in _by_id(raw, cleaning).items():
            entry = entry if isinstance(entry, Mapping) else {}
            actual, explanation = KEEP, KEEP
            if "actual" in entry:
                actual, error = clean_amount(entry["actual"], locale, currency)
                if error:
                    cleaning.errors.add(f"actual-{line_id}", error)
            if "explanation" in entry:
                explanation = _text(entry["explanation"], cleaning.errors, f"explanation-{line_id}")
            entries[line_id] = SpendEntry(actual, explanation)
        return entries


@dataclass(frozen=True)
class IndicatorEntry:
    value: Any = KEEP
    evidence: Any = KEEP


class IndicatorEntries(Cleaner):
    """{indicator id: {"value": "53", "evidence": "…"}} → {indicator id: IndicatorEntry}."""

    def clean(self, raw, cleaning):
        locale = cleaning.context.get("locale") or "en"
        entries = {}
        for indicator_id, entry in _by_id(raw, cleaning).items():
            entry = entry if isinstance(entry, Mapping) else {}
            value, evidence = KEEP, KEEP
            if "value" in entry:
                value, error = clean_value(entry["value"], locale)
                if error:
                    cleaning.errors.add(f"indicator-{indicator_id}", error)
            if "evidence" in entry:
                evidence = _text(entry["evidence"], cleaning.errors, f"evidence-{indicator_id}")
            entries[indicator_id] = IndicatorEntry(value, evidence)
        return entries


class Answers(Cleaner):
    """Raw answers by question id; each is cleaned against its question by the service."""

    def clean(self, raw, cleaning):
        return _by_id(raw, cleaning)


@dataclass(frozen=True)
class ReportInput(Command):
    """A save of a report. Keys: narrative, total_spent, answers {question id: value}, spend {line id: {actual,
    explanation}}, indicators {indicator id: {value, evidence}}. Context: currency (the grant's), locale."""

    partial = True

    narrative: Any = field(Text(max_len=None, empty=""), default=KEEP)
    total_spent_minor: Any = field(LocalAmount(), source="total_spent", default=KEEP)
    answers: dict = field(Answers(), default_factory=dict)
    spend: dict = field(SpendEntries(), default_factory=dict)
    indicators: dict = field(IndicatorEntries(), default_factory=dict)
    currency: str = "USD"
    locale: str = "en"


def input_from_form(form: Mapping) -> dict:
    """A report form's flat fields (narrative, total_spent, q_<id>, actual-<id>, …) → ReportInput's keys."""
    data: dict = {"answers": {}, "spend": {}, "indicators": {}}
    for name in ("narrative", "total_spent"):
        if name in form:
            data[name] = form.get(name)
    for name in form:
        match = _FLAT.match(name)
        if not match:
            continue
        prefix, number = match.group(1), int(match.group(2))
        value = form.get(name)
        if prefix == "q_":
            data["answers"][number] = value
        elif prefix in ("actual-", "explanation-"):
            data["spend"].setdefault(number, {})[prefix[:-1]] = value
        else:
            data["indicators"].setdefault(number, {})["value" if prefix == "indicator-" else "evidence"] = value
    return data


def typed_answer(question, raw, locale: str):
    """A typed answer as its question's kind cleans it: a number read in the reader's language, an ISO date.

    What cannot be read is passed on as it is, so the kind refuses it with its own words.
    """
    if not isinstance(raw, str) or not raw.strip():
        return raw
    if question.kind == QuestionKind.NUMBER:
        try:
            return _number(raw, locale)
        except ValueError:
            return raw
    if question.kind == QuestionKind.DATE:
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            return raw
    return raw

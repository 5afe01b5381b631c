"""Offline validation of the open-data files against the shipped schemas, and the IATI rulesets we follow."""

import json
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from lxml import etree
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SCHEMAS = Path(__file__).resolve().parents[3] / "cade" / "reports" / "open_data" / "schemas"


@cache
def threesixty_validator() -> Draft202012Validator:
    """The package schema, its grant schema registered under the URL the package refers to (no fetching), with
    draft 2020-12 named (the files' `$schema` is http) and format checking on (rfc3339-validator for dates)."""
    package = json.loads((SCHEMAS / "360giving" / "360-giving-package-schema.json").read_text())
    grant = json.loads((SCHEMAS / "360giving" / "360-giving-schema.json").read_text())
    resource = DRAFT202012.create_resource(grant)
    registry = Registry().with_resources([(package["properties"]["grants"]["items"]["$ref"], resource),
                                          (grant["$id"], resource)])
    return Draft202012Validator(package, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def threesixty_errors(content: bytes) -> list[str]:
    data = json.loads(content)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in threesixty_validator().iter_errors(data)]


@cache
def iati_schema() -> etree.XMLSchema:
    # The XSD imports xml.xsd by a relative location: lxml reads it from the folder, without the network.
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "iati" / "iati-activities-schema.xsd"), parser))


def iati_errors(content: bytes) -> list[str]:
    """The XSD's errors, then the rulesets' (see `iati_ruleset_errors`)."""
    document = etree.fromstring(content, etree.XMLParser(no_network=True))
    schema = iati_schema()
    if not schema.validate(document):
        return [f"line {e.line}: {e.message}" for e in schema.error_log]
    return iati_ruleset_errors(document)


def _day(value: str) -> date:
    return date.fromisoformat(value)


def iati_ruleset_errors(document) -> list[str]:
    """IATI's standard ruleset as far as our files use it.

    Identifier starts with the reporting org's ref; at least one sector, each with a vocabulary, the
    percentages per vocabulary summing to 100; recipient-country and recipient-region percentages together
    summing to 100; a start date (planned or actual); the actual start not in the future; the planned end not
    before the planned start, the actual end not before the actual start; budgets of at most one year ending after they start; values with a value-date;
    transaction types from the codelist; indicator periods that end after they start.
    """
    errors = []
    for activity in document.iter("iati-activity"):
        identifier = activity.findtext("iati-identifier")
        where = f"activity {identifier}"
        if not identifier.startswith(activity.find("reporting-org").get("ref") + "-"):
            errors.append(f"{where}: the identifier does not start with the reporting org's ref")
        sectors = activity.findall("sector")
        if not sectors:
            errors.append(f"{where}: no sector")
        by_vocabulary: dict[str, Decimal] = {}
        for sector in sectors:
            if not sector.get("vocabulary"):
                errors.append(f"{where}: a sector without vocabulary")
            if sector.get("vocabulary") == "1" and len(sector.get("code")) != 5:
                errors.append(f"{where}: a DAC sector that is not 5 digits")
            by_vocabulary[sector.get("vocabulary")] = (by_vocabulary.get(sector.get("vocabulary"), Decimal(0))
                                                       + Decimal(sector.get("percentage", "100")))
        errors += [f"{where}: sector percentages of vocabulary {v} sum to {p}" for v, p in by_vocabulary.items()
                   if p != 100]
        places = activity.findall("recipient-country") + activity.findall("recipient-region")
        if places and sum(Decimal(p.get("percentage", "100")) for p in places) != 100:
            errors.append(f"{where}: recipient percentages do not sum to 100")
        if activity.findall("recipient-country") and activity.findall("recipient-region"):
            errors.append(f"{where}: both a recipient country and a recipient region")
        dates = {d.get("type"): _day(d.get("iso-date")) for d in activity.findall("activity-date")}
        start = dates.get("2") or dates.get("1")
        if start is None:
            errors.append(f"{where}: no start date")
        if dates.get("2") and dates["2"] > date.today():
            errors.append(f"{where}: an actual start in the future")
        for begin, end in (("1", "3"), ("2", "4")):  # planned end after planned start, actual after actual
            if begin in dates and end in dates and dates[end] < dates[begin]:
                errors.append(f"{where}: activity date {end} before date {begin}")
        for budget in activity.findall("budget"):
            begin, end = _day(budget.find("period-start").get("iso-date")), _day(budget.find("period-end").get(
                "iso-date"))
            if not begin < end or (end - begin).days > 365:
                errors.append(f"{where}: a budget period of {(end - begin).days} days")
        for value in activity.iter("value"):
            if not value.get("value-date"):
                errors.append(f"{where}: a value without value-date")
        for transaction in activity.findall("transaction"):
            if transaction.find("transaction-type").get("code") not in {str(n) for n in range(1, 14)}:
                errors.append(f"{where}: an unknown transaction type")
        for period in activity.iter("period"):
            if _day(period.find("period-end").get("iso-date")) <= _day(period.find("period-start").get("iso-date")):
                errors.append(f"{where}: an indicator period that does not end after it starts")
    return errors

"""Totals per currency in both files agree with the funding summary's awarded totals (no filters)."""

import json
from collections import Counter
from datetime import date
from decimal import Decimal

from lxml import etree

from cade.core.money import to_minor
from cade.core.rates import ExchangeRate
from cade.reports.open_data.documents import regenerate_documents
from cade.reports.services.summary import FundingSummaryInput, funding_summary


def summary_awarded(db) -> dict[str, int]:
    db.session.add(ExchangeRate(from_currency="EUR", to_currency="USD", rate=Decimal("1.10"),
                                rate_date=date(2020, 1, 1), source="test"))
    db.session.flush()
    summary = funding_summary(FundingSummaryInput.from_input({"currency": "USD"}))
    return {row["currency"]: row["awarded"] for row in summary["total"]["by_currency"] if row["awarded"]}


def file_totals(package: bytes, activities: bytes) -> tuple[dict, dict]:
    """Per currency in minor units: the 360Giving amounts awarded, the IATI commitments."""
    threesixty: Counter = Counter()
    for grant in json.loads(package)["grants"]:
        threesixty[grant["currency"]] += to_minor(str(grant["amountAwarded"]), grant["currency"])
    iati: Counter = Counter()
    for transaction in etree.fromstring(activities).iter("transaction"):
        if transaction.find("transaction-type").get("code") == "2":
            value = transaction.find("value")
            iati[value.get("currency")] += to_minor(value.text, value.get("currency"))
    return dict(threesixty), dict(iati)


def test_totals_agree_with_the_summary(world, db):
    package, activities = regenerate_documents()
    threesixty, iati = file_totals(package.content, activities.content)
    assert threesixty == iati == summary_awarded(db) == {"EUR": 41_500_00, "USD": 35_000_00}
